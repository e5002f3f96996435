import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ConversationAnalysis, ConversationInput } from '../../shared/intelligence.js';

/**
 * The intelligence feature's own tables inside the workspace's SQLite snapshot (the sync never touches ai_* tables):
 * per-conversation analyses with their cache key, what was sent to an LLM (inspectable), runs with token and cost
 * figures, and intent clusters.
 */
export const INTELLIGENCE_DDL = `
CREATE TABLE IF NOT EXISTS ai_conversation_analysis (
  conversation_id TEXT NOT NULL,
  source TEXT NOT NULL,                 -- 'local' | 'llm'
  user_id TEXT,
  model TEXT NOT NULL,                  -- 'rules' for the local analyzer
  prompt_version TEXT NOT NULL,
  content_hash TEXT NOT NULL,           -- sha256 of the conversation as analysed: the cache key with model + prompt
  status TEXT NOT NULL,                 -- 'ok' | 'failed' (a failed answer is never stored as truth)
  error TEXT,
  primary_intent TEXT, blockers TEXT, feature_requests TEXT, satisfaction_signal INTEGER, use_case TEXT, evidence TEXT,
  input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
  run_id TEXT, analyzed_at TEXT NOT NULL,
  PRIMARY KEY (conversation_id, source)
);
CREATE TABLE IF NOT EXISTS ai_sent_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT, purpose TEXT NOT NULL, conversation_id TEXT, sent_at TEXT NOT NULL,
  payload TEXT NOT NULL,                -- exactly what left the machine (after redaction)
  redactions TEXT NOT NULL              -- JSON {EMAIL: 2, ...}
);
CREATE TABLE IF NOT EXISTS ai_runs (
  run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, model TEXT NOT NULL, prompt_version TEXT NOT NULL,
  state TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
  total INTEGER NOT NULL DEFAULT 0, analysed INTEGER NOT NULL DEFAULT 0, cached INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
  requests INTEGER NOT NULL DEFAULT 0,
  estimated_input_tokens INTEGER, estimated_output_tokens INTEGER, estimated_cost_usd REAL,
  input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL
);
CREATE TABLE IF NOT EXISTS ai_intent_clusters (
  run_id TEXT NOT NULL, cluster_id INTEGER NOT NULL, label TEXT NOT NULL, top_terms TEXT NOT NULL,
  messages INTEGER NOT NULL, users INTEGER NOT NULL,
  PRIMARY KEY (run_id, cluster_id)
);
CREATE TABLE IF NOT EXISTS ai_results (
  kind TEXT PRIMARY KEY, run_id TEXT NOT NULL, computed_at TEXT NOT NULL, payload TEXT NOT NULL  -- the latest view, JSON
);
CREATE TABLE IF NOT EXISTS ai_intent_members (
  run_id TEXT NOT NULL, event_id TEXT NOT NULL, cluster_id INTEGER NOT NULL,  -- -1: in a group too small to show
  PRIMARY KEY (run_id, event_id)
);
`;

export function ensureIntelligenceTables(db: Database.Database): void {
  db.exec(INTELLIGENCE_DDL);
}

/** Conversations with their events, oldest first, optionally limited to those started in [since, until] (days). */
export function readConversations(db: Database.Database, range: { since?: string; until?: string; ids?: string[] } = {}): ConversationInput[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (range.since) {
    where.push('start_day >= ?');
    params.push(range.since);
  }
  if (range.until) {
    where.push('start_day <= ?');
    params.push(range.until);
  }
  if (range.ids) {
    where.push(`id IN (${range.ids.map(() => '?').join(',') || "''"})`);
    params.push(...range.ids);
  }
  const conversations = db
    .prepare(`SELECT id, user_id, completion_status FROM conversations ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY started_at, id`)
    .all(...params) as Array<{ id: string; user_id: string; completion_status: string | null }>;
  const eventsOf = db.prepare(
    'SELECT event_type, role, message, tool_name, success, error_type, credits FROM events WHERE conversation_id = ? ORDER BY ts, id',
  );
  return conversations.map((c) => ({
    ...c,
    events: (eventsOf.all(c.id) as Array<{ success: number | null } & Record<string, unknown>>).map((e) => ({
      event_type: (e.event_type as string | null) ?? null,
      role: (e.role as string | null) ?? null,
      message: (e.message as string | null) ?? null,
      tool_name: (e.tool_name as string | null) ?? null,
      success: e.success === null ? null : e.success === 1,
      error_type: (e.error_type as string | null) ?? null,
      credits: Number(e.credits ?? 0),
    })),
  }));
}

/** The cache key's content part: what the analysis depends on, in a stable order. */
export function contentHash(c: ConversationInput): string {
  return createHash('sha256').update(JSON.stringify([c.completion_status, c.events])).digest('hex');
}

export interface StoredAnalysis extends ConversationAnalysis {
  conversation_id: string;
  source: 'local' | 'llm';
  status: 'ok' | 'failed';
  error: string | null;
}

export interface AnalysisRow {
  conversation_id: string;
  source: 'local' | 'llm';
  user_id: string;
  model: string;
  prompt_version: string;
  content_hash: string;
  status: 'ok' | 'failed';
  error: string | null;
  analysis: (ConversationAnalysis & { evidence?: string[] }) | null;
  input_tokens: number;
  output_tokens: number;
  attempts: number;
  run_id: string;
}

export function upsertAnalysis(db: Database.Database, row: AnalysisRow): void {
  db.prepare(
    `INSERT INTO ai_conversation_analysis (conversation_id, source, user_id, model, prompt_version, content_hash, status, error,
       primary_intent, blockers, feature_requests, satisfaction_signal, use_case, evidence, input_tokens, output_tokens, attempts, run_id, analyzed_at)
     VALUES (@conversation_id, @source, @user_id, @model, @prompt_version, @content_hash, @status, @error,
       @primary_intent, @blockers, @feature_requests, @satisfaction_signal, @use_case, @evidence, @input_tokens, @output_tokens, @attempts, @run_id, @analyzed_at)
     ON CONFLICT (conversation_id, source) DO UPDATE SET user_id = excluded.user_id, model = excluded.model,
       prompt_version = excluded.prompt_version, content_hash = excluded.content_hash, status = excluded.status, error = excluded.error,
       primary_intent = excluded.primary_intent, blockers = excluded.blockers, feature_requests = excluded.feature_requests,
       satisfaction_signal = excluded.satisfaction_signal, use_case = excluded.use_case, evidence = excluded.evidence,
       input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, attempts = excluded.attempts,
       run_id = excluded.run_id, analyzed_at = excluded.analyzed_at`,
  ).run({
    conversation_id: row.conversation_id,
    source: row.source,
    user_id: row.user_id,
    model: row.model,
    prompt_version: row.prompt_version,
    content_hash: row.content_hash,
    status: row.status,
    error: row.error,
    primary_intent: row.analysis?.primary_intent ?? null,
    blockers: row.analysis ? JSON.stringify(row.analysis.blockers) : null,
    feature_requests: row.analysis ? JSON.stringify(row.analysis.feature_requests) : null,
    satisfaction_signal: row.analysis?.satisfaction_signal ?? null,
    use_case: row.analysis?.use_case ?? null,
    evidence: row.analysis?.evidence ? JSON.stringify(row.analysis.evidence) : null,
    input_tokens: row.input_tokens,
    output_tokens: row.output_tokens,
    attempts: row.attempts,
    run_id: row.run_id,
    analyzed_at: new Date().toISOString(),
  });
}

/** Conversation ids whose stored analysis is current for this source, model, prompt version and content. */
export function cachedIds(db: Database.Database, source: string, model: string, promptVersion: string, hashes: Map<string, string>): Set<string> {
  const rows = db
    .prepare("SELECT conversation_id, content_hash FROM ai_conversation_analysis WHERE source = ? AND model = ? AND prompt_version = ? AND status = 'ok'")
    .all(source, model, promptVersion) as Array<{ conversation_id: string; content_hash: string }>;
  return new Set(rows.filter((r) => hashes.get(r.conversation_id) === r.content_hash).map((r) => r.conversation_id));
}

export function logSent(db: Database.Database, entry: { runId: string; purpose: string; conversationId: string | null; payload: unknown; redactions: Record<string, number | undefined> }): void {
  db.prepare('INSERT INTO ai_sent_log (run_id, purpose, conversation_id, sent_at, payload, redactions) VALUES (?, ?, ?, ?, ?, ?)').run(
    entry.runId,
    entry.purpose,
    entry.conversationId,
    new Date().toISOString(),
    JSON.stringify(entry.payload),
    JSON.stringify(entry.redactions),
  );
}
