import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, readEnv } from '../../src/main/config.js';
import { startService, type RunningService } from '../../src/main/server/service.js';
import { startWebServer, type RunningWebServer } from '../../src/main/server/web.js';
import { streamKeys } from '../../src/main/stream/keys.js';
import { createRedis } from '../../src/main/stream/redis.js';
import { OutboxRelay } from '../../src/main/stream/relay.js';
import { forgetUser } from '../../src/main/forget/forget.js';
import { contract } from '../../src/shared/api/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { OwnRedisServer, REDIS_URL, cleanupPrefix, freePort, testPrefix } from '../helpers/redis.js';
import { tempCore } from '../unit/core-helpers.js';

const TOKEN = 'edges-ingest-token-0123';
const WORKBENCH_TOKEN = 'edges-workbench-token-0123456789';
const CONV = '0193a400-0000-7000-8000-00000000e001';

const event = (i: number, user = 'edge-user') => ({
  conversation_id: CONV,
  user_id: user,
  timestamp: new Date(Date.UTC(2026, 4, 1, 12) + i * 1000).toISOString(),
  event_type: 'message',
  content: { role: 'user', message: `edge ${i}` },
});

/** One raw HTTP/1.1 exchange: writes `head` and `body`, then collects what the server sends until it closes. */
function rawExchange(port: number, head: string, body: string, giveUpMs: number): Promise<{ response: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let response = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ response, closed: false });
    }, giveUpMs);
    socket.on('data', (d) => (response += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ response, closed: true });
    });
    socket.write(head + body);
  });
}

/** GET with a Host header of our choosing (fetch does not let a caller set Host). */
function getWithHost(port: number, pathName: string, host: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: pathName, method: 'GET', headers: { host, ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('uis serve against a paused Redis, a slow body, and the two doors', () => {
  let db: TestDatabase;
  let redisServer: OwnRedisServer;
  let service: RunningService;
  let dataDir: string;
  const prefix = testPrefix();
  const v1 = (p: string, init: RequestInit & { token?: string; auth?: string } = {}) =>
    fetch(`${service.url}${p}`, {
      ...init,
      headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), authorization: init.auth ?? `Bearer ${init.token ?? TOKEN}` },
      signal: AbortSignal.timeout(15_000),
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    redisServer = new OwnRedisServer(await freePort());
    await redisServer.start();
    dataDir = mkdtempSync(path.join(tmpdir(), 'uis-edges-'));
    const env = readEnv({
      DATABASE_URL: db.url,
      REDIS_URL: redisServer.url,
      UIS_API_TOKEN: TOKEN,
      UIS_WORKBENCH_TOKEN: WORKBENCH_TOKEN,
      UIS_REDIS_PREFIX: prefix,
      UIS_DATA_DIR: dataDir,
      UIS_REDIS_TIMEOUT_MS: '500',
      UIS_HTTP_REQUEST_TIMEOUT_MS: '1000',
    });
    service = await startService(env, { port: 0 });
  });
  afterAll(async () => {
    redisServer?.signal('SIGCONT');
    await service?.close();
    await redisServer?.stop();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('accepts the Bearer scheme in any case (RFC 7235)', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const res = await v1('/v1/events', { method: 'POST', auth: `${scheme} ${TOKEN}`, body: JSON.stringify({ events: [event(0)] }) });
      expect(res.status, scheme).toBe(202);
    }
    expect((await v1('/v1/events', { method: 'POST', auth: `Basic ${TOKEN}`, body: JSON.stringify({ events: [event(0)] }) })).status).toBe(401);
    expect((await v1('/v1/events', { method: 'POST', auth: `Bearer${TOKEN}`, body: JSON.stringify({ events: [event(0)] }) })).status).toBe(401);
  });

  it('cuts a slow request body with 408, with or without a token', async () => {
    const port = Number(new URL(service.url).port);
    for (const auth of [`authorization: Bearer ${TOKEN}\r\n`, '']) {
      const head = `POST /v1/events HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\n${auth}content-length: 1000\r\n\r\n`;
      // 12 bytes of a 1,000-byte body, then nothing: the server must close the socket (UIS_HTTP_REQUEST_TIMEOUT_MS = 1 s).
      const { response, closed } = await rawExchange(port, head, '{"events": [', 15_000);
      expect(closed, auth ? 'with a token' : 'without a token').toBe(true);
      if (auth) expect(response).toMatch(/^HTTP\/1\.1 408 /);
      else expect(response).toMatch(/^HTTP\/1\.1 (401|408) /);
    }
    // The server still answers normally.
    expect((await v1('/v1/events', { method: 'POST', body: JSON.stringify({ events: [event(1)] }) })).status).toBe(202);
  });

  it('the ingest token opens no /rpc route; the workbench token opens /rpc and no /v1 route', async () => {
    const channels = Object.keys(contract);
    expect(channels.length).toBeGreaterThan(20);
    for (const channel of channels) {
      const res = await v1(`/rpc/${channel}`, { method: 'POST', body: '{}' });
      expect(res.status, channel).toBe(401);
    }
    expect((await v1('/rpc/events')).status).toBe(401);
    expect((await v1('/rpc/app.info', { method: 'POST', body: '{}', token: WORKBENCH_TOKEN })).status).toBe(200);
    expect((await v1('/v1/events', { method: 'POST', body: JSON.stringify({ events: [event(2)] }), token: WORKBENCH_TOKEN })).status).toBe(401);
    expect((await v1('/v1/users/edge-user/context', { token: WORKBENCH_TOKEN })).status).toBe(401);
  });

  it('while Redis is paused, /healthz says redis down and DELETE /v1/users/:id forgets from PostgreSQL', async () => {
    expect((await v1('/v1/events', { method: 'POST', body: JSON.stringify({ events: [event(3, 'forget-me'), event(4, 'forget-me')] }) })).status).toBe(202);
    await expect.poll(async () => (await fetch(`${service.url}/healthz`).then((r) => r.json())) as unknown, { timeout: 10_000 }).toMatchObject({ redis: 'up' });
    redisServer.signal('SIGSTOP');
    try {
      const health = await fetch(`${service.url}/healthz`, { signal: AbortSignal.timeout(15_000) });
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'degraded', postgres: 'up', redis: 'down' });

      const res = await v1('/v1/users/forget-me', { method: 'DELETE' });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { removed: { events: number; stream_entries: number | null }; warnings: string[] };
      // PostgreSQL, the truth, is forgotten now; the stream entries wait for a rerun (the answer says so).
      expect(body.removed.events).toBe(2);
      expect(body.removed.stream_entries).toBeNull();
      expect(body.warnings.join(' ')).toMatch(/Redis unreachable.*uis forget forget-me/);
      expect((await db.pool.query("SELECT count(*)::int AS n FROM conversation_events WHERE user_id = 'forget-me'")).rows[0].n).toBe(0);
    } finally {
      redisServer.signal('SIGCONT');
    }
    await expect.poll(async () => (await fetch(`${service.url}/healthz`).then((r) => r.json())) as unknown, { timeout: 10_000 }).toMatchObject({ redis: 'up' });
  });
});

describe('uis serve without a workbench token', () => {
  let db: TestDatabase;
  let service: RunningService;
  const prefix = testPrefix();

  beforeAll(async () => {
    db = await createTestDatabase();
    service = await startService(readEnv({ DATABASE_URL: db.url, REDIS_URL, UIS_API_TOKEN: TOKEN, UIS_REDIS_PREFIX: prefix }), { port: 0 });
  });
  afterAll(async () => {
    await service?.close();
    const redis = new Redis(REDIS_URL);
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
    await db?.drop();
  });

  it('answers 403 on every /rpc route, to the ingest token too', async () => {
    for (const channel of Object.keys(contract)) {
      const res = await fetch(`${service.url}/rpc/${channel}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status, channel).toBe(403);
    }
    expect((await fetch(`${service.url}/rpc/events`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(403);
  });

  it('refuses a workbench token equal to the ingest token at start-up', () => {
    expect(() => readEnv({ UIS_API_TOKEN: WORKBENCH_TOKEN, UIS_WORKBENCH_TOKEN: WORKBENCH_TOKEN })).toThrow(ConfigError);
    expect(() => readEnv({ UIS_API_TOKEN: WORKBENCH_TOKEN, UIS_WORKBENCH_TOKEN: WORKBENCH_TOKEN })).toThrow(/UIS_WORKBENCH_TOKEN.*must differ from UIS_API_TOKEN/);
  });
});

describe('uis serve started while Redis is not there', () => {
  let db: TestDatabase;
  let redisServer: OwnRedisServer;
  let service: RunningService;
  const log: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    // Nothing listens on the port yet: the service's wait for a ready connection ends after UIS_REDIS_TIMEOUT_MS.
    redisServer = new OwnRedisServer(await freePort());
    const env = readEnv({ DATABASE_URL: db.url, REDIS_URL: redisServer.url, UIS_API_TOKEN: TOKEN, UIS_REDIS_PREFIX: testPrefix(), UIS_REDIS_TIMEOUT_MS: '300' });
    service = await startService(env, { port: 0, log: (l) => log.push(l) });
  });
  afterAll(async () => {
    await service?.close();
    await redisServer?.stop();
    await db?.drop();
  });

  it('starts, reports each failed relay attempt as an outage, and publishes once Redis comes up', async () => {
    const res = await fetch(`${service.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [event(1, 'early-user')] }),
    });
    expect(res.status).toBe(202);
    await expect.poll(() => log.some((l) => l.startsWith('relay: ') && l.includes('events wait in the outbox')), { timeout: 10_000 }).toBe(true);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM uis_outbox')).rows[0].n).toBe(1);
    await redisServer.start();
    await expect.poll(async () => (await db.pool.query('SELECT count(*)::int AS n FROM uis_outbox')).rows[0].n, { timeout: 20_000, interval: 100 }).toBe(0);
  });
});

describe('the workbench server (uis web) answers only for its own address', () => {
  let server: RunningWebServer;
  let cleanup: () => Promise<void>;
  const rendererDir = mkdtempSync(path.join(tmpdir(), 'uis-edges-renderer-'));

  beforeAll(async () => {
    writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>x</title>');
    mkdirSync(path.join(rendererDir, 'assets'));
    const t = tempCore();
    server = await startWebServer({ core: t.core, token: WORKBENCH_TOKEN, rendererDir, port: 0 });
    cleanup = async () => {
      await server.close();
      await t.cleanup();
    };
  });
  afterAll(async () => {
    await cleanup?.();
    rmSync(rendererDir, { recursive: true, force: true });
  });

  it('421 for another name in Host (DNS rebinding), 200 for 127.0.0.1, localhost and [::1] on its port', async () => {
    const port = Number(new URL(server.origin).port);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      expect(await getWithHost(port, '/', host), host).toBe(200);
    }
    for (const host of [`attacker.example:${port}`, 'attacker.example', `127.0.0.1:${port + 1}`, `localhost.attacker.example:${port}`, `192.168.1.10:${port}`]) {
      expect(await getWithHost(port, '/', host), host).toBe(421);
      expect(await getWithHost(port, '/rpc/events', host, { authorization: `Bearer ${WORKBENCH_TOKEN}` }), host).toBe(421);
    }
  });
});

describe('in-flight marks after a database restore', () => {
  let db: TestDatabase;
  let redis: Redis;
  const prefix = testPrefix();
  const keys = streamKeys(prefix);
  const insertEvent = (message: string) =>
    db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content)
       VALUES (gen_random_uuid(), $1, 'u', now(), 'message', jsonb_build_object('message', $2::text)) RETURNING id`,
      [CONV, message],
    ).then((r) => r.rows[0].id as string);
  const outboxSeqs = () => db.pool.query('SELECT seq::int AS seq FROM uis_outbox ORDER BY seq').then((r) => r.rows.map((x) => x.seq as number));
  const streamIds = async () => (await redis.xrange(keys.stream, '-', '+')).map(([, f]) => (JSON.parse(f[1]) as { id: string }).id);

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = createRedis(REDIS_URL);
    await db.pool.query(`INSERT INTO conversations (id, user_id, started_at) VALUES ($1, 'u', now())`, [CONV]);
    // The crash between publish and DELETE: a trigger of this name makes the relay's DELETE fail.
    await db.pool.query(`CREATE FUNCTION fail_outbox_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated relay crash'; END $$`);
  });
  afterAll(async () => {
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
    await db?.drop();
  });

  it('an event stored after the outbox sequence restarts is published, though a mark of its seq was left behind', async () => {
    const first = await insertEvent('before the backup was restored');
    const [seq] = await outboxSeqs();
    // Published, then the DELETE fails (a crash): the row's mark stays in the in-flight hash.
    await db.pool.query('CREATE TRIGGER fail_outbox_delete BEFORE DELETE ON uis_outbox FOR EACH STATEMENT EXECUTE FUNCTION fail_outbox_delete()');
    await expect(new OutboxRelay(db.pool, redis, { keyPrefix: prefix }).drainOnce()).rejects.toThrow('simulated relay crash');
    expect(await redis.hexists(keys.inflight, String(seq))).toBe(1);
    await db.pool.query('DROP TRIGGER fail_outbox_delete ON uis_outbox');

    // The database is restored from a backup taken before that event: the event and its outbox row are gone, and
    // the outbox sequence starts again where it was.
    await db.pool.query('DELETE FROM uis_outbox');
    await db.pool.query('DELETE FROM conversation_events WHERE id = $1', [first]);
    await db.pool.query(`SELECT setval(pg_get_serial_sequence('uis_outbox', 'seq'), $1, false)`, [seq]);

    const second = await insertEvent('after the restore');
    expect(await outboxSeqs()).toEqual([seq]); // the same seq as the mark left behind
    const relay = new OutboxRelay(db.pool, redis, { keyPrefix: prefix });
    expect(await relay.drainOnce()).toBe(1);
    expect(relay.publishedCount).toBe(1);
    expect(await streamIds()).toEqual([first, second]);
    expect(await redis.hlen(keys.inflight)).toBe(0);
  });

  it('a row published before a crash, then changed by forget, is still not published twice', async () => {
    const conv = '0193a400-0000-7000-8000-00000000e002';
    await db.pool.query(`INSERT INTO conversations (id, user_id, started_at) VALUES ($1, 'keeper', now())`, [conv]);
    // The keeper owns the conversation (its earliest event); forgetting the leaver removes only the leaver's events.
    await db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content)
       VALUES (gen_random_uuid(), $1, 'keeper', now() - interval '1 hour', 'message', '{"message":"opening"}')`,
      [conv],
    );
    await new OutboxRelay(db.pool, redis, { keyPrefix: prefix }).drainOnce();
    // One statement, one outbox row: the forgotten user's event first, then the keeper's.
    const ids = (
      await db.pool.query(
        `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content)
         VALUES (gen_random_uuid(), $1, 'leaver', now() - interval '1 second', 'message', '{"message":"first"}'),
                (gen_random_uuid(), $1, 'keeper', now(), 'message', '{"message":"second"}') RETURNING id, user_id`,
        [conv],
      )
    ).rows as Array<{ id: string; user_id: string }>;
    const keeper = ids.find((r) => r.user_id === 'keeper')!.id;
    await db.pool.query('CREATE TRIGGER fail_outbox_delete BEFORE DELETE ON uis_outbox FOR EACH STATEMENT EXECUTE FUNCTION fail_outbox_delete()');
    await expect(new OutboxRelay(db.pool, redis, { keyPrefix: prefix }).drainOnce()).rejects.toThrow('simulated relay crash');
    await db.pool.query('DROP TRIGGER fail_outbox_delete ON uis_outbox');
    expect((await streamIds()).filter((id) => id === keeper)).toHaveLength(1);

    // Forget takes the leaver's id out of the waiting row (which now starts with the keeper's event).
    await forgetUser(db.pool, 'leaver', { requestedBy: 'test', redis, keyPrefix: prefix });
    const relay = new OutboxRelay(db.pool, redis, { keyPrefix: prefix });
    expect(await relay.drainOnce()).toBe(1);
    expect(relay.publishedCount).toBe(0);
    expect((await streamIds()).filter((id) => id === keeper)).toHaveLength(1);
    expect(await redis.hlen(keys.inflight)).toBe(0);
  });

  it('a relay that becomes the leader removes marks whose outbox row is gone, and keeps those of waiting rows', async () => {
    const waiting = await insertEvent('waiting');
    const [seq] = await outboxSeqs();
    await redis.hset(keys.inflight, '999999', 'left-behind', String(seq), 'another row');
    const relay = new OutboxRelay(db.pool, redis, { keyPrefix: prefix, pollMs: 100 });
    relay.start();
    try {
      await expect.poll(() => redis.hlen(keys.inflight), { timeout: 10_000 }).toBe(0);
      // The waiting row's mark named another row (not its first event id): the row was published, not skipped.
      await expect.poll(streamIds, { timeout: 10_000 }).toContain(waiting);
    } finally {
      await relay.stop();
    }
  });
});
