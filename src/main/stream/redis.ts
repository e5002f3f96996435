import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { REDIS_TIMEOUT_MS } from '../config.js';

/** A connection to a single Redis or to a Redis Cluster (UIS_REDIS_CLUSTER=1): both run the commands the system uses. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectOptions {
  lazy?: boolean;
  timeoutMs?: number;
  /** REDIS_URL names any node of a Redis Cluster; the client discovers the others (UIS_REDIS_CLUSTER). */
  cluster?: boolean;
}

const retry = (times: number) => Math.min(times * 200, 2000);

/**
 * The one place a connection is made (serve's relay, profile builder and context cache, `uis tail`, the Live page,
 * forget, /healthz). It fails fast while Redis is down (no offline queue), so callers such as the outbox relay back off
 * and retry instead of piling up commands; it reconnects by itself. Every command, and every connection attempt,
 * fails after `timeoutMs` (UIS_REDIS_TIMEOUT_MS): a paused Redis (SIGSTOP, a long DEBUG SLEEP, a stuck network)
 * accepts the connection but never answers, and without a timeout every caller would wait forever.
 */
export function createRedis(url: string, opts?: RedisConnectOptions & { cluster?: false }): Redis;
export function createRedis(url: string, opts: RedisConnectOptions): RedisClient;
export function createRedis(url: string, opts: RedisConnectOptions = {}): RedisClient {
  const timeoutMs = opts.timeoutMs ?? REDIS_TIMEOUT_MS;
  const common = { maxRetriesPerRequest: 1, commandTimeout: timeoutMs, connectTimeout: timeoutMs } satisfies RedisOptions;
  const redis: RedisClient = opts.cluster
    ? new Cluster([clusterNode(url)], {
        lazyConnect: opts.lazy ?? false,
        enableOfflineQueue: false,
        clusterRetryStrategy: retry,
        // Reads go to masters: the tails and forget must see what the relay just wrote (a replica lags).
        scaleReads: 'master',
        slotsRefreshTimeout: timeoutMs,
        redisOptions: { ...common, ...clusterAuth(url) },
      })
    : new Redis(url, { ...common, lazyConnect: opts.lazy ?? false, enableOfflineQueue: false, retryStrategy: retry });
  redis.on('error', () => {});
  return redis;
}

/**
 * Resolves true once the connection is ready (at once if it is), false after `ms` or when it ends. A connection made
 * without the offline queue refuses commands until then ("Cluster isn't ready", "Stream isn't writeable"): a
 * Cluster discovers its nodes first, which on a busy machine takes longer than the caller's own start-up.
 */
export function whenReady(redis: RedisClient, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('end', onEnd);
      resolve(ok);
    };
    const onReady = () => done(true);
    const onEnd = () => done(false);
    const timer = setTimeout(onEnd, ms);
    redis.on('ready', onReady);
    redis.on('end', onEnd);
  });
}

/** The startup node named by REDIS_URL (host and port only: credentials and TLS apply to every node, clusterAuth). */
function clusterNode(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(u.port || 6379) };
}

/** What every node of the cluster needs from REDIS_URL: user, password (userinfo or ?password=), TLS for rediss://. */
function clusterAuth(url: string): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const u = new URL(url);
  const password = u.password ? decodeURIComponent(u.password) : (u.searchParams.get('password') ?? undefined);
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * A connection of its own for blocking reads (XREAD / XREADGROUP ... BLOCK blockMs) or pub/sub: the same settings,
 * with the command timeout stretched by the longest block, so a read that legitimately waits is not cut.
 */
export function blockingConnection(redis: RedisClient, blockMs: number): RedisClient {
  let conn: RedisClient;
  if (redis instanceof Cluster) {
    const ro = redis.options.redisOptions ?? {};
    conn = redis.duplicate([], ro.commandTimeout === undefined ? {} : { redisOptions: { ...ro, commandTimeout: ro.commandTimeout + blockMs } });
  } else {
    const timeout = redis.options.commandTimeout;
    conn = redis.duplicate(timeout === undefined ? {} : { commandTimeout: timeout + blockMs });
  }
  conn.on('error', () => {});
  return conn;
}

/** A second connection with the same settings (pub/sub holds its connection). */
export function duplicateConnection(redis: RedisClient): RedisClient {
  const conn = redis instanceof Cluster ? redis.duplicate() : redis.duplicate();
  conn.on('error', () => {});
  return conn;
}
