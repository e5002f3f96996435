import type { LlmSettingsChange, WorkspaceSummary } from '../../shared/metrics-workspace.js';
import { demoOptions } from '../config.js';
import { generateDemo } from '../demo/generate.js';
import { writeDemoToSnapshot } from '../demo/sinks.js';
import { ColumnarStore } from '../snapshot/columnar.js';
import { openSnapshot, type Snapshot } from '../snapshot/snapshot.js';
import type { LlmConfig } from '../llm/client.js';
import { resolveLlm, type ResolvedLlm } from './llm.js';
import { WorkspaceError, WorkspaceStore } from './store.js';
import { CoreError } from '../core/errors.js';
import type { CoreContext } from '../core/types.js';

/**
 * The active workspace as the handlers see it: one WorkspaceStore per core, and one open snapshot for the active
 * workspace, reopened after a switch or a sync. Any feature's handler may use these (its analytics engine:
 * activeEngine in src/main/analytics/active.ts).
 */
export function workspaceStore(ctx: CoreContext): Promise<WorkspaceStore> {
  return ctx.resource('workspace.store', () => new WorkspaceStore(ctx.dataDir, ctx.secretStore));
}

export interface ActiveWorkspace {
  workspace: WorkspaceSummary;
  snapshot: Snapshot;
  /** The snapshot's column store (segments' grouped rows); null where DuckDB could not open it (the engine reads SQLite). */
  columnar: ColumnarStore | null;
}

const ACTIVE_KEY = 'workspace.active';

export async function activeWorkspace(ctx: CoreContext): Promise<ActiveWorkspace> {
  const store = await workspaceStore(ctx);
  return ctx.resource(
    ACTIVE_KEY,
    async () => {
      const workspace = store.getActive();
      const snapshot = openSnapshot(workspace.snapshotPath);
      try {
        // The demo workspace fills its snapshot on first open: a newcomer sees a full dashboard with no servers.
        if (workspace.kind === 'demo' && snapshot.info().counts.events === 0) {
          ctx.log('Generating the demo workspace…');
          writeDemoToSnapshot(snapshot, generateDemo(demoOptions()));
        }
      } catch (err) {
        snapshot.close();
        throw err;
      }
      const columnar = await ColumnarStore.open(snapshot.file).catch((err: unknown) => {
        ctx.log(`column store unavailable, segments read the snapshot: ${(err as Error).message}`);
        return null;
      });
      // Brought up to the snapshot's data in the background (after a sync, a first open): segments read SQLite until then.
      columnar?.catchUp(snapshot).catch((err: unknown) => ctx.log(`column store not updated: ${(err as Error).message}`));
      return { workspace, snapshot, columnar };
    },
    async (a) => {
      await a.columnar?.close();
      a.snapshot.close();
    },
  );
}

/** After a switch, add, remove or sync: close the snapshot so the next call opens the right one, and tell the pages. */
export async function reopenActive(ctx: CoreContext, reason: 'switched' | 'synced' | 'added' | 'removed'): Promise<void> {
  await ctx.dropResource(ACTIVE_KEY);
  const store = await workspaceStore(ctx);
  ctx.publish('workspace.changed', { name: store.getActive().name, reason });
}

/** WorkspaceStore errors → the codes of the contract. */
export function asCoreError(err: unknown): unknown {
  const code = (err as { code?: string }).code;
  const message = (err as Error).message;
  if (code === 'not_found') return new CoreError('not_found', message);
  if (code === 'exists') return new CoreError('conflict', message);
  if (code === 'invalid') return new CoreError('invalid_input', message);
  if (code === 'last_workspace') return new CoreError('conflict', message);
  return err;
}

/**
 * The LLM a workspace uses (the active one without a name): Settings → AI over the environment defaults
 * (resolveLlm, the one resolution every LLM caller goes through). A bad environment value names the variable.
 */
export async function workspaceLlm(ctx: CoreContext, name?: string, override?: LlmSettingsChange): Promise<ResolvedLlm> {
  const store = await workspaceStore(ctx);
  try {
    return resolveLlm(store, name, { override });
  } catch (err) {
    if (err instanceof WorkspaceError) throw asCoreError(err);
    throw new CoreError('invalid_config', `LLM configuration: ${(err as Error).message}`);
  }
}

export async function workspaceLlmConfig(ctx: CoreContext, name?: string): Promise<LlmConfig | null> {
  return (await workspaceLlm(ctx, name)).config;
}
