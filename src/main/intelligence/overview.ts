import type Database from 'better-sqlite3';
import type { IntelligenceOverview, RankedItem } from '../../shared/intelligence.js';
import { isTextFinding } from './analyzer.js';
import { tokenize } from './cluster.js';
import { latestIntentClusters } from './intents.js';
import { ensureIntelligenceTables } from './store.js';

/**
 * What the Intelligence page shows, read from the stored analyses (LLM results when there are any, else the local
 * analyzer's): feature requests and blockers de-duplicated, counted, trending and linked to users; the satisfaction
 * distribution; the conversations most worth reading; the latest intent clusters.
 */
interface Row {
  conversation_id: string;
  user_id: string;
  start_day: string | null;
  primary_intent: string;
  blockers: string;
  feature_requests: string;
  satisfaction_signal: number;
}

function mondayOf(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

/** Variants that differ only in stop words, inflection or order share a key ("Add subtitles" = "adding subtitle"). */
export function dedupeKey(text: string): string {
  const stems = [...new Set(tokenize(text))].sort();
  return stems.length ? stems.join(' ') : text.toLowerCase().trim();
}

function rank<R extends Pick<Row, 'user_id' | 'start_day'>>(rows: R[], pick: (r: R) => string[], key: (text: string) => string = dedupeKey): RankedItem[] {
  const groups = new Map<string, { variants: Map<string, number>; count: number; users: Set<string>; weeks: Map<string, number>; lastSeen: string | null }>();
  for (const r of rows) {
    for (const text of new Set(pick(r))) {
      const k = key(text);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { variants: new Map(), count: 0, users: new Set(), weeks: new Map(), lastSeen: null }));
      g.variants.set(text, (g.variants.get(text) ?? 0) + 1);
      g.count++;
      g.users.add(r.user_id);
      if (r.start_day) {
        const w = mondayOf(r.start_day);
        g.weeks.set(w, (g.weeks.get(w) ?? 0) + 1);
        if (!g.lastSeen || r.start_day > g.lastSeen) g.lastSeen = r.start_day;
      }
    }
  }
  return [...groups.values()]
    .map((g) => ({
      text: [...g.variants.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0],
      count: g.count,
      userCount: g.users.size,
      users: [...g.users].sort().slice(0, 20),
      trend: [...g.weeks.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([week, count]) => ({ week, count })),
      lastSeen: g.lastSeen,
    }))
    .sort((a, b) => b.count - a.count || b.userCount - a.userCount || a.text.localeCompare(b.text));
}

export function intelligenceOverview(db: Database.Database, range: { since?: string; until?: string }, llmConfigured = false): IntelligenceOverview {
  ensureIntelligenceTables(db);
  const hasLlm = (db.prepare("SELECT 1 FROM ai_conversation_analysis WHERE source = 'llm' AND status = 'ok' LIMIT 1").get() as unknown) !== undefined;
  const hasLocal = (db.prepare("SELECT 1 FROM ai_conversation_analysis WHERE source = 'local' LIMIT 1").get() as unknown) !== undefined;
  const source = hasLlm ? 'llm' : hasLocal ? 'local' : null;
  const where = ['a.source = ?'];
  const params: string[] = [source ?? 'local'];
  if (range.since) {
    where.push('c.start_day >= ?');
    params.push(range.since);
  }
  if (range.until) {
    where.push('c.start_day <= ?');
    params.push(range.until);
  }
  const rows = db
    .prepare(
      `SELECT a.conversation_id, a.user_id, c.start_day, a.primary_intent, a.blockers, a.feature_requests, a.satisfaction_signal
         FROM ai_conversation_analysis a LEFT JOIN conversations c ON c.id = a.conversation_id
        WHERE ${where.join(' AND ')} AND a.status = 'ok'`,
    )
    .all(...params) as Row[];
  const failed = (db.prepare("SELECT COUNT(*) AS n FROM ai_conversation_analysis WHERE source = ? AND status = 'failed'").get(source ?? 'local') as { n: number }).n;
  const parse = (s: string) => JSON.parse(s) as string[];
  const satisfaction = Array.from({ length: 11 }, (_, score) => ({ score, conversations: rows.filter((r) => r.satisfaction_signal === score).length }));
  // Worth reading: low satisfaction first, then users whose blockers repeat across conversations.
  const blockerCountByUser = new Map<string, number>();
  for (const r of rows) if (parse(r.blockers).length) blockerCountByUser.set(r.user_id, (blockerCountByUser.get(r.user_id) ?? 0) + 1);
  const worthReading = rows
    .filter((r) => r.satisfaction_signal <= 3 || (blockerCountByUser.get(r.user_id) ?? 0) >= 2)
    .sort((a, b) => a.satisfaction_signal - b.satisfaction_signal || (blockerCountByUser.get(b.user_id) ?? 0) - (blockerCountByUser.get(a.user_id) ?? 0) || a.conversation_id.localeCompare(b.conversation_id))
    .slice(0, 25)
    .map((r) => {
      const repeated = blockerCountByUser.get(r.user_id) ?? 0;
      return {
        conversationId: r.conversation_id,
        userId: r.user_id,
        satisfaction: r.satisfaction_signal,
        primaryIntent: r.primary_intent,
        blockers: parse(r.blockers),
        why: [r.satisfaction_signal <= 3 ? `satisfaction ${r.satisfaction_signal}/10` : null, repeated >= 2 ? `blocked in ${repeated} conversations` : null].filter(Boolean).join(', '),
      };
    });
  // Blockers come from events: each blocked conversation's blocker, exactly as the engine groups them.
  const blocked = db
    .prepare(
      `SELECT id AS conversation_id, user_id, start_day, blocker FROM conversations
        WHERE blocker IS NOT NULL AND start_day IS NOT NULL AND (? IS NULL OR start_day >= ?) AND (? IS NULL OR start_day <= ?)`,
    )
    .all(range.since ?? null, range.since ?? null, range.until ?? null, range.until ?? null) as Array<{ user_id: string; start_day: string | null; blocker: string }>;
  const run = db.prepare('SELECT * FROM ai_runs ORDER BY started_at DESC LIMIT 1').get() as Record<string, unknown> | undefined;
  return {
    source,
    analysedConversations: rows.length,
    failedConversations: failed,
    featureRequests: rank(rows, (r) => parse(r.feature_requests)).slice(0, 50).map((f) => ({ ...f, request: f.text })),
    // In the engine's order (conversations, then the blocker's name).
    blockers: rank(blocked, (r) => [r.blocker], (text) => text)
      .sort((a, b) => b.count - a.count || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
      .slice(0, 50),
    // The local rules' event-derived blockers are the list above already: only what they found in the words here.
    mentionedProblems: rank(rows, (r) => (source === 'local' ? parse(r.blockers).filter(isTextFinding) : parse(r.blockers))).slice(0, 50),
    satisfaction,
    worthReading,
    intents: latestIntentClusters(db),
    lastRun: run
      ? {
          runId: String(run.run_id),
          kind: String(run.kind),
          source: String(run.source),
          model: String(run.model),
          state: String(run.state),
          startedAt: String(run.started_at),
          finishedAt: (run.finished_at as string | null) ?? null,
          analysed: Number(run.analysed),
          cached: Number(run.cached),
          failed: Number(run.failed),
          requests: Number(run.requests),
          costUsd: (run.cost_usd as number | null) ?? null,
        }
      : null,
    llmConfigured,
  };
}
