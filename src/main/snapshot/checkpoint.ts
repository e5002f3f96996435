import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** SQLite's answer to `PRAGMA wal_checkpoint`: frames in the WAL and frames copied into the database file. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

// The worker is plain CommonJS given as source, so it runs the same under tsx, node and the Electron bundle; the
// driver is the main thread's own better-sqlite3, by absolute path (better-sqlite3 supports worker threads).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
parentPort.on('message', ({ id, file }) => {
  let db;
  try {
    db = new Database(file, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ id, result });
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  } finally {
    if (db) try { db.close(); } catch {}
  }
});`;

let worker: Worker | null = null;
let nextId = 0;
const waiting = new Map<number, { resolve: (r: CheckpointResult) => void; reject: (e: Error) => void }>();

function checkpointWorker(): Worker {
  if (worker) return worker;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  // execArgv: [] so that the parent's flags (a loader, --input-type=module) never change how this source is read.
  const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver }, execArgv: [] });
  w.on('message', (m: { id: number; result?: CheckpointResult; error?: string }) => {
    const p = waiting.get(m.id);
    waiting.delete(m.id);
    if (waiting.size === 0) w.unref();
    if (!p) return;
    if (m.result) p.resolve(m.result);
    else p.reject(new Error(`background checkpoint failed: ${m.error}`));
  });
  w.on('error', (err) => {
    for (const p of waiting.values()) p.reject(err);
    waiting.clear();
    worker = null;
  });
  w.on('exit', () => {
    worker = null;
  });
  // Idle, it never keeps a process alive (after the listeners: adding one refs the worker again).
  w.unref();
  worker = w;
  return w;
}

/**
 * Copies a database's WAL back into its file on another thread and another connection (a PASSIVE checkpoint: it
 * never blocks this thread's readers or writers). The copy and its fsync cost a 10k-event sync ~0.3 s when SQLite
 * does them inside the sync's own commit.
 */
export function checkpointInBackground(file: string): Promise<CheckpointResult> {
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    const w = checkpointWorker();
    // Referenced while a checkpoint runs: a CLI that synced exits once it is done (a few hundred ms), WAL folded in.
    w.ref();
    w.postMessage({ id, file });
  });
}
