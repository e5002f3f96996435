import { afterEach, describe, expect, it } from 'vitest';
import { registerIpcHandlers, type IpcMainLike } from '../../src/main/electron/ipc.js';
import { APP_ENTRY, isAppUrl } from '../../src/main/electron/security.js';
import { contract } from '../../src/shared/api/index.js';
import { tempCore } from './core-helpers.js';

const APP = APP_ENTRY;

function fakeIpcMain() {
  const handlers = new Map<string, Parameters<IpcMainLike['handle']>[1]>();
  const ipc: IpcMainLike = { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) };
  return { ipc, handlers };
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

describe('Electron IPC transport', () => {
  it('registers one handler per contract channel and nothing else', () => {
    const t = tempCore();
    cleanup.push(t.cleanup);
    const { ipc, handlers } = fakeIpcMain();
    const unregister = registerIpcHandlers(ipc, t.core, (url) => isAppUrl(url, APP));
    expect([...handlers.keys()].sort()).toEqual(Object.keys(contract).sort());
    unregister();
    expect(handlers.size).toBe(0);
  });

  it('serves the app page and refuses any other sender', async () => {
    const t = tempCore();
    cleanup.push(t.cleanup);
    const { ipc, handlers } = fakeIpcMain();
    registerIpcHandlers(ipc, t.core, (url) => isAppUrl(url, APP));
    const call = handlers.get('app.info')!;
    await expect(call({ senderFrame: { url: APP + '#/overview' } }, {})).resolves.toMatchObject({ ok: true });
    for (const url of ['https://evil.example/', 'file:///tmp/other.html', 'file:///opt/uis/resources/app/out/renderer/index.html', 'app://other/index.html', 'about:blank', '']) {
      await expect(call({ senderFrame: { url } }, {})).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    await expect(call({ senderFrame: null }, {})).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('refuses a malformed payload with a message naming the field', async () => {
    const t = tempCore();
    cleanup.push(t.cleanup);
    const { ipc, handlers } = fakeIpcMain();
    registerIpcHandlers(ipc, t.core, (url) => isAppUrl(url, APP));
    const r = await handlers.get('workspace.switch')!({ senderFrame: { url: APP } }, { name: '../../etc' });
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(!r.ok && r.error.message).toMatch(/workspace\.switch: name:/);
    const extra = await handlers.get('analytics.user')!({ senderFrame: { url: APP } }, { userId: 'u1', sql: 'DROP TABLE users' });
    expect(extra).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });

  it('accepts the dev server origin only when the app runs from it', () => {
    expect(isAppUrl('http://localhost:5173/#/users', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl('not a url', APP)).toBe(false);
  });
});
