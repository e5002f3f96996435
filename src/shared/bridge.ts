import type { RpcResult } from './contract.js';

/**
 * The bridge the preload exposes as `window.uis`: declared here, in the code every runtime shares, so the renderer
 * types its client without importing the preload. Its result is the transport contract's one result type.
 */
export interface UisBridge {
  invoke(channel: string, input?: unknown): Promise<RpcResult>;
  subscribe(topic: string, callback: (payload: unknown) => void): () => void;
}
