import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { RedisClient } from '../stream/redis.js';
import type pg from 'pg';
import { HTTP_TIMEOUTS, type HttpTimeouts } from '../config.js';
import type { Core } from '../core/index.js';
import { realtimeRoutes } from './realtime.js';
import { ingestRoutes } from '../ingest/routes.js';
import type { CapturedEvents } from '../stream/captured.js';
import { bearerAuth } from './auth.js';
import { installJsonBodyParser } from './body.js';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandler, type ErrorLog } from '../http/errors.js';
import { registerRpcRoutes } from './rpc.js';

export interface ServerDeps {
  /** PostgreSQL (read-write): ingest, context, profiles. Absent in web-only mode on the demo workspace. */
  pool?: pg.Pool;
  redis?: RedisClient;
  /** UIS_API_TOKEN: the bearer token of /v1/* (ingest, context, forget); it opens nothing else. */
  token?: string;
  /** The workbench's own bearer token, the only one /rpc/* takes (UIS_WORKBENCH_TOKEN, or `uis web`'s per-run one). */
  workbenchToken?: string;
  /** The Host headers this server answers (`uis web`, against DNS rebinding); any other gets 421 before routing. */
  allowHost?: { test(host: string | undefined): boolean; describe(): string };
  /** UIS_HTTP_*_TIMEOUT_MS (default HTTP_TIMEOUTS). */
  timeouts?: HttpTimeouts;
  logger?: boolean;
  /** UIS_REDIS_PREFIX: Redis keys and channels of this deployment (context cache invalidation, forget). */
  keyPrefix?: string;
  /** The workbench core: serves the contract on /rpc/* (web mode, `uis serve`). */
  core?: Core;
  /** Where ingest hands the events it stored to the relay of the same process (`uis serve`). */
  captured?: CapturedEvents;
  /** UIS_CAPTURE_CONCURRENCY: capture statements in flight at once (default 2, see captureSlots()). */
  captureConcurrency?: number;
  /** 'applier' when an AggregateApplier runs in this process (`uis serve`): ingest answers at the commit. */
  aggregates?: 'after-commit' | 'applier';
  /** Where every 5xx is reported, with its route and cause (default: stderr). */
  log?: ErrorLog;
}

export const BODY_LIMIT = 1024 * 1024;

/** The HTTP service: one fastify app; each capability registers its routes inside the token-protected scope. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const t = deps.timeouts ?? HTTP_TIMEOUTS;
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    // A request (headers and body) must arrive within requestMs, else 408 and the socket closes: a slow body, an
    // unauthenticated one too, cannot hold a socket forever. Node checks these deadlines every
    // connectionsCheckingInterval (default 30 s), so it is kept below them.
    requestTimeout: t.requestMs,
    connectionTimeout: t.idleMs,
    keepAliveTimeout: t.keepAliveMs,
    http: { headersTimeout: Math.min(t.requestMs, 10_000), connectionsCheckingInterval: Math.min(5_000, Math.ceil(t.requestMs / 4)) },
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
  const allowHost = deps.allowHost;
  if (allowHost) {
    app.addHook('onRequest', async (req, reply) => {
      if (!allowHost.test(req.headers.host)) {
        return reply.code(421).send({ error: 'misdirected_request', message: `This server answers only for ${allowHost.describe()}` });
      }
    });
  }

  app.get('/healthz', async () => {
    const checks: Record<string, string> = {};
    if (deps.pool) checks.postgres = await deps.pool.query('SELECT 1').then(() => 'up', () => 'down');
    if (deps.redis) checks.redis = await deps.redis.ping().then(() => 'up', () => 'down');
    return { status: Object.values(checks).includes('down') ? 'degraded' : 'ok', ...checks };
  });

  // One token per door (README "Configuration"): /v1 takes UIS_API_TOKEN only, /rpc the workbench's token only.
  if (deps.pool) {
    const token = deps.token;
    if (!token) throw new Error('The /v1 routes need UIS_API_TOKEN');
    await app.register(async (api) => {
      api.addHook('onRequest', bearerAuth(token, 'UIS_API_TOKEN'));
      ingestRoutes(api, deps.pool!, { captured: deps.captured, captureConcurrency: deps.captureConcurrency, aggregates: deps.aggregates });
      await realtimeRoutes(api, deps);
    });
  }
  const { core, workbenchToken } = deps;
  await app.register(async (rpc) => {
    if (core && workbenchToken) {
      rpc.addHook('onRequest', bearerAuth(workbenchToken, 'the workbench token'));
      registerRpcRoutes(rpc, core);
    } else {
      rpc.all('/rpc/*', (_req, reply) =>
        reply.code(403).send({ error: 'forbidden', message: 'The workbench is not served here: set UIS_WORKBENCH_TOKEN (distinct from UIS_API_TOKEN) to serve it' }),
      );
    }
  });
  return app;
}
