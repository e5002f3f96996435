import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { RedisClient } from '../stream/redis.js';
import pLimit from 'p-limit';
import type pg from 'pg';
import { keysFor, type StreamKeys } from '../stream/keys.js';
import { blockingConnection } from '../stream/redis.js';
import { reconcileOnce } from './reconcile.js';
import { applyUserEvents } from './store.js';
import type { ContextSummarizer } from './summary.js';
import { applyAggregatesOnce } from '../ingest/aggregates.js';

export const DEFAULT_GROUP = 'profile-builder';

export interface ProfileBuilderOptions {
  keyPrefix?: string;
  group?: string;
  /** Unique per worker; a restarted worker with the same name first finishes its own pending entries. */
  consumer?: string;
  batchSize?: number;
  /** Users of one batch updated at once (each is its own transaction). Default 4. */
  concurrency?: number;
  blockMs?: number;
  /** Pending entries idle this long belong to a dead worker and are claimed (XAUTOCLAIM). */
  claimIdleMs?: number;
  summarizer?: ContextSummarizer;
  now?: () => Date;
  /** How often to check that every stored event reached a profile (reconcileOnce); 0 turns it off. Default 60 s. */
  reconcileMs?: number;
  /** Events younger than this are left to the stream path. Default 10 s. */
  reconcileGraceMs?: number;
  onError?: (err: Error) => void;
  /** Called after a batch is written and acknowledged, with the users whose profile changed. */
  onApplied?: (users: string[], events: number) => void;
  /** Called after each user's transaction commits, before the batch is acknowledged (tests inject crashes here). */
  afterUserCommit?: (userId: string) => void | Promise<void>;
}

type Entry = [id: string, fields: string[]];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long one XREADGROUP waits for new entries (blockMs). */
const DEFAULT_BLOCK_MS = 2000;

/**
 * The profile builder: one consumer of the group on the stream uis:events. At-least-once: a batch is acknowledged only
 * after every profile in it is committed; the ledger in PostgreSQL makes a redelivered event change nothing; a dead
 * worker's pending entries are claimed by the others. Start several (same group, different consumer names) to share load.
 */
export class ProfileBuilder {
  readonly consumer: string;
  private readonly conn: RedisClient;
  private readonly stream: string;
  private readonly keys: StreamKeys;
  private readonly group: string;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private lastClaim = 0;
  private replayOwnPending = true;
  private appliedEvents = 0;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private reconciling: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly redis: RedisClient,
    private readonly opts: ProfileBuilderOptions = {},
  ) {
    // A connection of its own: XREADGROUP BLOCK holds it.
    this.conn = blockingConnection(redis, opts.blockMs ?? DEFAULT_BLOCK_MS);
    this.keys = keysFor(redis, opts.keyPrefix);
    this.stream = this.keys.stream;
    this.group = opts.group ?? DEFAULT_GROUP;
    this.consumer = opts.consumer ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  /** Events applied to profiles by this worker (new to the ledger). */
  get appliedCount(): number {
    return this.appliedEvents;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
    const every = this.opts.reconcileMs ?? 60_000;
    if (every > 0) {
      this.reconcileTimer = setInterval(() => void this.reconcile(), every);
      this.reconcileTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    this.conn.disconnect();
    await this.loopDone;
    await this.reconciling;
  }

  /** Stops at once, acknowledging nothing more: what a crash looks like to the group (tests). */
  kill(): void {
    this.running = false;
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    this.conn.disconnect();
  }

  /** Applies stored events the stream lost (see reconcileOnce); one process at a time runs it. */
  reconcile(): Promise<void> {
    this.reconciling ??= (async () => {
      try {
        const r = await reconcileOnce(this.pool, { summarizer: this.opts.summarizer, now: this.opts.now, graceMs: this.opts.reconcileGraceMs });
        this.appliedEvents += r.applied;
        if (r.users.length) {
          await this.redis.publish(this.keys.profileChanged, JSON.stringify({ users: r.users })).catch(() => 0);
          this.opts.onApplied?.(r.users, r.applied);
        }
      } catch (err) {
        this.opts.onError?.(err as Error);
      } finally {
        this.reconciling = null;
      }
    })();
    return this.reconciling;
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.conn.xgroup('CREATE', this.stream, this.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
    // Workers get a new name per run: forget names idle for a day with nothing pending, so the group stays readable.
    try {
      const consumers = (await this.conn.xinfo('CONSUMERS', this.stream, this.group)) as unknown[][];
      for (const c of consumers) {
        const info = new Map<string, unknown>();
        for (let i = 0; i + 1 < c.length; i += 2) info.set(String(c[i]), c[i + 1]);
        if (info.get('name') !== this.consumer && Number(info.get('pending')) === 0 && Number(info.get('idle')) > 86_400_000) {
          await this.conn.xgroup('DELCONSUMER', this.stream, this.group, String(info.get('name')));
        }
      }
    } catch {
      // Housekeeping only.
    }
  }

  private async loop(): Promise<void> {
    const batch = this.opts.batchSize ?? 200;
    const claimIdle = this.opts.claimIdleMs ?? 30_000;
    let groupReady = false;
    while (this.running) {
      try {
        if (this.conn.status !== 'ready') {
          await sleep(100);
          continue;
        }
        if (!groupReady) {
          await this.ensureGroup();
          groupReady = true;
        }
        if (this.replayOwnPending) {
          // Entries delivered to this consumer name but never acknowledged (a failed batch, or the previous run).
          const own = await this.readGroup(batch, 0, '0');
          if (own.length === 0) this.replayOwnPending = false;
          else await this.process(own);
          continue;
        }
        if (Date.now() - this.lastClaim >= claimIdle / 2) {
          this.lastClaim = Date.now();
          await this.claimAbandoned(claimIdle, batch);
        }
        const entries = await this.readGroup(batch, this.opts.blockMs ?? DEFAULT_BLOCK_MS, '>');
        if (entries.length) await this.process(entries);
      } catch (err) {
        if (!this.running) break;
        const message = String((err as Error).message);
        // Redis restarted without its data: the group is gone; recreate it and read the new stream from its start.
        if (message.includes('NOGROUP')) groupReady = false;
        this.replayOwnPending = true;
        this.opts.onError?.(err as Error);
        await sleep(200);
      }
    }
  }

  private async readGroup(count: number, blockMs: number, id: string): Promise<Entry[]> {
    const args: Array<string | number> = ['GROUP', this.group, this.consumer, 'COUNT', count];
    if (blockMs > 0) args.push('BLOCK', blockMs);
    args.push('STREAMS', this.stream, id);
    const res = (await (this.conn.xreadgroup as (...a: Array<string | number>) => Promise<unknown>)(...args)) as Array<[string, Entry[]]> | null;
    // A pending entry deleted from the stream (XDEL by forget) comes back with null fields: acknowledge it, apply nothing.
    return res?.[0]?.[1] ?? [];
  }

  private async claimAbandoned(minIdleMs: number, count: number): Promise<void> {
    let cursor = '0-0';
    do {
      const res = (await this.conn.xautoclaim(this.stream, this.group, this.consumer, minIdleMs, cursor, 'COUNT', count)) as [string, Entry[], string[]?];
      cursor = res[0];
      const entries = res[1].filter((e) => e && e[1]);
      if (entries.length) await this.process(entries);
    } while (cursor !== '0-0' && this.running);
  }

  private async process(entries: Entry[]): Promise<void> {
    const byUser = new Map<string, string[]>();
    for (const [, fields] of entries) {
      if (!fields) continue;
      const i = fields.indexOf('event');
      if (i < 0) continue;
      try {
        const e = JSON.parse(fields[i + 1]) as { id?: unknown; user_id?: unknown };
        if (typeof e.id !== 'string' || typeof e.user_id !== 'string') continue;
        if (!/^[0-9a-f-]{36}$/i.test(e.id)) continue;
        const ids = byUser.get(e.user_id) ?? [];
        ids.push(e.id);
        byUser.set(e.user_id, ids);
      } catch {
        // Not our JSON (a hand-written XADD): nothing to apply; it is acknowledged with the batch.
      }
    }
    // The derived fields read the conversations' aggregates, which are applied after the capture commit
    // (migrations/1764288000010) and may lag the stream by a pass: apply what waits first (a no-op when nothing does).
    if (byUser.size) await applyAggregatesOnce(this.pool, { wait: true, maxRows: 1000 });
    const changed: string[] = [];
    let events = 0;
    const limit = pLimit(this.opts.concurrency ?? 4);
    // allSettled: on a failure, the other users' transactions still finish before the batch is given up (a stop waits for them).
    const results = await Promise.allSettled(
      [...byUser].map(([userId, ids]) =>
        limit(async () => {
          if (!this.running) throw new Error('profile builder stopped mid-batch');
          const n = await applyUserEvents(this.pool, userId, ids, { summarizer: this.opts.summarizer, now: this.opts.now });
          if (n > 0) {
            changed.push(userId);
            events += n;
          }
          await this.opts.afterUserCommit?.(userId);
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (!this.running) throw new Error('profile builder stopped mid-batch');
    await this.conn.xack(this.stream, this.group, ...entries.map((e) => e[0]));
    this.appliedEvents += events;
    if (changed.length) {
      await this.conn.publish(this.keys.profileChanged, JSON.stringify({ users: changed })).catch(() => 0);
      this.opts.onApplied?.(changed, events);
    }
  }
}
