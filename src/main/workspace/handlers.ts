import type { workspaceChannels } from '../../shared/api/workspace.js';
import type { SyncProgress, SyncResult } from '../../shared/metrics-workspace.js';
import { syncFromPostgres } from '../snapshot/sync.js';
import { testConnection } from './connection.js';
import { CoreError } from '../core/errors.js';
import type { HandlersFor } from '../core/types.js';
import { activeWorkspace, asCoreError, reopenActive, workspaceStore } from './session.js';

const SYNC_PHASES: SyncProgress['phase'][] = ['connecting', 'users', 'conversations', 'events', 'forgotten', 'derive', 'write', 'done'];
const PHASE_LABEL: Record<SyncProgress['phase'], string> = {
  connecting: 'Connecting to PostgreSQL',
  users: 'Users',
  conversations: 'Conversations',
  events: 'Events',
  forgotten: 'Applying deletions',
  derive: 'Computing aggregates',
  write: 'Writing the snapshot to disk',
  done: 'Done',
};

/** Progress of a sync as one fraction: each phase is a slice, filled by rows / totalRows when the total is known. */
export function syncFraction(p: SyncProgress): number {
  const i = Math.max(0, SYNC_PHASES.indexOf(p.phase));
  const within = p.totalRows ? Math.min(1, p.rows / p.totalRows) : 0;
  return Math.min(1, (i + within) / (SYNC_PHASES.length - 1));
}

function rethrow(err: unknown): never {
  throw asCoreError(err);
}

export const workspaceHandlers: HandlersFor<typeof workspaceChannels> = {
  'workspace.list': async (_input, ctx) => {
    const store = await workspaceStore(ctx);
    store.getActive(); // the demo workspace exists from the first look on
    return { workspaces: store.list(), secureStorage: ctx.secretStore.osBacked };
  },

  'workspace.active': async (_input, ctx) => {
    const active = await activeWorkspace(ctx);
    return { workspace: active.workspace, snapshot: active.snapshot.info() };
  },

  'workspace.test': async (input, ctx) => {
    if ('name' in input) {
      const store = await workspaceStore(ctx);
      const ws = (() => {
        try {
          return store.get(input.name);
        } catch (err) {
          return rethrow(err);
        }
      })();
      if (ws.kind === 'demo') return { ok: true, postgres: { ok: true, message: 'Demo workspace: built-in data, no servers needed' }, redis: null };
      const secrets = store.secretsOf(input.name);
      return testConnection(secrets.pgUrl!, secrets.redisUrl);
    }
    return testConnection(input.pgUrl, input.redisUrl);
  },

  'workspace.add': async ({ workspace, activate }, ctx) => {
    const store = await workspaceStore(ctx);
    let test = null;
    if (workspace.kind === 'postgres') {
      test = await testConnection(workspace.pgUrl!, workspace.redisUrl);
      if (!test.ok) {
        // Nothing is saved and the current workspace stays active.
        const failed = [test.postgres, test.redis].filter((c) => c && !c.ok).map((c) => c!.message);
        throw new CoreError('connection_failed', `Could not connect: ${failed.join('; ')}`);
      }
    }
    try {
      const summary = store.add(workspace, { activate });
      if (activate) await reopenActive(ctx, 'added');
      return { workspace: summary, test };
    } catch (err) {
      return rethrow(err);
    }
  },

  'workspace.switch': async ({ name }, ctx) => {
    const store = await workspaceStore(ctx);
    try {
      const summary = store.switch(name);
      await reopenActive(ctx, 'switched');
      return summary;
    } catch (err) {
      return rethrow(err);
    }
  },

  'workspace.remove': async ({ name }, ctx) => {
    const store = await workspaceStore(ctx);
    const wasActive = store.getActive().name === name;
    // Close the snapshot before its folder is deleted.
    if (wasActive) await ctx.dropResource('workspace.active');
    try {
      store.remove(name);
    } catch (err) {
      return rethrow(err);
    }
    await reopenActive(ctx, 'removed');
    return { removed: true };
  },

  'workspace.sync': async (_input, ctx) => {
    const running = ctx.jobs.list().find((j) => j.kind === 'sync' && j.state === 'running');
    if (running) throw new CoreError('conflict', 'A sync is already running');
    const store = await workspaceStore(ctx);
    const { workspace, snapshot } = await activeWorkspace(ctx);
    const jobId = ctx.jobs.start('sync', async ({ signal, progress }): Promise<SyncResult> => {
      if (workspace.kind === 'demo') {
        const info = snapshot.info();
        progress(1, 'The demo workspace is generated locally: nothing to sync');
        return { ...info.counts, forgotten: 0, durationMs: 0, full: false, lastSyncAt: info.lastSyncAt ?? new Date().toISOString() };
      }
      const { pgUrl } = store.secretsOf(workspace.name);
      if (!pgUrl) throw new CoreError('invalid_input', `Workspace "${workspace.name}" has no PostgreSQL connection`);
      try {
        const result = await syncFromPostgres(snapshot, pgUrl, {
          signal,
          onProgress: (p) => progress(syncFraction(p), `${PHASE_LABEL[p.phase]}${p.rows ? `: ${p.rows.toLocaleString('en-US')} rows` : ''}`),
        });
        progress(1, `Synced ${result.events.toLocaleString('en-US')} events`);
        return result;
      } catch (err) {
        if (signal.aborted) throw new CoreError('cancelled', 'Sync cancelled (what was copied is kept)');
        throw new CoreError('connection_failed', `Sync failed: ${(err as Error).message}`);
      } finally {
        await reopenActive(ctx, 'synced');
      }
    });
    return { jobId };
  },

  'workspace.health': async (_input, ctx) => {
    const store = await workspaceStore(ctx);
    const ws = store.getActive();
    const checkedAt = new Date().toISOString();
    if (ws.kind === 'demo') return { online: true, message: 'Demo workspace: built-in data', checkedAt };
    const secrets = store.secretsOf(ws.name);
    const test = await testConnection(secrets.pgUrl!, secrets.redisUrl, 3000);
    const failed = [test.postgres, test.redis].filter((c) => c && !c.ok).map((c) => c!.message);
    return { online: test.ok, message: test.ok ? 'Sources reachable' : failed.join('; '), checkedAt };
  },
};
