import { contract, topics, type ChannelName, type TopicName } from '../shared/api/index.js';
import type { UisBridge } from '../shared/bridge.js';
import type { RpcResult } from '../shared/contract.js';

/** The checks behind the bridge the preload exposes as `window.uis` (no electron import, unit-testable). */
export type { UisBridge };

/** Built from the contract's own keys: a channel or topic not declared in src/shared/api never reaches ipcRenderer. */
export const allowedChannels: ReadonlySet<string> = new Set(Object.keys(contract));
export const allowedTopics: ReadonlySet<string> = new Set(Object.keys(topics));

export function isAllowedChannel(channel: unknown): channel is ChannelName {
  return typeof channel === 'string' && allowedChannels.has(channel);
}
export function isAllowedTopic(topic: unknown): topic is TopicName {
  return typeof topic === 'string' && allowedTopics.has(topic);
}

/** Inputs cross the bridge by structured clone; only plain JSON-shaped data is sent (no functions, no prototypes). */
export function isPlainJson(value: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  if (value === null || value === undefined) return true;
  const t = typeof value;
  if (t === 'string' || t === 'boolean') return true;
  if (t === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isPlainJson(v, depth + 1));
  if (t === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
    return Object.values(value as Record<string, unknown>).every((v) => isPlainJson(v, depth + 1));
  }
  return false;
}

/** The preload's invoke, with ipcRenderer.invoke passed in (so tests can drive it without Electron). */
export function makeBridge(ipc: {
  invoke(channel: string, input: unknown): Promise<unknown>;
  on(topic: string, listener: (payload: unknown) => void): () => void;
}): UisBridge {
  return {
    async invoke(channel, input) {
      if (!isAllowedChannel(channel)) {
        return { ok: false, error: { code: 'unknown_channel', message: `Unknown channel "${String(channel).slice(0, 100)}"` } };
      }
      if (!isPlainJson(input)) {
        return { ok: false, error: { code: 'invalid_input', message: `Invalid input for ${channel}: only plain JSON values can be sent` } };
      }
      return (await ipc.invoke(channel, input ?? {})) as RpcResult;
    },
    subscribe(topic, callback) {
      if (!isAllowedTopic(topic)) throw new Error(`Unknown topic "${String(topic).slice(0, 100)}"`);
      if (typeof callback !== 'function') throw new Error('subscribe needs a callback');
      return ipc.on(topic, callback);
    },
  };
}
