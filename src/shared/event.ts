import { z } from 'zod';
import { MAX_CONTENT_DEPTH, formatPath, storable, storableText } from './storable.js';

/** The four kinds of event the chat platform sends (seed: event_type). */
export const EVENT_TYPES = ['message', 'tool_call', 'error', 'completion'] as const;
export const COMPLETION_STATUSES = ['completed', 'abandoned', 'blocked_by_credits'] as const;

export type EventType = (typeof EVENT_TYPES)[number];
export type CompletionStatus = (typeof COMPLETION_STATUSES)[number];

/** Free-form event content (seed: {role, message, tool, params, result, error}); extra keys are kept. */
export const EventContent = z
  .object({
    role: z.enum(['user', 'assistant', 'system']).optional(),
    message: z.string().max(100_000).optional(),
    tool: z.string().max(200).optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    result: z.unknown().optional(),
    error: z.string().max(10_000).optional(),
    completion_status: z.enum(COMPLETION_STATUSES).optional(),
  })
  .catchall(z.unknown());

const UserIdText = z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
/** A user id as ingest, the context API and forget accept it (in an event, the storable walk checks its text). */
export const UserId = storableText(UserIdText);

// What a TIMESTAMP column, the stream's ISO strings and Date can all hold: years 0001-9999 once converted to UTC.
// (PostgreSQL itself reaches further, but '0000-12-31T10:00:00Z', what 0001-01-01T00:00:00+14:00 is in UTC, has no
// four-digit form it reads.)
const MIN_UTC = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_UTC = Date.parse('9999-12-31T23:59:59.999Z');

/** ISO 8601 with Z or an offset, within years 0001-9999 once converted to UTC. */
export const IsoTimestamp = z.iso.datetime({ offset: true, local: false }).refine(
  (s) => {
    const t = Date.parse(s);
    return Number.isNaN(t) || (t >= MIN_UTC && t <= MAX_UTC); // not a date at all: the format check says so
  },
  { message: 'out of range: in UTC it must fall within 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z' },
);

/**
 * One event on the wire (snake_case, as in the seed). `id` and `timestamp` are optional: the system assigns a
 * time-ordered UUIDv7 and "now". A completion carries `completion_status`, stored inside `content`.
 */
const EventFields = z
  .object({
    id: z.uuid().optional(),
    conversation_id: z.uuid(),
    user_id: UserIdText,
    timestamp: IsoTimestamp.optional(),
    event_type: z.enum(EVENT_TYPES),
    content: EventContent.default({}),
    tool_name: z.string().min(1).max(200).nullish(),
    success: z.boolean().nullish(),
    credits_consumed: z.number().int().min(0).max(1_000_000).nullish(),
    completion_status: z.enum(COMPLETION_STATUSES).optional(),
  })
  .strict()
  // The completion rate and the credit-exhaustion journey read it: a completion without its outcome is refused.
  .refine((e) => e.event_type !== 'completion' || e.completion_status !== undefined || e.content?.completion_status !== undefined, {
    path: ['completion_status'],
    message: `a completion needs completion_status (${COMPLETION_STATUSES.join(' | ')})`,
  });

/**
 * An event as every door takes it: first every string, key and number is checked storable and `content` at most
 * MAX_CONTENT_DEPTH levels deep (src/shared/storable.ts), then the fields above. The event is level 1 of the walk.
 */
export const EventInput = storable(EventFields, {
  maxDepth: MAX_CONTENT_DEPTH + 1,
  depthMessage: `nests objects and arrays deeper than ${MAX_CONTENT_DEPTH} levels (content itself is the first)`,
});
export type EventInput = z.input<typeof EventInput>;

export const MAX_BATCH = 1000;

/** POST /v1/events body with several events: {events: [...]}, 1..1000 of them (one event alone is an EventInput). */
export const EventBatch = z.object({ events: z.array(EventInput).min(1).max(MAX_BATCH) }).strict();

/** An event as stored and as published on the stream: every field present, timestamp in UTC ISO 8601. */
export const StoredEvent = z.object({
  id: z.string(),
  conversation_id: z.string(),
  user_id: z.string(),
  timestamp: z.string(),
  event_type: z.enum(EVENT_TYPES),
  content: z.record(z.string(), z.unknown()),
  tool_name: z.string().nullable(),
  success: z.boolean().nullable(),
  credits_consumed: z.number().nullable(),
});
export type StoredEvent = z.infer<typeof StoredEvent>;

/** POST /v1/users: identify a user (signup time, e-mail). */
export const UserInput = storable(
  z
    .object({
      user_id: UserIdText,
      email: z.email().nullish(),
      created_at: IsoTimestamp.optional(),
    })
    .strict(),
  { maxDepth: 2 },
);
export type UserInput = z.input<typeof UserInput>;

/** The seed's pub/sub shape on channel `user_context`. */
export interface UserContextMessage {
  userId: string;
  event: 'new_interaction';
  data: { message: string | null; toolCalls: Array<{ tool: string; params?: unknown; success: boolean | null }> };
}

export function toUserContextMessage(e: StoredEvent): UserContextMessage {
  const message = typeof e.content.message === 'string' ? e.content.message : null;
  const toolCalls =
    e.event_type === 'tool_call' && e.tool_name
      ? [{ tool: e.tool_name, params: e.content.params, success: e.success }]
      : [];
  return { userId: e.user_id, event: 'new_interaction', data: { message, toolCalls } };
}

// The relay writes each event's stream entry and user_context message from the event's fields and its content as
// JSON text (read from PostgreSQL as text, or the JSON ingest sent): content is never parsed and serialized again.
// Both equal JSON.stringify of the StoredEvent and of toUserContextMessage(event) (tests/unit/event.test.ts).

/** JSON.stringify(event), given `content` = the JSON text of event.content. */
export function storedEventJson(e: Omit<StoredEvent, 'content'>, content: string): string {
  const j = JSON.stringify;
  return `{"id":${j(e.id)},"conversation_id":${j(e.conversation_id)},"user_id":${j(e.user_id)},"timestamp":${j(e.timestamp)},` +
    `"event_type":${j(e.event_type)},"content":${content},"tool_name":${j(e.tool_name)},"success":${j(e.success)},"credits_consumed":${j(e.credits_consumed)}}`;
}

/**
 * JSON.stringify(toUserContextMessage(event)), given content's `message` when it is a string (else null) and the JSON
 * text of content's `params` (null when content has no params).
 */
export function userContextJson(e: Pick<StoredEvent, 'user_id' | 'event_type' | 'tool_name' | 'success'>, message: string | null, params: string | null): string {
  const j = JSON.stringify;
  const toolCalls = e.event_type === 'tool_call' && e.tool_name ? `[{"tool":${j(e.tool_name)},${params === null ? '' : `"params":${params},`}"success":${j(e.success)}}]` : '[]';
  return `{"userId":${j(e.user_id)},"event":"new_interaction","data":{"message":${j(message)},"toolCalls":${toolCalls}}}`;
}

/**
 * Turns a zod error into one readable line naming the field, e.g. "events[3].event_type: Invalid option ...";
 * `root` names what was validated when the issue is about the whole of it (an unknown key, the wrong type).
 */
export function describeIssues(error: z.ZodError, root = '(body)'): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? formatPath(i.path) : root}: ${i.message}`)
    .join('; ');
}
