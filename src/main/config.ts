import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../shared/event.js';

/** Defaults of the HTTP server's timeouts (UIS_HTTP_*_TIMEOUT_MS); `uis web` uses them as they are. */
export const HTTP_TIMEOUTS = { requestMs: 30_000, idleMs: 120_000, keepAliveMs: 5_000 } as const;
export type HttpTimeouts = { requestMs: number; idleMs: number; keepAliveMs: number };
/** Default of UIS_REDIS_TIMEOUT_MS. */
export const REDIS_TIMEOUT_MS = 2_000;

/** Every environment variable the system reads, validated once. Documented in README "Configuration". */
const Env = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  REDIS_URL: z.string().min(1).optional(),
  UIS_API_TOKEN: z.string().min(8, 'must be at least 8 characters').optional(),
  /** The workbench's own door on `uis serve` (/rpc and the page); unset, `uis serve` serves no workbench. */
  UIS_WORKBENCH_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HOST: z.string().optional(),
  UIS_DATA_DIR: z.string().optional(),
  UIS_WEB_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  UIS_REDIS_PREFIX: z.string().default(''),
  /** REDIS_URL names a node of a Redis Cluster: ioredis' Cluster client, hash-tagged key names (src/main/stream/keys.ts). */
  UIS_REDIS_CLUSTER: z
    .enum(['0', '1', 'true', 'false'], { message: 'must be 1 (a Redis Cluster) or 0' })
    .default('0')
    .transform((v) => v === '1' || v === 'true'),
  UIS_STREAM_MAXLEN: z.coerce.number().int().min(0).default(1_000_000),
  UIS_CAPTURE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** A Redis command (or connection attempt) that takes longer fails: a paused Redis must not hang a request. */
  UIS_REDIS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(REDIS_TIMEOUT_MS),
  /** The whole request (headers and body) must arrive within this; a slow body is cut with 408. */
  UIS_HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(HTTP_TIMEOUTS.requestMs),
  /** A socket with no traffic either way for this long is closed (the workbench's event stream pings every 15 s). */
  UIS_HTTP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(20_000).max(3_600_000).default(HTTP_TIMEOUTS.idleMs),
  /** How long a kept-alive socket waits for the next request. */
  UIS_HTTP_KEEPALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(HTTP_TIMEOUTS.keepAliveMs),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.string().url().optional(),
  UIS_MODEL: z.string().default('gpt-4o-mini'),
  /** Wall-clock limit of one Ask statement; its process is killed when it passes. */
  UIS_ASK_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
}).superRefine((env, ctx) => {
  if (env.UIS_REDIS_CLUSTER) {
    // Every name of a deployment must hash to one slot: the tag is `{uis}`, so the prefix must not bring its own braces.
    if (/[{}]/.test(env.UIS_REDIS_PREFIX)) {
      ctx.addIssue({ code: 'custom', path: ['UIS_REDIS_PREFIX'], message: 'must not contain { or } with UIS_REDIS_CLUSTER=1 (the names carry the hash tag {uis})' });
    }
    const db = env.REDIS_URL ? /^rediss?:\/\/[^/]*\/(\d+)/i.exec(env.REDIS_URL)?.[1] : undefined;
    if (db !== undefined && Number(db) !== 0) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'a Redis Cluster has database 0 only (remove the /N from the URL)' });
    }
  }
  // One token per door: the platform's ingest token must not open the workbench (Ask, workspaces).
  if (env.UIS_WORKBENCH_TOKEN !== undefined && env.UIS_WORKBENCH_TOKEN === env.UIS_API_TOKEN) {
    ctx.addIssue({ code: 'custom', path: ['UIS_WORKBENCH_TOKEN'], message: 'must differ from UIS_API_TOKEN (the ingest token opens /v1 only)' });
  }
});
export type Env = z.infer<typeof Env>;

export class ConfigError extends Error {}

export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const parsed = Env.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) throw new ConfigError(`Invalid environment: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** The HTTP server's timeouts as configured. */
export function httpTimeouts(env: Env): HttpTimeouts {
  return { requestMs: env.UIS_HTTP_REQUEST_TIMEOUT_MS, idleMs: env.UIS_HTTP_IDLE_TIMEOUT_MS, keepAliveMs: env.UIS_HTTP_KEEPALIVE_TIMEOUT_MS };
}

/** The OS's app-data folder (or UIS_DATA_DIR): workspaces and their SQLite snapshots live here. */
export function dataDir(env: Env = readEnv()): string {
  if (env.UIS_DATA_DIR) return path.resolve(env.UIS_DATA_DIR);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'uis');
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'uis');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'uis');
}
