import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readEnv } from '../../src/main/config.js';
import { startService, type RunningService } from '../../src/main/server/service.js';
import { startFakeOpenAi, type ChatRequestBody, type FakeOpenAi } from '../helpers/fake-openai.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { REDIS_URL, cleanupPrefix, freePort, testPrefix } from '../helpers/redis.js';

/**
 * Ask inside `uis serve`: while the LLM's never-ending statement runs (its box process), /healthz, ingest and the
 * Context API answer, and the job is still running when they do. Before the box, the statement ran on the service's
 * main thread and none of them answered.
 */
const TOKEN = 'ask-serve-test-token';
const RECURSIVE = 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r) SELECT count(*) FROM r';
const ENV_KEYS = ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'UIS_MODEL', 'UIS_LLM_MAX_RETRIES', 'UIS_ASK_QUERY_TIMEOUT_MS', 'UIS_DEMO_USERS', 'UIS_DEMO_DAYS'] as const;

describe('Ask inside uis serve', () => {
  let db: TestDatabase;
  let redis: Redis;
  let service: RunningService;
  let fake: FakeOpenAi;
  let dataDir: string;
  const prefix = testPrefix();
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = new Redis(REDIS_URL);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-ask-serve-'));
    fake = await startFakeOpenAi((body: ChatRequestBody) =>
      body.messages.some((m) => m.role === 'tool') ? { content: 'Done.' } : { toolCalls: [{ name: 'run_sql', arguments: { sql: RECURSIVE } }] },
    );
    Object.assign(process.env, { OPENAI_BASE_URL: fake.url, UIS_MODEL: 'local-model', UIS_LLM_MAX_RETRIES: '0', UIS_ASK_QUERY_TIMEOUT_MS: '300000', UIS_DEMO_USERS: '20', UIS_DEMO_DAYS: '7' });
    delete process.env.OPENAI_API_KEY;
    const env = readEnv({ DATABASE_URL: db.url, REDIS_URL, UIS_API_TOKEN: TOKEN, UIS_WORKBENCH_TOKEN: 'ask-serve-workbench-token', UIS_REDIS_PREFIX: prefix, UIS_DATA_DIR: dataDir });
    service = await startService(env, { port: await freePort() });
  });
  afterAll(async () => {
    await service?.close();
    await fake?.close();
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('answers /healthz, ingest and the Context API while the statement runs, then cancels it', async () => {
    const http = (p: string, init: RequestInit = {}) =>
      fetch(service.url + p, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
    const jobs = service.core!; // the workbench is served: UIS_WORKBENCH_TOKEN is set
    const { jobId } = await jobs.invoke('intelligence.ask', { question: 'How many numbers are there?' });
    await vi.waitFor(async () => expect((await jobs.invoke('jobs.get', { jobId })).message).toBe('Running query 1…'), { timeout: 60_000, interval: 25 });

    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const event = {
      id: '0193c000-0000-7000-9000-00000000a001',
      conversation_id: '0193c000-0000-7000-8000-00000000a001',
      user_id: 'ask_serve_user',
      timestamp: new Date().toISOString(),
      event_type: 'message',
      content: { role: 'user', message: 'Make me a teaser' },
    };
    expect((await http('/v1/events', { method: 'POST', body: JSON.stringify({ events: [event] }) })).status).toBe(202);
    await vi.waitFor(async () => expect((await http('/v1/users/ask_serve_user/context')).status).toBe(200), { timeout: 30_000, interval: 50 });

    // Everything above answered while the statement was still running.
    expect((await jobs.invoke('jobs.get', { jobId })).state).toBe('running');
    expect(await jobs.invoke('jobs.cancel', { jobId })).toEqual({ cancelled: true });
    await vi.waitFor(async () => expect((await jobs.invoke('jobs.get', { jobId })).state).toBe('cancelled'), { timeout: 10_000, interval: 25 });
  });
});
