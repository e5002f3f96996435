import { z } from 'zod';

/** Workspaces: one PostgreSQL (+ Redis) connection and its local snapshot, or the embedded demo. Pure types. */
/** The embedded demo workspace's name (created on first use; Settings can restore it after a remove). */
export const DEMO_WORKSPACE = 'demo';
export const WORKSPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const WorkspaceName = z.string().regex(WORKSPACE_NAME, 'letters, digits, _ and - only (max 64), starting with a letter or digit');

export const LlmSettingsInput = z
  .object({
    baseUrl: z.url().optional(),
    model: z.string().min(1).max(200).optional(),
    apiKey: z.string().min(1).max(500).optional(),
  })
  .strict();

export const WorkspaceInput = z
  .object({
    name: WorkspaceName,
    kind: z.enum(['demo', 'postgres']),
    pgUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://').optional(),
    redisUrl: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
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
  /** Connection strings with the password replaced by ***. */
  pgUrl: z.string().nullable(),
  redisUrl: z.string().nullable(),
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
