import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const UIS = new URL('../../bin/uis.js', import.meta.url).pathname;

/** Starts `uis web` and resolves with the address it prints; stderr is kept for the messages it says. */
function startWeb(dataDir: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: URL; stderr: () => string }> {
  // --build auto: a fresh clone has no built renderer yet (the first start builds it, the others find it current).
  const child = spawn(process.execPath, [UIS, 'web', '--open-browser', 'no', '--build', 'auto', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, UIS_DATA_DIR: dataDir, ...env },
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /Workbench: (\S+)/.exec(out);
      if (m) resolve({ child, url: new URL(m[1]), stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`uis web exited ${code}: ${err}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const tokenOf = (u: URL) => decodeURIComponent(u.hash.replace('#token=', ''));

describe('uis web keeps its address', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-web-address-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('restarts on the same port with the same token; --new-token replaces it; a taken port falls back to a free one', { timeout: 180_000 }, async () => {
    const first = await startWeb(dir);
    const rpc = (u: URL, token: string) =>
      fetch(`${u.origin}/rpc/workspace.list`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    expect((await rpc(first.url, tokenOf(first.url))).status).toBe(200);
    await stop(first.child);
    const state = path.join(dir, 'web.json');
    expect(fs.statSync(state).mode & 0o777).toBe(0o600);

    // A bookmark of the printed address works after a restart.
    const second = await startWeb(dir);
    expect(second.url.href).toBe(first.url.href);
    await stop(second.child);

    const rotated = await startWeb(dir, ['--new-token']);
    expect(rotated.url.port).toBe(first.url.port);
    expect(tokenOf(rotated.url)).not.toBe(tokenOf(first.url));
    expect((await rpc(rotated.url, tokenOf(first.url))).status).toBe(401);
    await stop(rotated.child);

    // Someone else took the remembered port: a free one, said in one line.
    const squatter = net.createServer().listen(Number(first.url.port), '127.0.0.1');
    await new Promise((r) => squatter.once('listening', r));
    try {
      const moved = await startWeb(dir);
      expect(moved.url.port).not.toBe(first.url.port);
      expect(moved.stderr()).toContain(`Port ${first.url.port} (the last run's) is taken; using a free one.`);
      await stop(moved.child);
    } finally {
      squatter.close();
    }

    // UIS_WEB_PORT (the setting) and --port (the flag) choose the port.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const set = await startWeb(dir, [], { UIS_WEB_PORT: String(port) });
    expect(Number(set.url.port)).toBe(port);
    await stop(set.child);
  });
});
