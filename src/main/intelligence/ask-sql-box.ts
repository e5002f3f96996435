import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { describeSchema, runReadOnlySql } from './ask-sql.js';
import type { BoxReply, BoxRequest } from './ask-sql-host.js';

/**
 * The Ask box: a process of its own that opens the snapshot read-only and runs the LLM's SQL (src/main/intelligence/
 * ask-sql.ts). The service kills it at the wall-clock limit or on cancel: a statement runs inside one native call that
 * neither a worker thread's terminate() nor a signal handler can interrupt, so only a process can be stopped for sure.
 * Started by ask-sql-host.ts with child_process.fork (Node, tsx, vitest) or Electron's utilityProcess (the app).
 */
interface ParentPort {
  on(event: 'message', listener: (e: { data: BoxRequest }) => void): void;
  postMessage(message: BoxReply): void;
}
const electronPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
const send = (m: BoxReply) => (electronPort ? electronPort.postMessage(m) : process.send?.(m));

// If the service dies (even by SIGKILL) while a statement runs, this thread notices and ends the box: the main
// thread may be inside a never-ending native call, but process.kill from another thread still lands.
const parent = process.ppid;
new Worker(
  `const { workerData } = require('node:worker_threads');
setInterval(() => {
  try { process.kill(workerData.parent, 0); } catch { process.kill(workerData.pid, 'SIGKILL'); }
}, 500);`,
  { eval: true, workerData: { parent, pid: process.pid }, execArgv: [] },
);

let db: Database.Database | null = null;

function handle(m: BoxRequest): void {
  try {
    if (m.op === 'open') {
      db = new Database(m.file, { readonly: true, fileMustExist: true });
      db.pragma('query_only = ON');
      send({ id: m.id, schema: describeSchema(db) });
    } else {
      if (!db) throw new Error('the snapshot is not open');
      send({ id: m.id, query: runReadOnlySql(db, m.sql, m.caps) });
    }
  } catch (err) {
    send({ id: m.id, error: String((err as Error)?.message ?? err).slice(0, 300) });
  }
}

if (electronPort) electronPort.on('message', (e) => handle(e.data));
else process.on('message', (m) => handle(m as BoxRequest));
process.on('disconnect', () => process.exit(0));
