import type { RedisClient } from '../stream/redis.js';
import type { StoredEvent } from '../../shared/event.js';

/** The demo workspace's stand-in for the Redis stream: the simulator publishes here, the live feed listens. */
export class InProcessBus {
  private readonly listeners = new Set<(events: StoredEvent[]) => void>();

  publish(events: StoredEvent[]): void {
    for (const l of this.listeners) l(events);
  }

  subscribe(listener: (events: StoredEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Resolves when the connection is ready (our connections have no offline queue); rejects after timeoutMs. */
export async function waitReady(redis: RedisClient, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const onReady = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis is not reachable (waited ${timeoutMs} ms)`));
    }, timeoutMs);
    redis.once('ready', onReady);
  });
}
