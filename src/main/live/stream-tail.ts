import type { RedisClient } from '../stream/redis.js';
import { StoredEvent } from '../../shared/event.js';
import { compareStreamIds, type LiveItem } from '../../shared/live.js';
import { blockingConnection } from '../stream/redis.js';

export interface StreamTailOptions {
  /** Where to start: 'now' (only new entries), or a stream id to resume after. */
  from?: 'now' | string;
  /** On 'now', also deliver this many of the newest existing entries first (the page shows something at once). */
  backlog?: number;
  count?: number;
  blockMs?: number;
  /** Event ids remembered to drop re-published duplicates (a relay retry after a Redis restart). */
  dedupCapacity?: number;
  onItems: (items: LiveItem[]) => void;
  onState?: (state: 'connecting' | 'live' | 'reconnecting' | 'stopped', message: string) => void;
}

type Entry = [id: string, fields: string[]];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long one XREAD waits for new entries (blockMs). */
const DEFAULT_BLOCK_MS = 1000;

/** Turns a stream entry into a feed item; entries that are not our events still show (raw). */
export function entryToItem(id: string, fields: string[] | null, receivedAt: number): LiveItem {
  const raw = fields ? fields[fields.indexOf('event') + 1] : undefined;
  if (typeof raw === 'string') {
    try {
      const parsed = StoredEvent.safeParse(JSON.parse(raw));
      if (parsed.success) return { key: id, source: 'stream', channel: null, receivedAt, event: parsed.data, raw: null, userId: parsed.data.user_id };
    } catch {
      // falls through to a raw item
    }
  }
  const text = fields ? fields.join(' ') : '';
  return { key: id, source: 'stream', channel: null, receivedAt, event: null, raw: text.slice(0, 2000), userId: null };
}

/**
 * Tails the stream with XREAD from the last id it delivered. After a disconnect it resumes from that id (no gap); if
 * Redis came back without the stream's data (a restart without persistence), the stream's last id is lower than ours
 * and the tail reads the new stream from its start; event ids already delivered are skipped (no duplicate).
 */
export class StreamTail {
  private readonly conn: RedisClient;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private lastId: string | null = null;
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];

  constructor(
    redis: RedisClient,
    private readonly stream: string,
    private readonly opts: StreamTailOptions,
  ) {
    this.conn = blockingConnection(redis, opts.blockMs ?? DEFAULT_BLOCK_MS);
    if (opts.from && opts.from !== 'now') this.lastId = opts.from;
  }

  get position(): string | null {
    return this.lastId;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.opts.onState?.('connecting', 'Connecting to Redis…');
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.conn.disconnect();
    await this.loopDone;
    this.opts.onState?.('stopped', 'Stopped');
  }

  private remember(eventId: string): boolean {
    if (this.seen.has(eventId)) return false;
    this.seen.add(eventId);
    this.seenOrder.push(eventId);
    const cap = this.opts.dedupCapacity ?? 50_000;
    if (this.seenOrder.length > cap) for (const old of this.seenOrder.splice(0, this.seenOrder.length - cap)) this.seen.delete(old);
    return true;
  }

  private deliver(entries: Entry[]): void {
    const now = Date.now();
    const items: LiveItem[] = [];
    for (const [id, fields] of entries) {
      this.lastId = id;
      const item = entryToItem(id, fields, now);
      if (item.event && !this.remember(item.event.id)) continue;
      items.push(item);
    }
    if (items.length) this.opts.onItems(items);
  }

  /** On (re)connect: where to read from. */
  private async position0(): Promise<void> {
    if (this.lastId === null) {
      const newest = (await this.conn.xrevrange(this.stream, '+', '-', 'COUNT', Math.max(1, this.opts.backlog ?? 0))) as Entry[];
      this.lastId = newest[0]?.[0] ?? '0-0';
      if (this.opts.backlog) this.deliver(newest.reverse());
      return;
    }
    let lastGenerated: string | null = null;
    try {
      const info = (await this.conn.xinfo('STREAM', this.stream)) as unknown[];
      const i = info.indexOf('last-generated-id');
      lastGenerated = i >= 0 ? String(info[i + 1]) : null;
    } catch {
      lastGenerated = null; // no such key: the stream is new
    }
    if (lastGenerated === null || compareStreamIds(lastGenerated, this.lastId) < 0) this.lastId = '0-0';
  }

  private async loop(): Promise<void> {
    let connected = false;
    while (this.running) {
      try {
        if (this.conn.status !== 'ready') {
          if (connected) this.opts.onState?.('reconnecting', 'Redis connection lost; reconnecting (will resume from the last id)…');
          connected = false;
          await sleep(100);
          continue;
        }
        if (!connected) {
          await this.position0();
          connected = true;
          this.opts.onState?.('live', `Tailing ${this.stream}`);
        }
        const res = (await this.conn.xread('COUNT', this.opts.count ?? 1000, 'BLOCK', this.opts.blockMs ?? DEFAULT_BLOCK_MS, 'STREAMS', this.stream, this.lastId!)) as
          | Array<[string, Entry[]]>
          | null;
        const entries = res?.[0]?.[1] ?? [];
        if (entries.length) this.deliver(entries);
      } catch {
        if (!this.running) break;
        connected = false;
        this.opts.onState?.('reconnecting', 'Redis connection lost; reconnecting (will resume from the last id)…');
        await sleep(200);
      }
    }
  }
}
