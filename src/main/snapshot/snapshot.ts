import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SnapshotInfo } from '../../shared/metrics.js';
import { sweepIntelligenceLeftovers } from './forget.js';
import { checkpointInBackground, type CheckpointResult } from './checkpoint.js';
import { ROLLUPS_VERSION } from './rollups.js';
import { SNAPSHOT_SCHEMA_VERSION, ensureSnapshotSchema } from './schema.js';

export type SnapshotSource = 'demo' | 'postgres';

/** A workspace's local SQLite copy of the product data (see schema.ts). One writer (sync/demo), many readers. */
export class Snapshot {
  readonly db: Database.Database;
  /** Changes this connection made to the analytics engines' temp tables, which are not data (see the planner's version). */
  scratchChanges = 0;

  constructor(
    readonly file: string,
    opts: { readonly?: boolean } = {},
  ) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    if (!opts.readonly) {
      // WAL: the workbench keeps reading while a sync writes.
      if (file !== ':memory:') this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      // What is deleted or rewritten is overwritten with zeros, not left in free space: a forgotten user's rows must
      // not stay readable in the file (snapshot/forget.ts). Per connection, so set on every open.
      this.db.pragma('secure_delete = ON');
      ensureSnapshotSchema(this.db);
      if (this.getMeta('schema_version') === null) {
        this.setMeta('schema_version', String(SNAPSHOT_SCHEMA_VERSION));
        // A new file: nothing was ever freed without secure_delete (an older snapshot is vacuumed at its next forget).
        this.setMeta('secure_delete', '1');
      }
      // Which snapshot the column store copied (columnar.ts): a file made anew at the same path is another one.
      if (this.getMeta('snapshot_id') === null) this.setMeta('snapshot_id', randomUUID());
      sweepIntelligenceLeftovers(this);
    }
    this.db.pragma('cache_size = -65536');
    this.db.pragma('temp_store = MEMORY');
  }

  getMeta(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  get source(): SnapshotSource {
    return this.getMeta('source') === 'postgres' ? 'postgres' : 'demo';
  }

  info(now = new Date()): SnapshotInfo {
    const lastSyncAt = this.getMeta('last_sync_at');
    const count = (table: string) => (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    // Events from the per-day aggregates: exact by construction, and no scan of a 10M-row table.
    const perDay = this.getMeta('rollups') === ROLLUPS_VERSION ? 'agg_day' : 'agg_user_day';
    const events = (this.db.prepare(`SELECT COALESCE(SUM(events), 0) AS n FROM ${perDay}`).get() as { n: number }).n;
    const latest = this.db.prepare('SELECT MAX(day) AS d FROM agg_user_day').get() as { d: string | null };
    return {
      lastSyncAt,
      ageSeconds: snapshotAgeSeconds(lastSyncAt, now),
      source: this.source,
      counts: { users: count('users'), conversations: count('conversations'), events },
      latestDay: latest.d,
    };
  }

  /** The last background checkpoint requested (tests wait for it). */
  checkpointing: Promise<CheckpointResult | null> = Promise.resolve(null);
  private checkpointQueued = false;

  /**
   * Stops SQLite from checkpointing inside this connection's commits (a sync's writes then cost only their WAL
   * append; the sync calls requestCheckpoint() as it goes); resume() restores the setting and checkpoints once more on
   * the worker thread (calling it again does nothing). A no-op in memory.
   */
  pauseAutoCheckpoint(): () => void {
    if (this.file === ':memory:' || !this.db.open) return () => {};
    const previous = this.db.pragma('wal_autocheckpoint', { simple: true }) as number;
    this.db.pragma('wal_autocheckpoint = 0');
    let resumed = false;
    return () => {
      if (resumed || !this.db.open) return;
      resumed = true;
      this.db.pragma(`wal_autocheckpoint = ${previous}`);
      this.requestCheckpoint();
    };
  }

  /**
   * Copies the WAL into the database file on a worker thread, on the other core, while this thread goes on writing
   * (it keeps a long sync's WAL small). At most one runs and one waits: the waiting one covers every frame written
   * until it starts. A failed checkpoint loses nothing: the WAL stays, and SQLite checkpoints it at a later commit.
   */
  requestCheckpoint(): void {
    if (this.file === ':memory:' || this.checkpointQueued) return;
    this.checkpointQueued = true;
    this.checkpointing = this.checkpointing.then(async () => {
      this.checkpointQueued = false;
      // Where the worker cannot run (a packaging problem), the same checkpoint runs here: slower, never unbounded.
      const result = await checkpointInBackground(this.file).catch(() => this.checkpointHere());
      if (result) this.walFrames = result.log;
      return result;
    });
  }

  private checkpointHere(): CheckpointResult | null {
    if (!this.db.open) return null;
    try {
      return (this.db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[])[0] ?? null;
    } catch {
      return null;
    }
  }

  /** Frames in the WAL at the last background checkpoint (4 KB each). */
  walFrames = 0;

  /**
   * While writes go on, a background checkpoint always lags a little, and SQLite only starts the WAL over when all of
   * it has been copied: past ~64 MB of WAL, a long sync waits once for the checkpoint to catch up (then its next
   * write starts the WAL over).
   */
  async boundWal(maxFrames = 16_384): Promise<void> {
    if (this.walFrames <= maxFrames) return;
    this.requestCheckpoint();
    await this.checkpointing;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Seconds since the last sync (null before the first). */
export function snapshotAgeSeconds(lastSyncAt: string | null, now: Date): number | null {
  return lastSyncAt ? Math.max(0, Math.round((now.getTime() - Date.parse(lastSyncAt)) / 1000)) : null;
}

/** Opens (creating if needed) the snapshot file. */
export function openSnapshot(file: string, opts: { readonly?: boolean } = {}): Snapshot {
  return new Snapshot(file, opts);
}
