import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceStore } from '../../src/main/workspace/session.js';
import { tempCore } from '../unit/core-helpers.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { freePort, OwnRedisServer } from '../helpers/redis.js';

/**
 * Workspaces added through the core's handlers, against a real PostgreSQL and a Redis that requires its password:
 * whatever form the credentials take, no handler output, log line or file in the data folder carries one.
 */
const SECRET = 'Kx7-v4ult';
const REDIS_PASSWORD = `${SECRET}-redis`;

let db: TestDatabase;
let redis: OwnRedisServer;
let t: ReturnType<typeof tempCore>;
const logs: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  redis = new OwnRedisServer(await freePort(), REDIS_PASSWORD);
  await redis.start();
  t = tempCore({ log: (l) => logs.push(l) });
});
afterAll(async () => {
  await t?.cleanup();
  await redis?.stop();
  await db?.drop();
});

function withCredentials(base: string, userinfo: string, query: string): string {
  const u = new URL(base);
  return `${u.protocol}//${userinfo}@${u.host}${u.pathname}${query}`;
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('workspace handlers never return a secret', () => {
  it('add, list, active, switch, test and health, for every credential form', async () => {
    const port = redis.port;
    const cases = [
      {
        name: 'userinfo',
        // a password with @ in it (the local server trusts 127.0.0.1, so any password connects)
        pgUrl: withCredentials(db.url, `postgres:p@${SECRET}-a`, `?sslpassword=${SECRET}-b`),
        redisUrl: `redis://:${encodeURIComponent(REDIS_PASSWORD)}@127.0.0.1:${port}`,
        llm: { baseUrl: `http://user:${SECRET}-c@127.0.0.1:9/v1?api-key=${SECRET}-d`, apiKey: `sk-${SECRET}-e`, model: 'local' },
      },
      {
        name: 'query',
        pgUrl: withCredentials(db.url, 'postgres', `?password=${SECRET}-f`),
        redisUrl: `redis://127.0.0.1:${port}/?password=${encodeURIComponent(REDIS_PASSWORD)}`,
        llm: { baseUrl: `https://127.0.0.1:9/v1?token=${SECRET}-g&access_token=${SECRET}-h` },
      },
      {
        name: 'acl-user',
        pgUrl: withCredentials(db.url, `postgres:${encodeURIComponent(`${SECRET}-i/#?`)}`, ''),
        redisUrl: `redis://default:${encodeURIComponent(REDIS_PASSWORD)}@127.0.0.1:${port}/0`,
      },
    ];
    const outputs: unknown[] = [];
    for (const c of cases) {
      const added = await t.core.dispatch('workspace.add', { workspace: { kind: 'postgres', ...c } });
      expect(added, c.name).toMatchObject({ ok: true, value: { test: { ok: true, redis: { ok: true } } } });
      outputs.push(added);
      outputs.push(await t.core.dispatch('workspace.list', {}));
      outputs.push(await t.core.dispatch('workspace.active', {}));
      outputs.push(await t.core.dispatch('workspace.test', { name: c.name }));
      outputs.push(await t.core.dispatch('workspace.health', {}));
    }
    outputs.push(await t.core.dispatch('workspace.switch', { name: 'userinfo' }));
    outputs.push(await t.core.dispatch('workspace.active', {}));
    // A wrong Redis password: the refusal names the problem, not the password tried.
    const wrong = await t.core.dispatch('workspace.add', { workspace: { name: 'wrong', kind: 'postgres', pgUrl: db.url, redisUrl: `redis://:${SECRET}-wrong@127.0.0.1:${port}` } });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'connection_failed' } });
    outputs.push(wrong);

    const text = JSON.stringify(outputs);
    expect(text).not.toContain(SECRET);
    expect(logs.join('\n')).not.toContain(SECRET);
    for (const f of filesUnder(t.dir)) expect(fs.readFileSync(f).includes(SECRET), f).toBe(false);

    // What the pages see instead.
    const list = outputs[1] as { value: { workspaces: Array<{ name: string; pgUrl: string; redisUrl: string; llm: { baseUrl: string } }> } };
    const userinfo = list.value.workspaces.find((w) => w.name === 'userinfo')!;
    expect(userinfo.pgUrl).toBe(withCredentials(db.url, 'postgres:***', '?sslpassword=***'));
    expect(userinfo.redisUrl).toBe(`redis://:***@127.0.0.1:${port}`);
    expect(userinfo.llm.baseUrl).toBe('http://user:***@127.0.0.1:9/v1?api-key=***');

    // And the core itself still has them, whole.
    const store = await workspaceStore(t.core.ctx);
    expect(store.secretsOf('userinfo')).toMatchObject({ pgUrl: cases[0].pgUrl, redisUrl: cases[0].redisUrl, llmBaseUrl: cases[0].llm!.baseUrl });
    expect(store.secretsOf('query').redisUrl).toBe(cases[1].redisUrl);
  });
});

describe('uis CLI: the "no OS keychain" warning', () => {
  const UIS = new URL('../../bin/uis.js', import.meta.url).pathname;
  async function uis(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
    try {
      const r = await promisify(execFile)(process.execPath, [UIS, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 120_000 });
      return { code: 0, out: r.stdout, err: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout, err: x.stderr };
    }
  }

  it('is printed by the run that saves a secret, not by every run after it', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-cli-keychain-'));
    try {
      const DATABASE_URL = withCredentials(db.url, `postgres:${SECRET}-cli`, '');
      const first = await uis(['sync', '--quiet'], { UIS_DATA_DIR: dataDir, DATABASE_URL });
      expect(first.code, first.err).toBe(0);
      expect(first.err).toMatch(/no OS keychain/);
      const again = await uis(['sync', '--quiet'], { UIS_DATA_DIR: dataDir, DATABASE_URL });
      const byName = await uis(['sync', '--quiet', '--workspace', 'env'], { UIS_DATA_DIR: dataDir });
      for (const r of [again, byName]) {
        expect(r.code, r.err).toBe(0);
        expect(r.err).not.toMatch(/keychain/);
      }
      expect([first, again, byName].map((r) => r.out + r.err).join('\n')).not.toContain(SECRET);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
