import { contract } from '../../shared/api/index.js';
import type { RpcResult } from '../../shared/contract.js';
import type { Core } from '../core/index.js';

/** Just enough of ipcMain / the IPC event for the transport; tests pass fakes (no electron import here). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: { senderFrame?: { url: string } | null }, input: unknown) => Promise<RpcResult>): void;
  removeHandler(channel: string): void;
}

/**
 * The Electron transport: one ipcMain.handle per contract channel. A call is served only when it comes from the app's
 * own page (the sending frame's URL); the core then validates the input against the channel's schema.
 */
export function registerIpcHandlers(ipcMain: IpcMainLike, core: Core, isTrustedSender: (url: string | undefined) => boolean): () => void {
  const channels = Object.keys(contract);
  for (const channel of channels) {
    ipcMain.handle(channel, async (event, input) => {
      if (!isTrustedSender(event.senderFrame?.url)) {
        return { ok: false, error: { code: 'forbidden', message: 'IPC call from a page that is not the workbench' } };
      }
      return core.dispatch(channel, input);
    });
  }
  return () => channels.forEach((c) => ipcMain.removeHandler(c));
}

/** Push topics to one window: webContents.send(topic, payload) while it is alive. */
export function forwardTopics(core: Core, send: (topic: string, payload: unknown) => void, isAlive: () => boolean): () => void {
  return core.subscribe((topic, payload) => {
    if (isAlive()) send(topic, payload);
  });
}
