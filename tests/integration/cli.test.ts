import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { REDIS_URL, freePort, testPrefix } from '../helpers/redis.js';

const run = promisify(execFile);
const UIS = new URL('../../bin/uis.js', import.meta.url).pathname;
const BASE_ENV = { PATH: process.env.PATH, HOME: process.env.HOME };

async function uis(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [UIS, ...args], { env: { ...BASE_ENV, ...env }, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('uis CLI', () => {
  it('--help lists every command with a one-line description', async () => {
    const { code, stdout } = await uis(['--help']);
    expect(code).toBe(0);
    const lines = stdout.slice(stdout.indexOf('Commands:')).split('\n').slice(1).filter((l) => /^ {2}\S/.test(l));
    const commands = lines.map((l) => l.trim().split(/\s+/)[0]);
    expect(commands).toEqual(expect.arrayContaining(['migrate', 'serve', 'bench']));
    for (const line of lines) expect(line.trim()).toMatch(/^\S.*\s{2,}\S+/); // a name, then a description
  });

  it('bench: --help lists the benchmarks, NAME --help its flags, and a missing data set says where it comes from', async () => {
    const list = await uis(['bench', '--help']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ {2}intents +intent clustering/m);
    expect(list.stdout).toContain('docs/benchmarks.md');
    const one = await uis(['bench', 'capture', '--help']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('usage: uis bench capture [--events N]');
    const missing = await uis(['bench', 'intents', '--data', '/nonexistent/clinc150']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('CLINC150 is not at /nonexistent/clinc150/data_full.json');
    expect(missing.stderr).not.toContain('ENOENT');
  });

  it('serve --port abc fails with a message naming --port', async () => {
    const r = await uis(['serve', '--port', 'abc']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--port');
    const high = await uis(['serve', '--port', '70000']);
    expect(high.stderr).toContain('--port');
  });

  it('serve without its settings names the missing variable', async () => {
    const r = await uis(['serve']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('DATABASE_URL is not set');
    const short = await uis(['serve'], { UIS_API_TOKEN: 'short' });
    expect(short.stderr).toContain('UIS_API_TOKEN');
  });

  describe('serve, running', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(async () => {
      await db.drop();
    });

    it('listens on --port, accepts events, and exits cleanly on SIGTERM', async () => {
      const port = await freePort();
      const token = 'cli-serve-token-123';
      const child = spawn(process.execPath, [UIS, 'serve', '--port', String(port)], {
        env: { ...BASE_ENV, DATABASE_URL: db.url, REDIS_URL, UIS_API_TOKEN: token, UIS_REDIS_PREFIX: testPrefix() },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      try {
        await expect.poll(() => out, { timeout: 30_000, interval: 100 }).toContain(`listening on http://127.0.0.1:${port}`);
        const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ conversation_id: '0193a600-0000-7000-8000-000000000001', user_id: 'cli', event_type: 'message', content: { message: 'hi' } }),
        });
        expect(res.status).toBe(202);
        expect(out).not.toContain(token);
      } finally {
        const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
    });
  });
});
