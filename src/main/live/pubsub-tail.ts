import { duplicateConnection, type RedisClient } from '../stream/redis.js';
import type { LiveItem } from '../../shared/live.js';
import { waitReady } from './bus.js';

export type SubscriptionKind = 'channel' | 'pattern';

/** The seed's user_context message ({userId, event, data}) names its user: that is what the user filter matches. */
function userOf(raw: string): string | null {
  try {
    const v = JSON.parse(raw) as { userId?: unknown; user_id?: unknown };
    const u = v.userId ?? v.user_id;
    return typeof u === 'string' ? u : null;
  } catch {
    return null;
  }
}

/**
 * Tails pub/sub channels and patterns the founder types (e.g. `user_context`, `chat:*`) on a dedicated connection.
 * Pub/sub has no history: messages sent while disconnected are not seen (the stream is the gap-free feed).
 */
export class PubSubTail {
  private readonly conn: RedisClient;
  private readonly subs = new Map<string, { kind: SubscriptionKind; name: string }>();
  private seq = 0;

  constructor(
    redis: RedisClient,
    private readonly onItems: (items: LiveItem[]) => void,
  ) {
    this.conn = duplicateConnection(redis);
    const push = (channel: string, message: string) => {
      const raw = message.length > 2000 ? message.slice(0, 2000) : message;
      this.onItems([{ key: `ps-${++this.seq}`, source: 'pubsub', channel, receivedAt: Date.now(), event: null, raw, userId: userOf(message) }]);
    };
    this.conn.on('message', (channel: string, message: string) => push(channel, message));
    this.conn.on('pmessage', (_pattern: string, channel: string, message: string) => push(channel, message));
  }

  list(): Array<{ kind: SubscriptionKind; name: string }> {
    return [...this.subs.values()];
  }

  async add(kind: SubscriptionKind, name: string): Promise<void> {
    await waitReady(this.conn);
    if (kind === 'channel') await this.conn.subscribe(name);
    else await this.conn.psubscribe(name);
    this.subs.set(`${kind}:${name}`, { kind, name });
  }

  async remove(kind: SubscriptionKind, name: string): Promise<void> {
    if (kind === 'channel') await this.conn.unsubscribe(name);
    else await this.conn.punsubscribe(name);
    this.subs.delete(`${kind}:${name}`);
  }

  async close(): Promise<void> {
    this.conn.disconnect();
  }
}
