import type { RedisClient } from '../stream/redis.js';
import type { StoredEvent } from '../../shared/event.js';
import type { LiveBatch, LiveItem, LiveSourceStatus } from '../../shared/live.js';
import { keysFor } from '../stream/keys.js';
import { InProcessBus } from './bus.js';
import { LiveFeed } from './feed.js';
import { PubSubTail, type SubscriptionKind } from './pubsub-tail.js';
import { LiveSimulator } from './simulator.js';
import { StreamTail } from './stream-tail.js';

export type LiveSourceConfig =
  | { mode: 'redis'; redis: RedisClient; keyPrefix?: string; from?: 'now' | string; backlog?: number }
  | { mode: 'demo'; users?: string[]; rate?: number; bus?: InProcessBus }
  | { mode: 'none'; message: string };

/**
 * One live feed for a workspace: the stream tail (+ pub/sub tails) of its Redis, or the demo simulator on an
 * in-process bus. Batches go to `onBatch` (the core publishes them on topic live.batch; `uis tail` prints them).
 */
export class LiveService {
  readonly feed: LiveFeed;
  private tail: StreamTail | null = null;
  private pubsub: PubSubTail | null = null;
  private simulator: LiveSimulator | null = null;
  private unsubscribeBus: (() => void) | null = null;
  private state: LiveSourceStatus['state'] = 'connecting';
  private message = '';
  private seq = 0;
  private readonly prefix: string;

  constructor(
    private readonly config: LiveSourceConfig,
    onBatch: (batch: LiveBatch) => void,
    opts: { capacity?: number; batchMs?: number } = {},
  ) {
    this.prefix = config.mode === 'redis' ? (config.keyPrefix ?? '') : '';
    this.feed = new LiveFeed({ ...opts, onBatch, status: () => this.status() });
  }

  start(): void {
    const c = this.config;
    if (c.mode === 'none') {
      this.state = 'stopped';
      this.message = c.message;
      return;
    }
    if (c.mode === 'demo') {
      const bus = c.bus ?? new InProcessBus();
      this.unsubscribeBus = bus.subscribe((events) => this.feed.push(events.map((e) => this.demoItem(e))));
      if (!c.bus) {
        this.simulator = new LiveSimulator(bus, { rate: c.rate, users: c.users });
        this.simulator.start();
      }
      this.state = 'live';
      this.message = 'Demo workspace: simulated live events (no Redis needed)';
      return;
    }
    this.tail = new StreamTail(c.redis, keysFor(c.redis, this.prefix).stream, {
      from: c.from ?? 'now',
      backlog: c.backlog ?? 200,
      onItems: (items) => this.feed.push(items),
      onState: (state, message) => {
        this.state = state;
        this.message = message;
      },
    });
    this.tail.start();
  }

  private demoItem(e: StoredEvent): LiveItem {
    return { key: `d-${++this.seq}`, source: 'demo', channel: null, receivedAt: Date.now(), event: e, raw: null, userId: e.user_id };
  }

  status(): LiveSourceStatus {
    return {
      mode: this.config.mode,
      state: this.state,
      message: this.message,
      subscriptions: (this.pubsub?.list() ?? []).map((x) => ({ kind: x.kind, name: x.name.slice(this.prefix.length) })),
      lastId: this.tail?.position ?? null,
    };
  }

  /** Tails a pub/sub channel or pattern (names are relative to the deployment's key prefix). */
  async subscribe(kind: SubscriptionKind, name: string): Promise<void> {
    if (this.config.mode !== 'redis') throw new Error('Pub/sub channels need a workspace with Redis; the demo workspace has none.');
    const prefix = this.prefix;
    this.pubsub ??= new PubSubTail(this.config.redis, (items) =>
      this.feed.push(items.map((i) => ({ ...i, channel: i.channel && prefix && i.channel.startsWith(prefix) ? i.channel.slice(prefix.length) : i.channel }))),
    );
    await this.pubsub.add(kind, prefix + name);
  }

  async unsubscribe(kind: SubscriptionKind, name: string): Promise<void> {
    await this.pubsub?.remove(kind, this.prefix + name);
  }

  setSimulatorRate(rate: number): void {
    if (!this.simulator) throw new Error('Only the demo workspace has a simulator.');
    this.simulator.setRate(rate);
    if (rate === 0) this.simulator.stop();
    else this.simulator.start();
  }

  async close(): Promise<void> {
    this.simulator?.stop();
    this.unsubscribeBus?.();
    await this.tail?.stop();
    await this.pubsub?.close();
    this.feed.close();
  }
}
