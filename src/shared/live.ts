import { z } from 'zod';
import { EVENT_TYPES, StoredEvent } from './event.js';

/** How much of the feed the core and the page keep (the newest). */
export const LIVE_CAPACITY = 5000;
/** Batching window core → renderer (and terminal): one message per window however many events arrived. */
export const LIVE_BATCH_MS = 50;

/** One line of the live feed: an event from the stream (or the demo simulator), or a raw pub/sub message. */
export const LiveItem = z.object({
  /** Unique in the feed: the stream entry id, or a per-feed sequence for pub/sub and demo items. */
  key: z.string(),
  source: z.enum(['stream', 'pubsub', 'demo']),
  /** Pub/sub channel the message came on (null for stream and demo items). */
  channel: z.string().nullable(),
  /** When the core received it (ms since epoch). */
  receivedAt: z.number(),
  event: StoredEvent.nullable(),
  /** The message text for pub/sub items (capped at 2,000 characters). */
  raw: z.string().nullable(),
  userId: z.string().nullable(),
});
export type LiveItem = z.infer<typeof LiveItem>;

export const LiveFilter = z
  .object({
    user: z.string().max(200).optional(),
    tool: z.string().max(200).optional(),
    type: z.enum(EVENT_TYPES).optional(),
    success: z.boolean().optional(),
    /** Case-insensitive substring of the message, error, tool, user or raw text. */
    text: z.string().max(200).optional(),
  })
  .strict();
export type LiveFilter = z.infer<typeof LiveFilter>;

function itemText(item: LiveItem): string {
  const e = item.event;
  if (!e) return item.raw ?? '';
  const c = e.content;
  return [typeof c.message === 'string' ? c.message : '', typeof c.error === 'string' ? c.error : '', e.tool_name ?? '', e.user_id, e.event_type].join(' ');
}

/** The same filter for the page, `uis tail` and the tests. Raw pub/sub items match only user and text filters. */
export function matchesLive(item: LiveItem, f: LiveFilter): boolean {
  if (f.user && item.userId !== f.user) return false;
  const e = item.event;
  if (f.tool !== undefined || f.type !== undefined || f.success !== undefined) {
    if (!e) return false;
    if (f.tool && e.tool_name !== f.tool) return false;
    if (f.type && e.event_type !== f.type) return false;
    if (f.success !== undefined && e.success !== f.success) return false;
  }
  if (f.text && !itemText(item).toLowerCase().includes(f.text.toLowerCase())) return false;
  return true;
}

export function isErrorEvent(e: StoredEvent): boolean {
  return e.event_type === 'error' || e.success === false;
}

/** Live tiles over the whole feed (not the page's filter): per minute over the last 60 s, users over 5 min. */
export const LiveStats = z.object({
  eventsPerMin: z.number(),
  activeUsers: z.number(),
  errorsPerMin: z.number(),
  creditsPerMin: z.number(),
  /** Events per second for the last 60 seconds, oldest first. */
  sparkline: z.array(z.number()),
  total: z.number(),
});
export type LiveStats = z.infer<typeof LiveStats>;

export const LiveSourceStatus = z.object({
  /** What feeds the page: the workspace's Redis stream, the demo simulator, or nothing configured. */
  mode: z.enum(['redis', 'demo', 'none']),
  state: z.enum(['connecting', 'live', 'reconnecting', 'stopped']),
  message: z.string(),
  /** Pub/sub channels and patterns being tailed besides the stream. */
  subscriptions: z.array(z.object({ kind: z.enum(['channel', 'pattern']), name: z.string() })),
  lastId: z.string().nullable(),
});
export type LiveSourceStatus = z.infer<typeof LiveSourceStatus>;

/** `seq` numbers the batches of one feed (1, 2, 3…): a page that sees a jump missed some and reloads the recent items. */
export const LiveBatch = z.object({ seq: z.number().int(), items: z.array(LiveItem), stats: LiveStats, status: LiveSourceStatus });
export type LiveBatch = z.infer<typeof LiveBatch>;

/** Redis stream ids "ms-seq" compared numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as = '0'] = a.split('-');
  const [bm, bs = '0'] = b.split('-');
  const d = BigInt(am) - BigInt(bm);
  if (d !== 0n) return d < 0n ? -1 : 1;
  const s = BigInt(as) - BigInt(bs);
  return s === 0n ? 0 : s < 0n ? -1 : 1;
}

// Control characters (ANSI escapes among them) in user text must not reach the founder's terminal.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;

/** One terminal line, used by `uis tail`: time, user, type, tool, outcome, credits, text (control characters removed). */
export function formatLiveLine(item: LiveItem): string {
  const e = item.event;
  const time = new Date(e ? Date.parse(e.timestamp) || item.receivedAt : item.receivedAt).toISOString().slice(11, 23);
  // A raw item is labelled by where it came from: its pub/sub channel, else its source (a stream entry that is not an event).
  if (!e) return `${time}  [${(item.channel ?? item.source).replace(CONTROL, ' ')}]  ${(item.raw ?? '').replace(CONTROL, ' ').replace(/\s+/g, ' ').slice(0, 200)}`;
  const outcome = e.event_type === 'completion' ? (typeof e.content.completion_status === 'string' ? e.content.completion_status : '-') : e.success === true ? 'ok' : e.success === false ? 'FAIL' : '-';
  const text = typeof e.content.message === 'string' ? e.content.message : typeof e.content.error === 'string' ? e.content.error : '';
  const credits = e.credits_consumed ? `${e.credits_consumed}cr` : '';
  const clean = (s: string) => s.replace(CONTROL, ' ');
  return [time, clean(e.user_id).padEnd(12), e.event_type.padEnd(10), clean(e.tool_name ?? '').padEnd(10), outcome.padEnd(4), credits.padStart(5), clean(text).replace(/\s+/g, ' ').slice(0, 120)]
    .join('  ')
    .trimEnd();
}
