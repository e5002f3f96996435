import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Core } from '../core/index.js';
import { realtimeRoutes } from '../context/routes.js';
import { ingestRoutes } from '../ingest/routes.js';
import type { CapturedEvents } from '../stream/captured.js';
import { bearerAuth } from './auth.js';
import { installJsonBodyParser } from './body.js';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandler, type ErrorLog } from './http-errors.js';
import { registerRpcRoutes } from './rpc.js';

export interface ServerDeps {
  /** PostgreSQL (read-write): ingest, context, profiles. Absent in web-only mode on the demo workspace. */
  pool?: pg.Pool;
  redis?: Redis;
  /** Bearer token required on /v1/* and /rpc/*. */
  token: string;
  logger?: boolean;
  /** UIS_REDIS_PREFIX: Redis keys and channels of this deployment (context cache invalidation, forget). */
  keyPrefix?: string;
  /** The workbench core: serves the contract on /rpc/* (web mode, `uis serve`). */
  core?: Core;
  /** Where ingest hands the events it stored to the relay of the same process (`uis serve`). */
  captured?: CapturedEvents;
  /** UIS_CAPTURE_CONCURRENCY: capture statements in flight at once (default 2, see captureSlots()). */
  captureConcurrency?: number;
  /** Where every 5xx is reported, with its route and cause (default: stderr). */
  log?: ErrorLog;
}

export const BODY_LIMIT = 1024 * 1024;

/** The HTTP service: one fastify app; each capability registers its routes inside the token-protected scope. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: deps.logger ? { level: 'info', redact: ['req.headers.authorization'] } : false,
    // No per-request lines: ingest and the context API answer thousands of requests a second.
    logController: new LogController({ disableRequestLogging: true }),
    // User ids may be up to 200 characters (ingest); the default 100 would answer 414 before validation.
    routerOptions: { maxParamLength: 256 },
    // A path that is not valid percent-encoded UTF-8, and what Node's HTTP parser refuses: 4xx naming the part.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  });
  installJsonBodyParser(app);
  installErrorHandler(app, deps.log);

  app.get('/healthz', async () => {
    const checks: Record<string, string> = {};
    if (deps.pool) checks.postgres = await deps.pool.query('SELECT 1').then(() => 'up', () => 'down');
    if (deps.redis) checks.redis = await deps.redis.ping().then(() => 'up', () => 'down');
    return { status: Object.values(checks).includes('down') ? 'degraded' : 'ok', ...checks };
  });

  await app.register(async (api) => {
    api.addHook('onRequest', bearerAuth(deps.token));
    if (deps.pool) ingestRoutes(api, deps.pool, { captured: deps.captured, captureConcurrency: deps.captureConcurrency });
    await realtimeRoutes(api, deps);
    if (deps.core) registerRpcRoutes(api, deps.core);
  });
  return app;
}
