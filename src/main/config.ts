import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../shared/event.js';

/** Every environment variable the system reads, validated once. Documented in README "Configuration". */
const Env = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  REDIS_URL: z.string().min(1).optional(),
  UIS_API_TOKEN: z.string().min(8, 'must be at least 8 characters').optional(),
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HOST: z.string().optional(),
  UIS_DATA_DIR: z.string().optional(),
  UIS_WEB_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  UIS_REDIS_PREFIX: z.string().default(''),
  UIS_STREAM_MAXLEN: z.coerce.number().int().min(0).default(1_000_000),
  UIS_CAPTURE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.string().url().optional(),
  UIS_MODEL: z.string().default('gpt-4o-mini'),
  /** Wall-clock limit of one Ask statement; its process is killed when it passes. */
  UIS_ASK_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
});
export type Env = z.infer<typeof Env>;

export class ConfigError extends Error {}

export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const parsed = Env.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) throw new ConfigError(`Invalid environment: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** The OS's app-data folder (or UIS_DATA_DIR): workspaces and their SQLite snapshots live here. */
export function dataDir(env: Env = readEnv()): string {
  if (env.UIS_DATA_DIR) return path.resolve(env.UIS_DATA_DIR);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'uis');
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'uis');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'uis');
}
