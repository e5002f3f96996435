import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../stream/redis.js';
import type pg from 'pg';
import { ConfigError, dataDir, digestEnabled, httpTimeouts, type Env } from '../config.js';
import { createAppCore, type Core } from '../app/index.js';
import { createPool } from '../db/pg.js';
import { redactConnectionString } from '../connection-string.js';
import { checkDigestConfig, startDigestService } from '../digest/service.js';
import { ProfileBuilder } from '../profiles/builder.js';
import { keysFor } from '../stream/keys.js';
import { createRedis, whenReady } from '../stream/redis.js';
import { FileKeySecretStore } from '../workspace/secrets.js';
import { CapturedEvents } from '../stream/captured.js';
import { OutboxRelay } from '../stream/relay.js';
import { AggregateApplier } from '../ingest/aggregates.js';
import { buildServer } from './app.js';
import { builtRendererDir, registerRenderer } from './web.js';

export interface RunningService {
  app: FastifyInstance;
  url: string;
  pool: pg.Pool;
  redis: RedisClient;
  relay: OutboxRelay;
  aggregates: AggregateApplier;
  /** Events HTTP ingest handed to the relay in memory. */
  captured: CapturedEvents;
  builder: ProfileBuilder;
  /** The workbench's handlers (served on /rpc); null without UIS_WORKBENCH_TOKEN (no workbench then). */
  core: Core | null;
  close(): Promise<void>;
}

/** `uis serve`: ingest API + outbox relay (+ the capabilities that register on the app). */
export async function startService(env: Env, opts: { port?: number; host?: string; log?: (l: string) => void } = {}): Promise<RunningService> {
  const log = opts.log ?? (() => {});
  if (!env.DATABASE_URL) throw new ConfigError('DATABASE_URL is not set: uis serve needs PostgreSQL (run `uis migrate` first).');
  if (!env.REDIS_URL) throw new ConfigError('REDIS_URL is not set: uis serve publishes events to Redis.');
  if (!env.UIS_API_TOKEN) throw new ConfigError('UIS_API_TOKEN is not set: every /v1 route needs a bearer token (at least 8 characters).');
  if (digestEnabled()) checkDigestConfig(); // before anything starts: a bad digest setting names its variable
  const pool = createPool(env.DATABASE_URL, { applicationName: 'uis-serve', max: 20 });
  const redis = createRedis(env.REDIS_URL, { timeoutMs: env.UIS_REDIS_TIMEOUT_MS, cluster: env.UIS_REDIS_CLUSTER });
  // HTTP ingest hands the events it stored to this relay: published without being read back (docs/capture.md).
  const captured = new CapturedEvents();
  const relay = new OutboxRelay(pool, redis, {
    captured,
    keyPrefix: env.UIS_REDIS_PREFIX,
    maxLen: env.UIS_STREAM_MAXLEN,
    onError: (e) => log(`relay: ${redactConnectionString(e.message)} (events wait in the outbox)`),
  });
  // A connection still being made (a Cluster discovering its nodes) is not an outage: the relay's first attempt waits
  // for it, at most UIS_REDIS_TIMEOUT_MS; a Redis that is not there by then is reported (and retried) as any outage.
  await whenReady(redis, env.UIS_REDIS_TIMEOUT_MS);
  relay.start();
  // Conversation and profile aggregates, applied after each capture commit (docs/capture.md).
  const aggregates = new AggregateApplier(pool, {
    onError: (e) => log(`aggregates: ${redactConnectionString(e.message)} (events wait in the aggregate queue)`),
    // The Context API's caches (every instance) drop these users' contexts, as after the profile builder's changes.
    onUsers: (users) => {
      for (let i = 0; i < users.length; i += 1000)
        void redis.publish(keysFor(redis, env.UIS_REDIS_PREFIX).profileChanged, JSON.stringify({ users: users.slice(i, i + 1000) })).catch(() => 0);
    },
  });
  aggregates.start();
  const builder = new ProfileBuilder(pool, redis, {
    keyPrefix: env.UIS_REDIS_PREFIX,
    onError: (e) => log(`profile builder: ${redactConnectionString(e.message)} (entries stay pending and are retried)`),
  });
  builder.start();
  // The workbench (its handlers on /rpc, its page at / when built: open http://host:port/#token=<token>) only with its
  // own token, UIS_WORKBENCH_TOKEN: the platform's ingest token must not run Ask or add workspaces (readEnv refuses the
  // two being equal). Without it /rpc answers 403.
  const workbenchToken = env.UIS_WORKBENCH_TOKEN;
  const core: Core | null = workbenchToken
    ? createAppCore({ dataDir: dataDir(env), secretStore: new FileKeySecretStore(`${dataDir(env)}/secret.key`, log), log })
    : null;
  const app = await buildServer({
    pool,
    redis,
    token: env.UIS_API_TOKEN,
    workbenchToken,
    keyPrefix: env.UIS_REDIS_PREFIX,
    core: core ?? undefined,
    captured,
    captureConcurrency: env.UIS_CAPTURE_CONCURRENCY,
    aggregates: 'applier',
    timeouts: httpTimeouts(env),
    log,
  });
  const rendererDir = core ? builtRendererDir() : null;
  if (rendererDir) await registerRenderer(app, rendererDir);
  const address = await app.listen({ port: opts.port ?? env.PORT ?? 8787, host: opts.host ?? env.HOST ?? '127.0.0.1' });
  const digest = digestEnabled() ? startDigestService(env, { log }) : null; // the insights e-mail (docs/reports.md)
  return {
    app,
    url: address,
    pool,
    redis,
    relay,
    aggregates,
    captured,
    builder,
    core,
    async close() {
      await digest?.stop();
      await app.close();
      await core?.close();
      await relay.stop();
      await aggregates.stop();
      await builder.stop();
      redis.disconnect();
      await pool.end();
    },
  };
}
