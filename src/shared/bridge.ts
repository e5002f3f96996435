import type { ApiErrorBody } from './contract.js';

/**
 * The bridge the preload exposes as `window.uis`: declared here, in the code every runtime shares, so the renderer
 * types its client without importing the preload.
 */
export type BridgeResult = { ok: true; value: unknown } | { ok: false; error: ApiErrorBody };
export interface UisBridge {
  invoke(channel: string, input?: unknown): Promise<BridgeResult>;
  subscribe(topic: string, callback: (payload: unknown) => void): () => void;
}
