import { toUserContextMessage, type StoredEvent } from '../../shared/event.js';

export interface CapturedEvent {
  /** The event exactly as this process sent it to PostgreSQL in the capture statement (the stream entry). */
  json: string;
  /** Its user_context message (the seed's shape), written when remembered. */
  context: string;
  at: number;
}

/**
 * Events this process has just stored, serialized once, kept for the relay of the same process so it need not read
 * them back from PostgreSQL and serialize them again. Publication is still decided by the outbox alone: the relay
 * publishes an event only when an outbox row lists its id (committed, and not removed by `uis forget`), and takes its
 * bytes from here when they are here. Only batches PostgreSQL stored whole are remembered (storeEvents()), so a
 * duplicate's content never replaces the stored event's. Entries leave when published, after `maxAgeMs`, or oldest
 * first beyond `maxEntries`; a miss simply means the relay reads the event from PostgreSQL.
 */
export class CapturedEvents {
  private readonly entries = new Map<string, CapturedEvent>();
  /** Set by the relay while it holds the publication lock: another process's relay would never take the entries. */
  private active = false;
  /** Counters since start, for benchmarks: events remembered, and taken by the relay. */
  readonly stats = { remembered: 0, taken: 0 };

  // The relay takes an entry within milliseconds of its commit; what it never takes (it read the outbox row before
  // ingest's answer arrived, or Redis is down) is read back from PostgreSQL later anyway, so it is not kept long.
  constructor(
    private readonly maxEntries = 100_000,
    private readonly maxAgeMs = 10_000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get enabled(): boolean {
    return this.active;
  }

  setEnabled(on: boolean): void {
    this.active = on;
    if (!on) this.entries.clear();
  }

  remember(id: string, json: string, event: StoredEvent, now = Date.now()): void {
    if (!this.active) return;
    // Map iteration is insertion order: the first entries are the oldest.
    for (const [key, e] of this.entries) {
      if (this.entries.size < this.maxEntries && now - e.at <= this.maxAgeMs) break;
      this.entries.delete(key);
    }
    // Two strings, not the event's objects: what waits here for the relay survives young-generation collections, and
    // strings are the cheapest thing for V8 to copy and the least memory to hold.
    this.entries.set(id, { json, context: JSON.stringify(toUserContextMessage(event)), at: now });
    this.stats.remembered++;
  }

  take(id: string): CapturedEvent | undefined {
    const e = this.entries.get(id);
    if (e) {
      this.entries.delete(id);
      this.stats.taken++;
    }
    return e;
  }
}
