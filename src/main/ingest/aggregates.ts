import type pg from 'pg';

/**
 * Conversation and profile aggregates are applied after the capture transaction (migrations/1764288000010,
 * docs/capture.md "Aggregates after the commit"): the capture trigger queues each batch's event ids in
 * uis_aggregate_queue, and uis_apply_aggregates() applies waiting rows, deleting them in the same transaction as the
 * updates (exactly once through aborts, crashes and replays) under an advisory lock (one applier at a time).
 */

/**
 * Held for a transaction that recomputes aggregates from the stored events (`uis forget`): no applier runs meanwhile,
 * so the events still waiting in the queue (notPending() false) are exactly those not yet counted.
 */
export const AGGREGATES_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('uis_aggregates'))";

/** SQL: the event `alias` has been applied (it is no longer waiting in uis_aggregate_queue). */
export const notPending = (alias: string) => `NOT EXISTS (SELECT 1 FROM uis_aggregate_queue q WHERE ${alias}.id = ANY (q.event_ids))`;

/** Queue rows one call takes at most (each holds up to 1,000 events; a capture batch is one row). */
export const APPLY_MAX_ROWS = 50;

const APPLY = 'SELECT applied, users FROM uis_apply_aggregates($1, $2)';

export interface AppliedPass {
  /** Events applied; 0 when nothing waited; -1 when another applier held the lock. */
  applied: number;
  /** Users whose profile or conversations changed. */
  users: string[];
}

/**
 * Applies what waits in the queue, once. `wait`: wait for an applier running now, then apply what it left (the
 * library's path: when this returns, every event committed before the call is applied, unless more than
 * `maxRows` rows waited). Without `wait`, returns -1 at once when another applier holds the lock.
 */
export async function applyAggregatesOnce(db: pg.Pool | pg.PoolClient, opts: { wait?: boolean; maxRows?: number } = {}): Promise<number> {
  return (await applyPass(db, opts)).applied;
}

/** applyAggregatesOnce() with the users it changed. */
export async function applyPass(db: pg.Pool | pg.PoolClient, opts: { wait?: boolean; maxRows?: number } = {}): Promise<AppliedPass> {
  try {
    const row = (await db.query<{ applied: number; users: string[] | null }>(APPLY, [opts.maxRows ?? APPLY_MAX_ROWS, opts.wait ?? false])).rows[0];
    return { applied: row.applied, users: row.users ?? [] };
  } catch (err) {
    // A database migrated only up to 1764288000009: its trigger still applies the aggregates itself.
    if ((err as { code?: string }).code === '42883') return { applied: 0, users: [] };
    throw err;
  }
}

/** Applies until nothing waits (waiting for a running applier first). Returns the events applied. */
export async function applyAllAggregates(db: pg.Pool | pg.PoolClient): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await applyAggregatesOnce(db, { wait: true, maxRows: 1000 });
    if (n <= 0) return total;
    total += n;
  }
}

export interface AggregateApplierOptions {
  /** Reported, then the applier goes on (the rows wait and are taken again). */
  onError?: (err: Error) => void;
  /** Poll when no notification came (a missed NOTIFY, a queue filled while another applier held the lock). */
  pollMs?: number;
  /**
   * How long a pass waits for more batches after the first one arrives (default 200 ms): a pass over several batches
   * of the same conversations updates each once (bench:capture, 'spread, merged'), and costs a fixed ~2 ms whatever
   * it holds. The freshness target is 1 s; 0 applies each batch as soon as it is notified.
   */
  gatherMs?: number;
  /** Each pass that applied something: its start and end (ms, performance.timeOrigin + now()) and its events. */
  onPass?: (startMs: number, endMs: number, events: number) => void;
  /** The users each pass changed (`uis serve` announces them to the Context API's caches). */
  onUsers?: (users: string[]) => void;
}

/**
 * `uis serve`'s applier: woken by NOTIFY uis_aggregates (sent by the capture trigger), it applies until the queue is
 * empty. Several processes may each run one: the advisory lock lets one apply at a time and the others skip.
 */
export class AggregateApplier {
  private listener: pg.PoolClient | null = null;
  private running = false;
  private wake: (() => void) | null = null;
  private pending = true;
  private loop: Promise<void> | null = null;
  /** Events applied by this process (benchmarks and tests read it). */
  applied = 0;

  constructor(
    private readonly pool: pg.Pool,
    readonly opts: AggregateApplierOptions = {},
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Asks for a pass now (the trigger's NOTIFY does the same). */
  kick(): void {
    this.pending = true;
    this.wake?.();
  }

  private async listen(): Promise<void> {
    if (this.listener) return;
    const client = await this.pool.connect();
    client.on('notification', () => this.kick());
    // A dropped LISTEN connection: forget it so the next pass connects again.
    // Released once: by this handler while it is the listener, else by stop() (which clears it first; an error on
    // the way out, e.g. the database shutting down, must not release it a second time).
    client.on('error', () => {
      if (this.listener !== client) return;
      this.listener = null;
      client.release(true);
    });
    await client.query('LISTEN uis_aggregates');
    this.listener = client;
  }

  private sleep(ms: number, wakeable: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        // Woken early only to idle no longer; a gathering pause runs its course (stop() ends it).
        if (!wakeable && this.running) return;
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (this.wake = null));
  }

  private async run(): Promise<void> {
    const gather = this.opts.gatherMs ?? 200;
    while (this.running) {
      let n = 0;
      try {
        await this.listen();
        this.pending = false;
        const start = performance.timeOrigin + performance.now();
        const pass = await applyPass(this.pool);
        n = pass.applied;
        if (n > 0) {
          this.applied += n;
          this.opts.onPass?.(start, performance.timeOrigin + performance.now(), n);
          if (pass.users.length) this.opts.onUsers?.(pass.users);
        }
      } catch (err) {
        this.opts.onError?.(err as Error);
      }
      if (!this.running) break;
      // Something was applied: more is probably on its way; gather it, then pass again (an empty pass ends this).
      if (n > 0) {
        if (gather > 0) await this.sleep(gather, false);
        continue;
      }
      if (!this.pending) await this.sleep(this.opts.pollMs ?? 250, true);
      // Woken by a batch (or the poll): give the batches right behind it the gathering time too.
      if (this.running && gather > 0) await this.sleep(gather, false);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    const l = this.listener;
    this.listener = null;
    if (l) {
      const ok = await l.query('UNLISTEN *').then(() => true, () => false);
      l.release(!ok);
    }
  }
}
