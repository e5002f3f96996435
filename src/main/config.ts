import os from 'node:os';
import path from 'node:path';
import { Cron } from 'croner';
import { z } from 'zod';
import { DigestKind } from '../shared/digest.js';
import { describeIssues } from '../shared/event.js';

/**
 * The one configuration module: every environment variable the system reads is declared and validated here (zod), and
 * documented once in README "Configuration". No other module reads process.env (lint: `rg "process\.env" src`).
 * Errors name the variable, never its value (it may be a secret).
 */
export type RawEnv = Record<string, string | undefined>;

/** The process's environment, for the parsers below (and for tests to replace with their own record). */
export function processEnv(): RawEnv {
  return process.env;
}

/** Empty values count as unset, so `VAR=` in a .env file falls back to the default. */
const setValues = (env: RawEnv) => Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));

/** Defaults of the HTTP server's timeouts (UIS_HTTP_*_TIMEOUT_MS); `uis web` uses them as they are. */
export const HTTP_TIMEOUTS = { requestMs: 30_000, idleMs: 120_000, keepAliveMs: 5_000 } as const;
export type HttpTimeouts = { requestMs: number; idleMs: number; keepAliveMs: number };
/** Default of UIS_REDIS_TIMEOUT_MS. */
export const REDIS_TIMEOUT_MS = 2_000;

/**
 * The LLM defaults (a workspace's Settings → AI overrides them: src/main/workspace/llm.ts). Also checked by readEnv,
 * so a bad value fails at start-up; src/main/llm/client.ts reads them, merged over a workspace's, with readLlmEnv.
 */
const LlmEnv = z.object({
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
  UIS_MODEL: z.string().min(1).max(200).optional(),
  UIS_EMBEDDINGS_MODEL: z.string().min(1).max(200).optional(),
  UIS_PRICE_INPUT: z.coerce.number().min(0).optional(),
  UIS_PRICE_OUTPUT: z.coerce.number().min(0).optional(),
  UIS_LLM_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).optional(),
  UIS_LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).optional(),
  UIS_AI_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
  UIS_USE_CASES: z.string().optional(),
});
export type LlmEnv = z.infer<typeof LlmEnv>;

/** The LLM variables of env (a workspace's settings already merged in by the caller), or an error naming the variable. */
export function readLlmEnv(env: RawEnv = processEnv()): LlmEnv {
  const parsed = LlmEnv.safeParse(Object.fromEntries(Object.entries(setValues(env)).filter(([k]) => k in LlmEnv.shape)));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // Names the variable, never its value (it may be a key).
    throw new ConfigError(`${String(issue.path[0])}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The use-case label set: UIS_USE_CASES (comma-separated, e.g. "marketing_content,personal_video,other"), else the
 * default. The LLM must answer one of these; the local analyzer's keyword rules cover the default labels.
 */
export function useCasesFromEnv(env: RawEnv = processEnv()): string[] | undefined {
  const raw = env.UIS_USE_CASES?.trim();
  if (!raw) return undefined;
  const labels = [...new Set(raw.split(',').map((l) => l.trim()).filter(Boolean))];
  const bad = labels.find((l) => !/^[a-z][a-z0-9_]{0,59}$/.test(l));
  if (bad !== undefined) throw new ConfigError(`UIS_USE_CASES: "${bad.slice(0, 60)}" is not a label (lower-case letters, digits and _)`);
  return labels.includes('other') ? labels : [...labels, 'other'];
}

/** Every environment variable of the service, the CLI and the workbench, validated once. */
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
  ...LlmEnv.shape,
  /** Wall-clock limit of one Ask statement; its process is killed when it passes. */
  UIS_ASK_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** The demo workspace's size and last day (defaults: the generator's own). */
  UIS_DEMO_USERS: z.coerce.number().int().min(1).max(10_000_000).optional(),
  UIS_DEMO_DAYS: z.coerce.number().int().min(1).max(3660).optional(),
  UIS_DEMO_END_DAY: z.iso.date('must be a date, YYYY-MM-DD').optional(),
  /** Chromium for PDFs outside Electron, the benches and the e2e tests. */
  CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium'),
  /** Set by electron-vite in development: the renderer's dev server (ignored in a packaged app). */
  ELECTRON_RENDERER_URL: z.url().optional(),
  /** Whether `uis web` can open a browser on Linux. */
  DISPLAY: z.string().optional(),
  WAYLAND_DISPLAY: z.string().optional(),
  /** The OS's app-data folders (dataDir's defaults). */
  APPDATA: z.string().optional(),
  XDG_DATA_HOME: z.string().optional(),
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

export function readEnv(env: RawEnv = processEnv()): Env {
  const parsed = Env.safeParse(setValues(env));
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
  if (process.platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'uis');
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'uis');
}

/** Whether a browser window can open (`uis web`): always off Linux, else with an X or Wayland display. */
export function hasDisplay(env: Env = readEnv()): boolean {
  return process.platform !== 'linux' || !!env.DISPLAY || !!env.WAYLAND_DISPLAY;
}

/** The demo workspace's size (unset: the generator's defaults). */
export function demoOptions(env: Env = readEnv()): { users?: number; days?: number; endDay?: string } {
  return { users: env.UIS_DEMO_USERS, days: env.UIS_DEMO_DAYS, endDay: env.UIS_DEMO_END_DAY };
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const cronPattern = z.string().refine((p) => {
  try {
    new Cron(p, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}, 'is not a valid cron pattern (e.g. "0 8 * * *")');

const emailList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(z.email('must be a comma-separated list of e-mail addresses')).min(1, 'must name at least one recipient'));

/** The digest's variables: checked where the digest runs (uis serve with SMTP_URL set, uis digest, its preview). */
const DigestEnv = z.object({
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional(),
  UIS_DIGEST_TO: emailList.optional(),
  UIS_DIGEST_FROM: z.string().min(3).default('User Intelligence System <uis-digest@localhost>'),
  UIS_DIGEST: z
    .string()
    .default('daily')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(DigestKind).min(1)),
  UIS_DIGEST_TZ: z.string().default('UTC').refine(isValidTimeZone, 'is not an IANA time zone (e.g. Europe/Berlin)'),
  UIS_DIGEST_DAILY_CRON: cronPattern.default('0 8 * * *'),
  UIS_DIGEST_WEEKLY_CRON: cronPattern.default('0 8 * * 1'),
  UIS_DIGEST_WORKSPACE: z.string().min(1).optional(),
});
export type DigestConfig = z.infer<typeof DigestEnv>;

/** `uis serve` sends the digest when SMTP_URL is set (the rest of its settings are then required). */
export function digestEnabled(env: RawEnv = processEnv()): boolean {
  return !!env.SMTP_URL;
}

export function readDigestConfig(env: RawEnv = processEnv()): DigestConfig {
  const parsed = DigestEnv.safeParse(Object.fromEntries(Object.entries(setValues(env)).filter(([k]) => k in DigestEnv.shape)));
  if (!parsed.success) throw new ConfigError(`Invalid environment: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** The benchmarks' own variables (`uis bench`), and the ones a benchmark passes to the process it forks. */
const BenchEnv = z.object({
  UIS_BENCH_PG_URL: z.url().optional(),
  UIS_TEST_PG_URL: z.url().optional(),
  BENCH_DATABASE_URL: z.string().optional(),
  BENCH_REDIS_URL: z.string().optional(),
  BENCH_PREFIX: z.string().optional(),
  BENCH_STATIC_BODY: z.string().optional(),
  UIS_BENCH_PLATFORM: z.string().optional(),
});
export type BenchEnv = z.infer<typeof BenchEnv>;

export function readBenchEnv(env: RawEnv = processEnv()): BenchEnv {
  const parsed = BenchEnv.safeParse(Object.fromEntries(Object.entries(setValues(env)).filter(([k]) => k in BenchEnv.shape)));
  if (!parsed.success) throw new ConfigError(`Invalid environment: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** The environment of a child process of ours (a benchmark's server, `uis web` under a bench): ours plus extra. */
export function childEnv(extra: RawEnv = {}): RawEnv {
  return { ...processEnv(), ...extra };
}

/** Only the named variables, where set: for a child that must not see the service's secrets (the Ask box). */
export function pickEnv(keys: readonly string[]): RawEnv {
  const env = processEnv();
  return Object.fromEntries(keys.filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
}
