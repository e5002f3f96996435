import { isErrorEvent, LIVE_BATCH_MS, LIVE_CAPACITY, type LiveBatch, type LiveItem, type LiveSourceStatus, type LiveStats } from '../../shared/live.js';

const WINDOW_S = 60;
const ACTIVE_USER_MS = 5 * 60_000;

/** Rolling per-second counters for the live tiles, over everything the feed received (not only the kept items). */
export class LiveCounters {
  private readonly buckets = new Map<number, { events: number; errors: number; credits: number }>();
  private readonly users = new Map<string, number>();
  private total = 0;

  add(item: LiveItem): void {
    this.total++;
    const sec = Math.floor(item.receivedAt / 1000);
    let b = this.buckets.get(sec);
    if (!b) {
      b = { events: 0, errors: 0, credits: 0 };
      this.buckets.set(sec, b);
      for (const k of this.buckets.keys()) if (k <= sec - WINDOW_S) this.buckets.delete(k);
    }
    b.events++;
    if (item.event) {
      if (isErrorEvent(item.event)) b.errors++;
      b.credits += item.event.credits_consumed ?? 0;
    }
    if (item.userId) this.users.set(item.userId, item.receivedAt);
  }

  stats(now = Date.now()): LiveStats {
    const nowSec = Math.floor(now / 1000);
    const sparkline: number[] = [];
    let events = 0;
    let errors = 0;
    let credits = 0;
    for (let s = nowSec - WINDOW_S + 1; s <= nowSec; s++) {
      const b = this.buckets.get(s);
      sparkline.push(b?.events ?? 0);
      events += b?.events ?? 0;
      errors += b?.errors ?? 0;
      credits += b?.credits ?? 0;
    }
    for (const [u, at] of this.users) if (now - at > ACTIVE_USER_MS) this.users.delete(u);
    return { eventsPerMin: events, activeUsers: this.users.size, errorsPerMin: errors, creditsPerMin: credits, sparkline, total: this.total };
  }
}

export interface LiveFeedOptions {
  capacity?: number;
  batchMs?: number;
  /** Receives one batch per window (only when something arrived, plus a heartbeat every second for the tiles). */
  onBatch: (batch: LiveBatch) => void;
  status: () => LiveSourceStatus;
}

/**
 * The feed between the sources (stream tail, pub/sub, demo simulator) and the consumers (the page, `uis tail`): keeps
 * the newest `capacity` items, counts everything for the tiles, and emits one batch per window.
 */
export class LiveFeed {
  private readonly ring: LiveItem[] = [];
  private pending: LiveItem[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly heartbeat: NodeJS.Timeout;
  readonly counters = new LiveCounters();
  private readonly capacity: number;
  private readonly batchMs: number;
  private seq = 0;

  constructor(private readonly opts: LiveFeedOptions) {
    this.capacity = opts.capacity ?? LIVE_CAPACITY;
    this.batchMs = opts.batchMs ?? LIVE_BATCH_MS;
    // The tiles and the sparkline move on with time even when nothing arrives.
    this.heartbeat = setInterval(() => {
      if (!this.timer) this.emit();
    }, 1000);
    this.heartbeat.unref();
  }

  push(items: LiveItem[]): void {
    if (items.length === 0) return;
    for (const item of items) {
      this.counters.add(item);
      this.ring.push(item);
    }
    if (this.ring.length > this.capacity * 1.2) this.ring.splice(0, this.ring.length - this.capacity);
    this.pending.push(...items);
    if (this.pending.length > this.capacity) this.pending = this.pending.slice(-this.capacity);
    if (!this.timer) this.timer = setTimeout(() => this.emit(), this.batchMs);
  }

  private emit(): void {
    this.timer = null;
    const items = this.pending;
    this.pending = [];
    this.opts.onBatch({ seq: ++this.seq, items, stats: this.counters.stats(), status: this.opts.status() });
  }

  /** The number of the last batch emitted. */
  get lastSeq(): number {
    return this.seq;
  }

  /** The newest `limit` items, oldest first. */
  recent(limit = this.capacity): LiveItem[] {
    return this.ring.slice(-Math.min(limit, this.capacity));
  }

  stats(): LiveStats {
    return this.counters.stats();
  }

  /** Drops a forgotten user's items from memory. */
  dropUser(userId: string): void {
    const keep = this.ring.filter((i) => i.userId !== userId);
    this.ring.length = 0;
    this.ring.push(...keep);
  }

  close(): void {
    clearInterval(this.heartbeat);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
