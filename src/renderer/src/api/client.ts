import type { ChannelName, Contract, TopicName, Topics } from '../../../shared/api/index.js';
import type { ChannelInput, ChannelOutput, HttpErrorBody, RpcResult } from '../../../shared/contract.js';
import type { z } from 'zod';
import type { UisBridge } from '../../../shared/bridge.js';

declare global {
  interface Window {
    /** Present only inside the Electron window (exposed by the preload). */
    uis?: UisBridge;
  }
}

/** An error from the core ({code, message}) or from the transport (code `offline` when the server is unreachable). */
export class RpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export type TopicPayload<T extends TopicName> = z.infer<Topics[T]>;

interface Transport {
  call(channel: string, input: unknown): Promise<RpcResult>;
  subscribe(topic: string, callback: (payload: unknown) => void): () => void;
}

const TOKEN_KEY = 'uis.token';
/** Fired on window when a call could not reach the workbench server. */
export const OFFLINE_EVENT = 'uis:offline';

/**
 * Web mode: the token arrives in the URL fragment (#token=… or #/page&token=…), is kept for this origin (uis web keeps
 * its port and token across runs, so a bookmark of the bare address reopens the workbench) and removed from the address
 * bar, leaving the route.
 */
function takeToken(): string {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (match) {
    const token = decodeURIComponent(match[1]);
    localStorage.setItem(TOKEN_KEY, token);
    const route = window.location.hash.replace(/(^#|&)token=[^&]*/, '').replace(/^#/, '');
    history.replaceState(null, '', window.location.pathname + window.location.search + '#' + (route || '/overview'));
    return token;
  }
  return localStorage.getItem(TOKEN_KEY) ?? '';
}

function ipcTransport(bridge: UisBridge): Transport {
  return { call: (c, i) => bridge.invoke(c, i), subscribe: (t, cb) => bridge.subscribe(t, cb) };
}

// Taken when this module loads, before any navigation: read lazily at the first call, a click (or a test) that changed
// the route first would drop the fragment, and every call would then answer "Bearer token is wrong".
const webToken = typeof window !== 'undefined' && !window.uis ? takeToken() : '';

function httpTransport(): Transport {
  const token = webToken;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let stream: AbortController | null = null;

  // One SSE stream for every topic, read with fetch so the token stays in a header; reconnects with backoff.
  const connect = async () => {
    let delay = 500;
    while (stream && !stream.signal.aborted) {
      try {
        const res = await fetch('/rpc/events', { headers, signal: stream.signal });
        if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
        delay = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const topic = /^event: (.+)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (topic && data !== undefined) for (const cb of listeners.get(topic) ?? []) cb(JSON.parse(data));
          }
        }
      } catch {
        if (stream?.signal.aborted) return;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };

  return {
    async call(channel, input) {
      let res: Response;
      try {
        res = await fetch(`/rpc/${encodeURIComponent(channel)}`, { method: 'POST', headers, body: JSON.stringify(input ?? {}) });
      } catch {
        // Tell the shell at once (offline banner) instead of waiting for the next health check.
        window.dispatchEvent(new Event(OFFLINE_EVENT));
        return { ok: false, error: { code: 'offline', message: 'The workbench server is not reachable.' } };
      }
      const body = (await res.json().catch(() => null)) as unknown;
      if (res.ok) return { ok: true, value: body };
      const err = body as Partial<HttpErrorBody> | null;
      return { ok: false, error: { code: err?.error ?? `http_${res.status}`, message: err?.message ?? `HTTP ${res.status}` } };
    },
    subscribe(topic, callback) {
      let set = listeners.get(topic);
      if (!set) listeners.set(topic, (set = new Set()));
      set.add(callback);
      if (!stream) {
        stream = new AbortController();
        void connect();
      }
      return () => {
        set.delete(callback);
        if ([...listeners.values()].every((s) => s.size === 0)) {
          stream?.abort();
          stream = null;
        }
      };
    },
  };
}

let transport: Transport | null = null;
/** Picks the transport once: the preload's bridge inside Electron, HTTP in a browser. Pages never know which. */
function current(): Transport {
  transport ??= window.uis ? ipcTransport(window.uis) : httpTransport();
  return transport;
}

export async function invoke<K extends ChannelName>(channel: K, input: ChannelInput<Contract, K>): Promise<ChannelOutput<Contract, K>> {
  const result = await current().call(channel, input);
  if (!result.ok) throw new RpcError(result.error.code, result.error.message);
  return result.value as ChannelOutput<Contract, K>;
}

export function subscribe<T extends TopicName>(topic: T, callback: (payload: TopicPayload<T>) => void): () => void {
  return current().subscribe(topic, callback as (payload: unknown) => void);
}

// Route data fetched while the page's code loads (as a router's loader would): the page's first identical call takes
// the answer in flight instead of asking again after its code has arrived and rendered.
const prefetched = new Map<string, Promise<unknown>>();
const callKey = (channel: string, input: unknown) => `${channel} ${JSON.stringify(input)}`;

/** Forgets every prefetched answer: after a route change or a workspace change it may no longer be the page's answer. */
export function dropPrefetched(): void {
  prefetched.clear();
}

export function prefetch<K extends ChannelName>(channel: K, input: ChannelInput<Contract, K>): void {
  if (prefetched.size === 0) window.addEventListener('hashchange', dropPrefetched, { once: true });
  const pending = invoke(channel, input);
  pending.catch(() => {}); // a failure surfaces when the page takes the call
  prefetched.set(callKey(channel, input), pending);
  // Not taken within a few seconds (the page asked for something else): dropped, never served stale later.
  setTimeout(() => prefetched.delete(callKey(channel, input)), 5_000);
}

/** invoke(), served once from a matching prefetch() still in flight or just answered. */
export function invokePrefetched<K extends ChannelName>(channel: K, input: ChannelInput<Contract, K>): Promise<ChannelOutput<Contract, K>> {
  const key = callKey(channel, input);
  const pending = prefetched.get(key);
  if (!pending) return invoke(channel, input);
  prefetched.delete(key);
  return pending as Promise<ChannelOutput<Contract, K>>;
}
