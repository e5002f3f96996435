import type pg from 'pg';
import { MAX_BATCH } from '../../shared/event.js';
import { countCreditExhaustionEpisodes } from '../../shared/metric-definitions.js';
import { identifyUser, toRow, trackEvents } from '../ingest/capture.js';
import type { ConversationRow, EventRow, ProfileRow } from '../snapshot/apply.js';
import { SnapshotWriter } from '../snapshot/apply.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { DemoData } from './generate.js';

/**
 * What PostgreSQL's capture triggers (migrations/1764288000002) compute from these events, computed here for the
 * SQLite sink: conversation aggregates and profile counters. Events must be in time order (generateDemo sorts them).
 */
export function rowsFromDemo(data: DemoData): { users: ProfileRow[]; conversations: ConversationRow[]; events: EventRow[] } {
  const events: EventRow[] = data.events.map((e) => ({ ...toRow(e), change_seq: null }));
  const conversations = new Map<string, ConversationRow & { lastCompletionAt: string }>();
  const profiles = new Map<string, ProfileRow>();
  for (const u of data.users) {
    profiles.set(u.user_id, { user_id: u.user_id, email: u.email ?? null, created_at: u.created_at, total_conversations: 0, total_messages: 0, total_credits_used: 0, last_active_at: null });
  }
  for (const e of events) {
    let c = conversations.get(e.conversation_id);
    if (!c) {
      c = { id: e.conversation_id, user_id: e.user_id, started_at: e.timestamp, last_message_at: null, message_count: 0, credits_used: 0, first_intent: null, tools_used: null, completion_status: null, lastCompletionAt: '' };
      conversations.set(e.conversation_id, c);
      const p = profiles.get(e.user_id)!;
      p.total_conversations = (p.total_conversations ?? 0) + 1;
    }
    const p = profiles.get(e.user_id)!;
    c.last_message_at = !c.last_message_at || e.timestamp > c.last_message_at ? e.timestamp : c.last_message_at;
    if (e.timestamp < c.started_at!) c.started_at = e.timestamp;
    c.credits_used = (c.credits_used ?? 0) + (e.credits_consumed ?? 0);
    p.total_credits_used = (p.total_credits_used ?? 0) + (e.credits_consumed ?? 0);
    if (!p.last_active_at || e.timestamp > p.last_active_at) p.last_active_at = e.timestamp;
    if (e.event_type === 'message') {
      c.message_count = (c.message_count ?? 0) + 1;
      p.total_messages = (p.total_messages ?? 0) + 1;
      const role = (e.content.role as string | undefined) ?? 'user';
      if (!c.first_intent && role === 'user' && typeof e.content.message === 'string') c.first_intent = e.content.message;
    }
    if (e.event_type === 'tool_call' && e.tool_name) c.tools_used = { ...(c.tools_used ?? {}), [e.tool_name]: (c.tools_used?.[e.tool_name] ?? 0) + 1 };
    if (e.event_type === 'completion' && typeof e.content.completion_status === 'string' && e.timestamp >= c.lastCompletionAt) {
      c.completion_status = e.content.completion_status;
      c.lastCompletionAt = e.timestamp;
    }
  }
  return {
    users: withEpisodes([...profiles.values()], events),
    conversations: [...conversations.values()].map(({ lastCompletionAt: _l, ...c }) => c),
    events,
  };
}

/** user_profiles.credit_exhaustion_count as the capture trigger keeps it (1764288000008): each user's episodes. */
function withEpisodes(users: ProfileRow[], events: EventRow[]): ProfileRow[] {
  const byUser = new Map<string, EventRow[]>();
  for (const e of events) {
    const list = byUser.get(e.user_id);
    if (list) list.push(e);
    else byUser.set(e.user_id, [e]);
  }
  const fields = (e: EventRow) => ({
    conversationId: e.conversation_id,
    eventType: e.event_type,
    errorType: typeof e.content.error === 'string' ? e.content.error : null,
    completionStatus: typeof e.content.completion_status === 'string' ? e.content.completion_status : null,
  });
  return users.map((u) => ({ ...u, credit_exhaustion_count: countCreditExhaustionEpisodes((byUser.get(u.user_id) ?? []).map(fields)) }));
}

/** Writes the demo into a snapshot through the same apply code the sync uses. */
export function writeDemoToSnapshot(snapshot: Snapshot, data: DemoData, onProgress?: (done: number, total: number) => void): void {
  const rows = rowsFromDemo(data);
  const writer = new SnapshotWriter(snapshot);
  writer.beginBulkLoad();
  writer.apply({ users: rows.users, conversations: rows.conversations });
  const page = 5000;
  for (let i = 0; i < rows.events.length; i += page) {
    writer.apply({ events: rows.events.slice(i, i + page) });
    onProgress?.(Math.min(i + page, rows.events.length), rows.events.length);
  }
  writer.finish();
  snapshot.db.transaction(() => {
    snapshot.setMeta('source', 'demo');
    snapshot.setMeta('last_sync_at', new Date().toISOString());
    snapshot.setMeta('demo_range', JSON.stringify(data.range));
  })();
}

/** Writes the demo into PostgreSQL through the capture path (identifyUser + trackEvents), as real events arrive. */
export async function writeDemoToPostgres(pool: pg.Pool, data: DemoData, onProgress?: (done: number, total: number) => void): Promise<{ accepted: number; duplicates: number }> {
  for (const u of data.users) await identifyUser(pool, u);
  let accepted = 0;
  let duplicates = 0;
  for (let i = 0; i < data.events.length; i += MAX_BATCH) {
    const r = await trackEvents(pool, data.events.slice(i, i + MAX_BATCH));
    accepted += r.accepted;
    duplicates += r.duplicates;
    onProgress?.(Math.min(i + MAX_BATCH, data.events.length), data.events.length);
  }
  return { accepted, duplicates };
}
