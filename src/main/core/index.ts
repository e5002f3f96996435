import { contract, type ChannelName, type Contract, type TopicName } from '../../shared/api/index.js';
import type { ChannelInput, ChannelOutput, RpcResult } from '../../shared/contract.js';
import { redactConnectionString } from '../connection-string.js';
import { TopicBus, type TopicListener } from './bus.js';
import { dispatch, type HandlerMap } from './dispatch.js';
import { CoreError } from './errors.js';
import { JobRunner } from './jobs.js';
import type { CoreContext, SecretStore } from './types.js';

export { CoreError } from './errors.js';
export type { CoreContext, HandlersFor, SecretStore } from './types.js';
export type { HandlerMap } from './dispatch.js';

export interface CoreOptions {
  dataDir: string;
  secretStore: SecretStore;
  runtime?: 'electron' | 'web';
  /** Every channel's handler: the composition root (src/main/app) passes them; the runtime knows no feature. */
  handlers: HandlerMap;
  log?: (line: string) => void;
}

export interface Core {
  readonly ctx: CoreContext;
  /** Transports call this: never throws, answers {ok, value} or {ok: false, error: {code, message}}. */
  dispatch(channel: unknown, input: unknown): Promise<RpcResult>;
  /** Typed call for Node callers (CLI, tests): throws CoreError on failure. */
  invoke<K extends ChannelName>(channel: K, input: ChannelInput<Contract, K>): Promise<ChannelOutput<Contract, K>>;
  /** Every published topic, for a transport to forward. Returns unsubscribe. */
  subscribe(listener: TopicListener): () => void;
  close(): Promise<void>;
}

/**
 * The runtime that hosts every handler, shared by the desktop shell, `uis web`, `uis serve` and tests. Callers use
 * createAppCore (src/main/app), which passes every feature's handlers.
 */
export function createCore(opts: CoreOptions): Core {
  const log = (line: string) => (opts.log ?? ((l: string) => process.stderr.write(l + '\n')))(redactConnectionString(line));
  const bus = new TopicBus();
  const jobs = new JobRunner((info) => bus.publish('jobs.update', info));
  const resources = new Map<string, { value: Promise<unknown>; dispose?: (v: never) => void | Promise<void> }>();
  const closers: Array<() => void | Promise<void>> = [];
  let closed = false;

  const dropResource = async (key: string) => {
    const entry = resources.get(key);
    if (!entry) return;
    resources.delete(key);
    const value = await entry.value.catch(() => undefined);
    if (value !== undefined && entry.dispose) await (entry.dispose as (v: unknown) => void | Promise<void>)(value);
  };

  const ctx: CoreContext = {
    dataDir: opts.dataDir,
    secretStore: opts.secretStore,
    runtime: opts.runtime ?? 'web',
    publish: (topic, payload) => bus.publish(topic, payload),
    jobs,
    resource: <T>(key: string, create: () => T | Promise<T>, dispose?: (value: T) => void | Promise<void>) => {
      if (closed) return Promise.reject(new CoreError('unavailable', 'The core is shutting down'));
      let entry = resources.get(key);
      if (!entry) {
        const value = Promise.resolve().then(create);
        entry = { value, dispose: dispose as ((v: never) => void | Promise<void>) | undefined };
        resources.set(key, entry);
        // A failed creation is not cached: the next call tries again (e.g. after the database comes back).
        value.catch(() => {
          if (resources.get(key) === entry) resources.delete(key);
        });
      }
      return entry.value as Promise<T>;
    },
    dropResource,
    onClose: (fn) => closers.push(fn),
    log,
  };

  const handlerMap = opts.handlers;

  return {
    ctx,
    dispatch: (channel, input) => dispatch(contract, handlerMap, channel, input, ctx),
    async invoke(channel, input) {
      const r = await dispatch(contract, handlerMap, channel, input, ctx);
      if (!r.ok) throw new CoreError(r.error.code, r.error.message);
      return r.value as never;
    },
    subscribe: (listener) => bus.onAny(listener),
    async close() {
      if (closed) return;
      closed = true;
      await jobs.cancelAll();
      for (const fn of closers.reverse()) await Promise.resolve(fn()).catch((e: unknown) => log(`close: ${String(e)}`));
      for (const key of [...resources.keys()]) await dropResource(key).catch((e: unknown) => log(`close ${key}: ${String(e)}`));
    },
  };
}

export type { TopicName };
