import { describe, expect, it, vi } from 'vitest';
import { allowedChannels, allowedTopics, isPlainJson, makeBridge } from '../../src/preload/allowlist.js';
import { contract, topics } from '../../src/shared/api/index.js';

function fakeIpc() {
  return {
    invoke: vi.fn(async (_channel: string, _input: unknown) => ({ ok: true, value: 'answered' })),
    on: vi.fn((_topic: string, _listener: (payload: unknown) => void) => () => {}),
  };
}

describe('preload allowlist', () => {
  it('is exactly the contract keys', () => {
    expect([...allowedChannels].sort()).toEqual(Object.keys(contract).sort());
    expect([...allowedTopics].sort()).toEqual(Object.keys(topics).sort());
  });

  it('forwards a contract channel with its input', async () => {
    const ipc = fakeIpc();
    const bridge = makeBridge(ipc);
    await expect(bridge.invoke('jobs.get', { jobId: 'a' })).resolves.toEqual({ ok: true, value: 'answered' });
    expect(ipc.invoke).toHaveBeenCalledWith('jobs.get', { jobId: 'a' });
  });

  it.each(['shell.openExternal', 'constructor', '__proto__', 'toString', '', 'app.info ', 42, null])(
    'refuses channel %j without touching ipcRenderer',
    async (channel) => {
      const ipc = fakeIpc();
      const r = await makeBridge(ipc).invoke(channel as string, {});
      expect(r).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
      expect(ipc.invoke).not.toHaveBeenCalled();
    },
  );

  it('refuses inputs that are not plain JSON (functions, class instances, NaN)', async () => {
    const ipc = fakeIpc();
    const bridge = makeBridge(ipc);
    for (const input of [{ f: () => 1 }, { d: new Date() }, { n: NaN }, new Map()]) {
      const r = await bridge.invoke('app.info', input);
      expect(r).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    }
    expect(ipc.invoke).not.toHaveBeenCalled();
    expect(isPlainJson({ a: [1, 'x', { b: null }] })).toBe(true);
  });

  it('subscribes only to contract topics', () => {
    const ipc = fakeIpc();
    const bridge = makeBridge(ipc);
    bridge.subscribe('jobs.update', () => {});
    expect(ipc.on).toHaveBeenCalledWith('jobs.update', expect.any(Function));
    expect(() => bridge.subscribe('ipc-internal', () => {})).toThrow(/Unknown topic/);
    expect(() => bridge.subscribe('__proto__', () => {})).toThrow(/Unknown topic/);
  });
});
