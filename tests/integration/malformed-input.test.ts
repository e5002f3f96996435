import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/main/config.js';
import { InvalidEventError } from '../../src/main/ingest/capture.js';
import { UisClient } from '../../src/main/ingest/client.js';
import { startService, type RunningService } from '../../src/main/server/service.js';
import { streamKeys } from '../../src/main/stream/keys.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { REDIS_URL, cleanupPrefix, testPrefix } from '../helpers/redis.js';
import { CONV, CORPUS, KNOWN_USER, TOKEN, type MalformedCase } from './malformed-input.cases.js';

const WORKBENCH_TOKEN = 'malformed-workbench-token-0123456789';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request with node:http (fetch would normalize or refuse some of the corpus's paths and bodies). */
function send(base: URL, c: Pick<MalformedCase, 'method' | 'path' | 'body' | 'headers'>, token = TOKEN): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (c.body !== undefined) headers['content-type'] = 'application/json';
  for (const [k, v] of Object.entries(c.headers ?? {})) {
    if (v === null) delete headers[k];
    else headers[k] = v;
  }
  const body = c.body === undefined ? undefined : Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body, 'utf8');
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, method: c.method, path: c.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Bytes on a bare socket: the status line and the body of whatever comes back before the server closes. */
function sendRaw(base: URL, bytes: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(base.port), base.hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      const bodyStart = text.indexOf('\r\n\r\n');
      resolve({ status, headers: {}, text: bodyStart >= 0 ? text.slice(bodyStart + 4) : text });
    });
    socket.end(bytes);
  });
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The message of an answer: {error, message} on /v1 and the HTTP layer, {code, message} on /rpc. */
function messageOf(a: Answer): string {
  try {
    const body = JSON.parse(a.text) as { message?: unknown };
    return typeof body.message === 'string' ? body.message : a.text;
  } catch {
    return a.text;
  }
}

describe('malformed input: every route refuses it with a 4xx naming the field, and stores nothing', () => {
  let db: TestDatabase;
  let redis: Redis;
  let service: RunningService;
  let base: URL;
  let dataDir: string;
  let rpcToken = TOKEN;
  const logs: string[] = [];
  const prefix = testPrefix();
  const keys = streamKeys(prefix);

  /** Row count of every table in the database, and the stream's length. */
  async function counts(): Promise<Record<string, number>> {
    const tables = (await db.pool.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)).rows.map((r) => r.tablename as string);
    const sql = tables.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM "${t}"`).join(' UNION ALL ');
    const out: Record<string, number> = {};
    for (const r of (await db.pool.query(sql)).rows) out[r.t] = r.n;
    out['redis:stream'] = await redis.xlen(keys.stream);
    return out;
  }

  /** counts() once the relay and the profile builder are done with what was stored: two reads 300 ms apart agree. */
  async function settled(): Promise<Record<string, number>> {
    let last = await counts();
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 300));
      const now = await counts();
      if (JSON.stringify(now) === JSON.stringify(last) && now.uis_outbox === 0) return now;
      last = now;
    }
    throw new Error('the relay and the profile builder did not settle');
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    dataDir = mkdtempSync(path.join(tmpdir(), 'uis-malformed-'));
    const env = readEnv({ DATABASE_URL: db.url, REDIS_URL, UIS_API_TOKEN: TOKEN, UIS_WORKBENCH_TOKEN: WORKBENCH_TOKEN, UIS_REDIS_PREFIX: prefix, UIS_DATA_DIR: dataDir });
    // Where /rpc has its own token (UIS_WORKBENCH_TOKEN, one token per door), the /rpc cases carry it.
    if ('UIS_WORKBENCH_TOKEN' in env) rpcToken = WORKBENCH_TOKEN;
    service = await startService(env, { port: 0, log: (l) => logs.push(l) });
    base = new URL(service.url);
    // One known user with a stored event, published and built into a profile, so context and forget have something to
    // refuse to touch; then everything is quiet (outbox empty, stream complete) before the corpus runs.
    const seeded = await send(base, {
      method: 'POST',
      path: '/v1/events',
      body: JSON.stringify({ conversation_id: CONV, user_id: KNOWN_USER, event_type: 'message', content: { role: 'user', message: 'seed' } }),
    });
    expect(seeded.status).toBe(202);
    await waitFor(async () => (await redis.xlen(keys.stream)) === 1);
    await waitFor(async () => (await db.pool.query('SELECT count(*)::int AS n FROM uis_outbox')).rows[0].n === 0);
    await waitFor(async () => (await send(base, { method: 'GET', path: `/v1/users/${KNOWN_USER}/context` })).status === 200);
    await settled();
  });
  afterAll(async () => {
    await service?.close();
    await cleanupPrefix(redis, prefix);
    redis?.disconnect();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`the corpus holds at least 150 cases over every route of uis serve`, () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(150);
    const routes = new Set(CORPUS.map((c) => c.route));
    expect([...routes].sort()).toEqual(
      ['/healthz and unknown routes', '/rpc', 'DELETE /v1/users/:id', 'GET /v1/users/:id/context', 'HTTP', 'POST /v1/events', 'POST /v1/users'].sort(),
    );
  });

  it.each(CORPUS.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await counts();
    const answer = c.raw !== undefined ? await sendRaw(base, c.raw) : await send(base, c, c.route === '/rpc' ? rpcToken : TOKEN);
    const message = messageOf(answer);
    expect({ status: answer.status, message }).toMatchObject({ status: c.status });
    expect(message).toContain(c.names);
    // Nothing internal leaks: no SQL state, no stack, no PostgreSQL wording.
    expect(answer.text).not.toMatch(/internal|SQLSTATE|at \w+ \(|invalid byte sequence|unsupported Unicode escape/);
    expect(await counts()).toEqual(before);
  });

  it('a mixed batch (good events and one bad) stores nothing, and the same batch without the bad event is stored', async () => {
    const id = (n: number) => `0193a500-0000-7000-8000-${(0x900 + n).toString(16).padStart(12, '0')}`;
    const good = [0, 1, 2].map((n) => ({ id: id(n), conversation_id: CONV, user_id: 'mixed-user', event_type: 'message', content: { message: `good ${n}` } }));
    const bad = { id: id(3), conversation_id: CONV, user_id: 'mixed-user', event_type: 'tool_call', tool_name: 'search', content: { params: { x: 'a\u0000b', y: '\ud800' } } };
    const before = await counts();
    const refused = await send(base, { method: 'POST', path: '/v1/events', body: JSON.stringify({ events: [...good, bad] }) });
    expect(refused.status).toBe(400);
    const body = JSON.parse(refused.text) as { message: string; issues: Array<{ path: string; message: string }> };
    expect(body.issues).toEqual([
      { path: 'events[3].content.params.x', message: 'contains a NUL character (U+0000), which PostgreSQL cannot store' },
      { path: 'events[3].content.params.y', message: 'contains an unpaired surrogate (\\uD800), which is not valid Unicode' },
    ]);
    expect(body.message).toContain('events[3].content.params.x: contains a NUL character');
    expect(await counts()).toEqual(before);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM conversation_events WHERE user_id = $1', ['mixed-user'])).rows[0].n).toBe(0);

    const stored = await send(base, { method: 'POST', path: '/v1/events', body: JSON.stringify({ events: good }) });
    expect(stored.status).toBe(202);
    expect(JSON.parse(stored.text)).toEqual({ accepted: 3, duplicates: 0 });
  });

  // The library door takes the same schemas: every corpus body that is JSON and holds events is refused by
  // UisClient.track too, naming the same field (the batch index without the "events" the HTTP body wraps it in).
  const libraryCases = CORPUS.flatMap((c) => {
    if (c.route !== 'POST /v1/events' || c.status !== 400 || typeof c.body !== 'string') return [];
    let value: unknown;
    try {
      value = JSON.parse(c.body);
    } catch {
      return [];
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
    const v = value as { events?: unknown };
    if ('events' in v) {
      // Batch-level faults (empty, over 1,000, not an array, extra keys) are HTTP's: track() takes an array as it is.
      if (!Array.isArray(v.events) || !c.names.startsWith('events[') || Object.keys(v).length !== 1) return [];
      return [{ name: c.name, events: v.events as unknown[], names: c.names.slice('events'.length) }];
    }
    return [{ name: c.name, events: [value], names: c.names }];
  });

  it(`the library door (UisClient.track) refuses the same ${libraryCases.length} event bodies, naming the same fields`, async () => {
    expect(libraryCases.length).toBeGreaterThanOrEqual(80);
    const client = new UisClient({ pool: db.pool });
    // The mixed-batch test's good events reach the stream and the profile builder's ledger first.
    const before = await settled();
    for (const c of libraryCases) {
      const err = await client.track(c.events as never).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, c.name).toBeInstanceOf(InvalidEventError);
      expect((err as Error).message, c.name).toContain(c.names);
    }
    expect(await counts()).toEqual(before);
  });

  it('no 5xx was logged while the corpus ran', () => {
    expect(logs.filter((l) => / 5\d\d /.test(l))).toEqual([]);
  });
});
