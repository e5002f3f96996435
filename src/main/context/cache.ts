import { duplicateConnection, type RedisClient } from '../stream/redis.js';
import type pg from 'pg';
import { pickFields, type ContextField, type UserContext } from '../../shared/context.js';
import { keysFor } from '../stream/keys.js';
import { loadUserContext } from './load.js';

export interface ContextCacheOptions {
  /** Users kept (least recently used dropped first). */
  maxEntries?: number;
  /** Safety net when an invalidation message is lost (pub/sub is at-most-once): an entry is reloaded after this. */
  ttlMs?: number;
}

interface Entry {
  ctx: UserContext;
  loadedAt: number;
  /** Serialized bodies per ?fields= selection, so a hit costs no JSON.stringify. */
  bodies: Map<string, string>;
}

/**
 * In-process cache of users' context, invalidated when the profile builder (in any process) announces a change on
 * `uis:profile-changed`, and by forget. A load racing with an invalidation is not stored, so a stale read never sticks.
 */
export class ContextCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, { promise: Promise<UserContext | null>; stale: boolean }>();
  private subscriber: RedisClient | null = null;
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  hits = 0;
  misses = 0;

  constructor(
    private readonly pool: pg.Pool,
    opts: ContextCacheOptions = {},
  ) {
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.ttlMs = opts.ttlMs ?? 30_000;
  }

  /** The JSON body for a user (and field selection), or null when the user is unknown. */
  async getBody(userId: string, fields?: readonly ContextField[]): Promise<{ body: string; cached: boolean } | null> {
    const key = fields ? fields.join(',') : '*';
    let entry = this.entries.get(userId);
    let cached = true;
    if (entry && Date.now() - entry.loadedAt > this.ttlMs) {
      this.entries.delete(userId);
      entry = undefined;
    }
    if (!entry) {
      cached = false;
      this.misses++;
      const ctx = await this.load(userId);
      if (!ctx) return null;
      entry = this.entries.get(userId) ?? { ctx, loadedAt: Date.now(), bodies: new Map() };
    } else {
      this.hits++;
      // Refresh its place in the LRU order.
      this.entries.delete(userId);
      this.entries.set(userId, entry);
    }
    let body = entry.bodies.get(key);
    if (body === undefined) {
      body = JSON.stringify(pickFields(entry.ctx, fields));
      entry.bodies.set(key, body);
    }
    return { body, cached };
  }

  private load(userId: string): Promise<UserContext | null> {
    const inflight = this.loading.get(userId);
    if (inflight && !inflight.stale) return inflight.promise;
    const slot = { stale: false, promise: loadUserContext(this.pool, userId) };
    this.loading.set(userId, slot);
    return slot.promise.then(
      (ctx) => {
        if (this.loading.get(userId) === slot) this.loading.delete(userId);
        if (ctx && !slot.stale) {
          this.entries.set(userId, { ctx, loadedAt: Date.now(), bodies: new Map() });
          if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
        }
        return ctx;
      },
      (err) => {
        if (this.loading.get(userId) === slot) this.loading.delete(userId);
        throw err;
      },
    );
  }

  invalidate(userIds: Iterable<string>): void {
    for (const u of userIds) {
      this.entries.delete(u);
      const inflight = this.loading.get(u);
      if (inflight) inflight.stale = true;
    }
  }

  clear(): void {
    this.entries.clear();
    for (const l of this.loading.values()) l.stale = true;
  }

  has(userId: string): boolean {
    return this.entries.has(userId);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Subscribes to the builder's change announcements (a dedicated connection; pub/sub holds it). */
  async listen(redis: RedisClient, keyPrefix = ''): Promise<void> {
    const sub = duplicateConnection(redis);
    const channel = keysFor(redis, keyPrefix).profileChanged;
    sub.on('message', (ch: string, message: string) => {
      if (ch !== channel) return;
      try {
        const users = (JSON.parse(message) as { users?: unknown }).users;
        if (Array.isArray(users)) this.invalidate(users.filter((u): u is string => typeof u === 'string'));
      } catch {
        // Not an announcement of ours.
      }
    });
    // Subscribe on every (re)connect; after a reconnect announcements may have been missed, so start from an empty cache.
    let subscribed: () => void = () => {};
    const done = new Promise<void>((resolve) => (subscribed = resolve));
    sub.on('ready', () => {
      this.clear();
      sub.subscribe(channel).then(() => subscribed(), () => {});
    });
    this.subscriber = sub;
    // Redis down at startup is not fatal: entries then live at most ttlMs, and the subscription starts when Redis is back.
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.subscriber = null;
  }
}
