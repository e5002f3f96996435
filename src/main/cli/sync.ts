import fs from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import type { SyncResult } from '../../shared/metrics-workspace.js';
import { ConfigError, readEnv } from '../config.js';
import { ColumnarStore } from '../snapshot/columnar.js';
import { openSnapshot, type Snapshot } from '../snapshot/snapshot.js';
import { SyncCancelledError, syncFromPostgres } from '../snapshot/sync.js';
import { WorkspaceStore } from '../workspace/store.js';
import { parseOption } from './options.js';

const SyncFlags = z.object({ workspace: z.string().optional(), quiet: z.boolean().optional() });

/** The workspace to sync: --workspace, else DATABASE_URL (as workspace "env"), else the active one. */
export function resolvePostgresWorkspace(store: WorkspaceStore, name: string | undefined): { name: string; pgUrl: string } {
  if (!name) {
    const env = readEnv();
    if (env.DATABASE_URL) {
      const existing = store.list().find((w) => w.name === 'env');
      if (!existing || store.secretsOf('env').pgUrl !== env.DATABASE_URL) {
        // Another database: the old snapshot describes different data.
        for (const suffix of ['', '-wal', '-shm']) fs.rmSync(store.snapshotPath('env') + suffix, { force: true });
        store.add({ name: 'env', kind: 'postgres', pgUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL }, { activate: true, replace: true });
      }
      return { name: 'env', pgUrl: env.DATABASE_URL };
    }
  }
  const ws = name ? store.get(name) : store.getActive();
  const { pgUrl } = store.secretsOf(ws.name);
  if (ws.kind !== 'postgres' || !pgUrl) {
    throw new ConfigError(`workspace "${ws.name}" is the demo: set DATABASE_URL or pass --workspace with a PostgreSQL workspace`);
  }
  return { name: ws.name, pgUrl };
}

/** Runs a sync with progress on stderr; Ctrl-C cancels cleanly. */
export async function runSync(store: WorkspaceStore, name: string | undefined, quiet = false): Promise<SyncResult> {
  const target = resolvePostgresWorkspace(store, name);
  const snapshot = openSnapshot(store.snapshotPath(target.name));
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const result = await syncFromPostgres(snapshot, target.pgUrl, {
      signal: abort.signal,
      onProgress: quiet
        ? undefined
        : (p) => {
            if (p.phase === 'done') return;
            const of = p.totalRows !== null ? `/${p.totalRows}` : '';
            process.stderr.write(`\rsync ${target.name}: ${p.phase} ${p.rows}${of} (${(p.elapsedMs / 1000).toFixed(1)} s)   `);
          },
    });
    await updateColumnStore(snapshot, abort.signal, quiet);
    return result;
  } catch (err) {
    if (err instanceof SyncCancelledError) throw new ConfigError('sync cancelled: the snapshot keeps what was pulled; the next sync resumes');
    throw err;
  } finally {
    if (!quiet) process.stderr.write('\n');
    process.off('SIGINT', onSigint);
    snapshot.close();
  }
}

/**
 * The snapshot's column store (segments' grouped rows, src/main/snapshot/columnar.ts) brought up to the synced data,
 * so `uis analytics --tool …` and the workbench read it at once. Never fails the sync: where DuckDB cannot open the
 * file (the workbench holds it), the workbench brings it up to date itself.
 */
async function updateColumnStore(snapshot: Snapshot, signal: AbortSignal, quiet: boolean): Promise<void> {
  const started = performance.now();
  const store = await ColumnarStore.open(snapshot.file).catch((err: unknown) => {
    if (!quiet) process.stderr.write(`\ncolumn store not updated (${(err as Error).message}); the workbench updates it when it next opens\n`);
    return null;
  });
  if (!store) return;
  const stop = () => void store.close();
  signal.addEventListener('abort', stop, { once: true });
  try {
    const done = await store.catchUp(snapshot);
    if (!quiet) process.stderr.write(`\ncolumn store ${done ? 'up to date' : 'not updated (cancelled)'} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    signal.removeEventListener('abort', stop);
    await store.close();
  }
}

export function registerSyncCommand(program: Command): void {
  program
    .command('sync')
    .description('pull what changed in PostgreSQL into the workspace snapshot (incremental, read-only)')
    .option('--workspace <name>', 'workspace to sync (default: DATABASE_URL as workspace "env", else the active one)')
    .option('--quiet', 'no progress output')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOption(SyncFlags, raw);
      const r = await runSync(new WorkspaceStore(), o.workspace, o.quiet);
      console.log(
        `${r.full ? 'First' : 'Incremental'} sync done in ${(r.durationMs / 1000).toFixed(2)} s: ${r.users} users, ${r.conversations} conversations, ${r.events} events` +
          (r.forgotten ? `, ${r.forgotten} forgotten users removed` : ''),
      );
    });
}
