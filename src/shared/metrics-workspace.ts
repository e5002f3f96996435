import { z } from 'zod';

/** Workspaces: one PostgreSQL (+ Redis) connection and its local snapshot, or the embedded demo. Pure types. */
/** The embedded demo workspace's name (created on first use; Settings can restore it after a remove). */
export const DEMO_WORKSPACE = 'demo';
export const WORKSPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const WorkspaceName = z.string().regex(WORKSPACE_NAME, 'letters, digits, _ and - only (max 64), starting with a letter or digit');

const ENCODE_HINT = 'percent-encode @ # / ? in the user name or password (%40 %23 %2F %3F)';

/**
 * Why a connection URL can't be used as written, or null. Read with WHATWG URL, as pg-connection-string and ioredis
 * read it (with pg-connection-string's allowance for an empty host: postgres://user:pass@/db?host=/socket).
 * A password with an unencoded # / ? splits the URL elsewhere than the user meant: refused with a hint.
 */
export function connectionUrlProblem(value: string, schemes: readonly string[]): string | null {
  const m = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(value);
  if (!m || !schemes.includes(m[1].toLowerCase())) return `must start with ${schemes.map((p) => `${p}//`).join(' or ')}`;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    try {
      u = new URL(value.replace('@/', '@___DUMMY___/'));
    } catch {
      return `is not a valid URL (${ENCODE_HINT})`;
    }
  }
  if (u.hash || u.pathname.includes('@')) return `is not a valid URL (${ENCODE_HINT})`;
  return null;
}

const connectionUrl = (schemes: readonly string[]) =>
  z
    .string()
    .max(4000)
    .superRefine((v, ctx) => {
      const problem = connectionUrlProblem(v, schemes);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
export const PgUrl = connectionUrl(['postgres:', 'postgresql:']);
export const RedisUrl = connectionUrl(['redis:', 'rediss:']);

export const LlmSettingsInput = z
  .object({
    /** May carry credentials (user:pass@, ?api-key=): sealed like the connection strings, shown redacted. */
    baseUrl: connectionUrl(['http:', 'https:']).optional(),
    model: z.string().min(1).max(200).optional(),
    apiKey: z.string().min(1).max(500).optional(),
  })
  .strict();

/** A change to a workspace's LLM settings: a value sets the field, null clears it, absent keeps it. */
export const LlmSettingsChange = z
  .object({
    baseUrl: LlmSettingsInput.shape.baseUrl.unwrap().nullable().optional(),
    model: LlmSettingsInput.shape.model.unwrap().nullable().optional(),
    apiKey: LlmSettingsInput.shape.apiKey.unwrap().nullable().optional(),
  })
  .strict();
export type LlmSettingsChange = z.input<typeof LlmSettingsChange>;

/** Where each part of the LLM configuration in use comes from: the workspace (Settings → AI), the environment, or the built-in default. */
export const LlmOrigin = z.enum(['workspace', 'environment', 'default']);

/** The LLM configuration a workspace uses (never the key): what Settings → AI shows. */
export const EffectiveLlm = z.object({
  configured: z.boolean(),
  /** Redacted like the connection strings; null: the client's default (api.openai.com). */
  baseUrl: z.string().nullable(),
  model: z.string(),
  hasApiKey: z.boolean(),
  from: z.object({ baseUrl: LlmOrigin, model: LlmOrigin, apiKey: LlmOrigin }),
});
export type EffectiveLlm = z.infer<typeof EffectiveLlm>;

export const LlmTestResult = z.object({
  ok: z.boolean(),
  /** The model the server said answered (it may differ from the one asked for); null when nothing answered. */
  model: z.string().nullable(),
  requestedModel: z.string(),
  latencyMs: z.number(),
  /** The host of the base URL asked (no credentials), e.g. api.openai.com or 127.0.0.1:11434. */
  host: z.string(),
  message: z.string(),
});
export type LlmTestResult = z.infer<typeof LlmTestResult>;

export const WorkspaceInput = z
  .object({
    name: WorkspaceName,
    kind: z.enum(['demo', 'postgres']),
    pgUrl: PgUrl.optional(),
    redisUrl: RedisUrl.optional(),
    llm: LlmSettingsInput.optional(),
  })
  .strict()
  .refine((w) => w.kind !== 'postgres' || !!w.pgUrl, { message: 'required for a postgres workspace', path: ['pgUrl'] });
export type WorkspaceInput = z.input<typeof WorkspaceInput>;

/** What may leave the core: never a password or key in clear. */
export const WorkspaceSummary = z.object({
  name: z.string(),
  kind: z.enum(['demo', 'postgres']),
  active: z.boolean(),
  /** Connection strings with every credential replaced by *** (redactConnectionString). */
  pgUrl: z.string().nullable(),
  redisUrl: z.string().nullable(),
  /** baseUrl redacted like the connection strings. */
  llm: z.object({ baseUrl: z.string().nullable(), model: z.string().nullable(), hasApiKey: z.boolean() }),
  snapshotPath: z.string(),
  createdAt: z.string(),
});
export type WorkspaceSummary = z.infer<typeof WorkspaceSummary>;

export const ConnectionCheck = z.object({ ok: z.boolean(), message: z.string() });
export const ConnectionTest = z.object({ ok: z.boolean(), postgres: ConnectionCheck, redis: ConnectionCheck.nullable() });
export type ConnectionTest = z.infer<typeof ConnectionTest>;

export const SyncProgress = z.object({
  phase: z.enum(['connecting', 'users', 'conversations', 'events', 'forgotten', 'derive', 'write', 'done']),
  rows: z.number(),
  /** Estimated rows to pull in this phase (null when unknown). */
  totalRows: z.number().nullable(),
  elapsedMs: z.number(),
});
export type SyncProgress = z.infer<typeof SyncProgress>;

export const SyncResult = z.object({
  users: z.number(),
  conversations: z.number(),
  events: z.number(),
  forgotten: z.number(),
  durationMs: z.number(),
  full: z.boolean(),
  lastSyncAt: z.string(),
});
export type SyncResult = z.infer<typeof SyncResult>;
