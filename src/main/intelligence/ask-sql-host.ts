import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pickEnv } from '../config.js';
import type { AskQuery } from '../../shared/intelligence.js';
import type { SqlCaps } from './ask-sql.js';

/**
 * The service's side of the Ask box (ask-sql-box.ts): starts the box process, sends it statements, and kills it when
 * a statement passes the wall-clock limit or the Ask job is cancelled. The main thread only waits on messages, so
 * ingest, the Context API, /healthz and the relay keep running while a statement runs.
 */
export type BoxRequest = { id: number; op: 'open'; file: string } | { id: number; op: 'query'; sql: string; caps: SqlCaps };
export type BoxReply = { id: number; schema?: string; query?: AskQuery; error?: string };

/** One box process, however it was started. */
export interface BoxProcess {
  send(message: BoxRequest): void;
  onMessage(listener: (message: BoxReply) => void): void;
  /** Called once when the process ends, whatever the cause. */
  onExit(listener: (why: string) => void): void;
  kill(): void;
}
export type BoxSpawner = (env: NodeJS.ProcessEnv) => BoxProcess;

/** Time for the box to start and open the snapshot (tsx compiles the box on a cold start). */
const STARTUP_LIMIT_MS = 30_000;

/**
 * The environment the box gets: enough to run Node and find a temp folder, never the service's secrets (API keys,
 * database URLs, tokens).
 */
function boxEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'SystemRoot', 'USERPROFILE', 'LANG'];
  return pickEnv(keep);
}

/** The box's entry: the tsx bootstrap next to the sources, or the bundled ask-sql-box.js of a build. */
export function boxEntry(from: string = fileURLToPath(import.meta.url)): string {
  const dir = path.dirname(from);
  if (from.endsWith('.ts')) return path.join(dir, 'ask-sql-box.mjs');
  const candidates = [path.join(dir, 'ask-sql-box.js'), path.join(dir, '..', 'ask-sql-box.js')];
  return candidates.find((c) => fs.existsSync(c)) ?? candidates[0];
}

/** child_process.fork: the `uis` command, `uis serve`, `uis web` and the tests (plain Node, no loader flags). */
export const nodeBoxSpawner: BoxSpawner = (env) => {
  const child = fork(boxEntry(), [], { env, execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
  return {
    send: (m) => child.send(m),
    onMessage: (listener) => child.on('message', (m) => listener(m as BoxReply)),
    onExit: (listener) => {
      let told = false;
      const tell = (why: string) => !told && ((told = true), listener(why));
      child.once('exit', (code, signal) => tell(signal ? `killed by ${signal}` : `exit code ${code}`));
      child.once('error', (err) => tell(err.message));
    },
    kill: () => {
      child.kill('SIGKILL');
    },
  };
};

let spawner: BoxSpawner = nodeBoxSpawner;
/** The desktop app starts the box with Electron's utilityProcess (src/main/electron/ask-box.ts). */
export function setAskBoxSpawner(s: BoxSpawner): void {
  spawner = s;
}

class TimeLimit extends Error {}

export interface AskSqlBoxOptions {
  /** Wall-clock limit of one statement; the box is killed when it passes (and restarted for the next one). */
  timeoutMs: number;
  /** Kills the box at once. */
  signal?: AbortSignal;
  spawn?: BoxSpawner;
}

/** The box of one Ask: opened on the snapshot, closed (killed) when the Ask ends. */
export class AskSqlBox {
  private proc: BoxProcess | null = null;
  private readonly pending = new Map<number, { proc: BoxProcess; resolve: (r: BoxReply) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private closed = false;
  schema = '';

  private constructor(
    private readonly file: string,
    private readonly opts: AskSqlBoxOptions,
  ) {
    opts.signal?.addEventListener('abort', () => this.close(), { once: true });
  }

  static async open(file: string, opts: AskSqlBoxOptions): Promise<AskSqlBox> {
    const box = new AskSqlBox(file, opts);
    try {
      await box.start();
    } catch (err) {
      box.close();
      throw err;
    }
    return box;
  }

  private async start(): Promise<void> {
    const proc = (this.opts.spawn ?? spawner)(boxEnv());
    this.proc = proc;
    proc.onMessage((m) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.resolve(m);
    });
    proc.onExit((why) => {
      if (this.proc === proc) this.proc = null;
      // Only this process's statements: a box killed at the limit may end after its successor started.
      for (const [id, p] of this.pending) {
        if (p.proc !== proc) continue;
        this.pending.delete(id);
        p.reject(new Error(`the query process stopped (${why})`));
      }
    });
    const reply = await this.request({ id: 0, op: 'open', file: this.file }, STARTUP_LIMIT_MS);
    if (reply.error !== undefined) throw new Error(`Ask could not open the snapshot: ${reply.error}`);
    this.schema = reply.schema ?? '';
  }

  private request(message: BoxRequest, limitMs: number): Promise<BoxReply> {
    const proc = this.proc;
    if (!proc || this.closed) return Promise.reject(this.abortError());
    const id = ++this.nextId;
    return new Promise<BoxReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TimeLimit());
        this.kill();
      }, limitMs);
      const done = <A>(f: (a: A) => void) => (a: A) => {
        clearTimeout(timer);
        f(a);
      };
      this.pending.set(id, { proc, resolve: done(resolve), reject: done(reject) });
      proc.send({ ...message, id });
    });
  }

  /** Runs one statement; a statement that passes the limit comes back with `timedOut` and an error. */
  async query(sql: string, caps: SqlCaps): Promise<AskQuery> {
    const failed = (error: string, timedOut = false): AskQuery => ({ sql, columns: [], rows: [], truncated: false, error, timedOut });
    try {
      if (!this.proc && !this.closed) await this.start();
      const reply = await this.request({ id: 0, op: 'query', sql, caps }, this.opts.timeoutMs);
      return reply.query ?? failed(reply.error ?? 'no result');
    } catch (err) {
      if (this.closed) throw this.abortError();
      if (err instanceof TimeLimit) return failed(`stopped at the time limit: the query ran longer than ${this.opts.timeoutMs / 1000} s`, true);
      return failed((err as Error).message);
    }
  }

  private abortError(): Error {
    const reason = this.opts.signal?.reason;
    return reason instanceof Error ? reason : Object.assign(new Error('Cancelled'), { name: 'AbortError' });
  }

  private kill(): void {
    const proc = this.proc;
    this.proc = null;
    proc?.kill();
  }

  /** Kills the box; pending statements fail. */
  close(): void {
    this.closed = true;
    this.kill();
  }
}
