import { z } from 'zod';
import { defineChannels, defineTopics } from '../contract.js';
import { SnapshotInfo } from '../metrics.js';
import { ConnectionTest, PgUrl, RedisUrl, WorkspaceInput, WorkspaceName, WorkspaceSummary } from '../metrics-workspace.js';

/** Workspaces: add, test, switch, remove, sync. Credentials go in, never come out (summaries carry redacted URLs). */
export const workspaceChannels = defineChannels({
  'workspace.list': {
    description: 'Every workspace (credentials redacted) and whether the OS keychain protects them.',
    input: z.object({}),
    output: z.object({ workspaces: z.array(WorkspaceSummary), secureStorage: z.boolean() }),
  },
  'workspace.active': {
    description: 'The active workspace (the demo one is created on first use) and its snapshot: age, counts, last day.',
    input: z.object({}),
    output: z.object({ workspace: WorkspaceSummary, snapshot: SnapshotInfo }),
  },
  'workspace.test': {
    description: 'Check PostgreSQL (+ Redis) connection strings, or those of a saved workspace, without saving anything.',
    input: z.union([z.object({ name: WorkspaceName }).strict(), z.object({ pgUrl: PgUrl, redisUrl: RedisUrl.optional() }).strict()]),
    output: ConnectionTest,
  },
  'workspace.add': {
    description: 'Save a workspace after its connections pass the test; activates it unless activate is false.',
    input: z.object({ workspace: WorkspaceInput, activate: z.boolean().default(true) }).strict(),
    output: z.object({ workspace: WorkspaceSummary, test: ConnectionTest.nullable() }),
  },
  'workspace.switch': {
    description: 'Make another saved workspace the active one.',
    input: z.object({ name: WorkspaceName }).strict(),
    output: WorkspaceSummary,
  },
  'workspace.remove': {
    description: 'Delete a saved workspace and its local snapshot (the demo workspace comes back on next use).',
    input: z.object({ name: WorkspaceName }).strict(),
    output: z.object({ removed: z.boolean() }),
  },
  'workspace.sync': {
    description: 'Start pulling what changed in PostgreSQL into the snapshot: returns a job id (progress on jobs.update, cancel with jobs.cancel).',
    input: z.object({}),
    output: z.object({ jobId: z.string() }),
  },
  'workspace.health': {
    description: 'Whether the active workspace\'s sources answer right now (the offline banner).',
    input: z.object({}),
    output: z.object({ online: z.boolean(), message: z.string(), checkedAt: z.string() }),
  },
});

export const workspaceTopics = defineTopics({
  /** The active workspace changed or its snapshot was refreshed: pages reload their data. */
  'workspace.changed': z.object({ name: z.string(), reason: z.enum(['switched', 'synced', 'added', 'removed']) }),
});
