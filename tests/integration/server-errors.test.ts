import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/main/config.js';
import { migrate } from '../../src/main/db/migrate.js';
import { createPool } from '../../src/main/db/pg.js';
import { startService, type RunningService } from '../../src/main/server/service.js';
import { OwnPostgresServer } from '../helpers/pg-server.js';
import { REDIS_URL, cleanupPrefix, freePort, testPrefix } from '../helpers/redis.js';

const TOKEN = 'server-errors-token-0123456789';
const PASSWORD = 'pw-never-in-a-log-7c1e';
const CONV = '0193a600-0000-7000-8000-000000000001';
const id = (n: number) => `0193a600-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

describe('5xx: logged with the route and cause, nothing internal in the body; PostgreSQL down is a 503 with Retry-After', () => {
  let pgServer: OwnPostgresServer;
  let service: RunningService;
  let redis: Redis;
  const logs: string[] = [];
  const prefix = testPrefix();

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${service.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const event = (n: number) => ({ id: id(n), conversation_id: CONV, user_id: 'outage-user', event_type: 'message', content: { message: `m${n}` } });

  beforeAll(async () => {
    // Its own cluster: this test stops PostgreSQL, which must never be the server the other tests share.
    pgServer = new OwnPostgresServer(await freePort());
    await pgServer.init();
    await migrate(pgServer.url());
    redis = new Redis(REDIS_URL);
    // A password in the URL (trust auth ignores it): it must reach no log line and no answer.
    const env = readEnv({ DATABASE_URL: pgServer.url('postgres', PASSWORD), REDIS_URL, UIS_API_TOKEN: TOKEN, UIS_REDIS_PREFIX: prefix });
    service = await startService(env, { port: 0, log: (l) => logs.push(l) });
  });
  afterAll(async () => {
    await service?.close();
    await cleanupPrefix(redis, prefix);
    redis?.disconnect();
    await pgServer?.remove();
  });

  it('an unexpected error answers 500 without its cause, and the log names the route and the cause, redacted', async () => {
    const admin = createPool(pgServer.url());
    try {
      // A fault the code does not expect: the capture statement fails with a message that holds a connection string.
      await admin.query(`CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'replica postgres://app:${PASSWORD}@db.internal/uis refused the row'; END $$`);
      await admin.query('CREATE TRIGGER boom BEFORE INSERT ON conversation_events FOR EACH STATEMENT EXECUTE FUNCTION boom()');
      const res = await call('POST', '/v1/events', event(1));
      expect(res.status).toBe(500);
      const text = await res.text();
      const body = JSON.parse(text) as { error: string; message: string };
      expect(body.error).toBe('internal');
      expect(body.message).toMatch(/^Unexpected error, logged as request \S+$/);
      expect(text).not.toMatch(/replica|refused|postgres:|db\.internal|P0001/);
      const line = logs.find((l) => l.startsWith('HTTP 500 POST /v1/events'));
      expect(line).toBeDefined();
      expect(line).toContain(body.message.split(' ').at(-1)!); // the request id the client was given
      expect(line).toContain('refused the row');
      expect(line).toContain('[P0001]');
      expect(line).toContain('postgres://app:***@db.internal/uis');
    } finally {
      await admin.query('DROP TRIGGER IF EXISTS boom ON conversation_events').catch(() => {});
      await admin.end();
    }
    expect((await call('POST', '/v1/events', event(1))).status).toBe(202);
    expect(logs.join('\n')).not.toContain(PASSWORD);
  });

  it('while PostgreSQL is down every route that needs it answers 503 with Retry-After, and recovers when it is back', async () => {
    await pgServer.stop();
    try {
      const answers = await Promise.all([
        call('POST', '/v1/events', event(2)),
        call('POST', '/v1/events', { events: [event(3), event(4)] }),
        call('POST', '/v1/users', { user_id: 'outage-user', email: 'o@example.com' }),
        call('GET', '/v1/users/someone-not-cached/context'),
        call('DELETE', '/v1/users/outage-user'),
      ]);
      for (const res of answers) {
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('5');
        const body = (await res.json()) as { error: string; message: string };
        expect(body.error).toBe('unavailable');
        expect(body.message).toContain('PostgreSQL is unavailable');
      }
      const health = (await (await fetch(`${service.url}/healthz`)).json()) as Record<string, string>;
      expect(health).toMatchObject({ status: 'degraded', postgres: 'down' });
      expect(logs.filter((l) => l.startsWith('HTTP 503')).length).toBeGreaterThanOrEqual(5);
      expect(logs.some((l) => l.startsWith('HTTP 503 GET /v1/users/:id/context'))).toBe(true);
    } finally {
      await pgServer.start();
    }
    // The pool connects again: the same events (a client's retry) are stored once.
    const retried = await call('POST', '/v1/events', { events: [event(2), event(3), event(4)] });
    expect(retried.status).toBe(202);
    expect(await retried.json()).toEqual({ accepted: 3, duplicates: 0 });
    expect(logs.join('\n')).not.toContain(PASSWORD);
    expect(logs.filter((l) => l.startsWith('HTTP 500'))).toHaveLength(1); // only the first test's
  });
});
