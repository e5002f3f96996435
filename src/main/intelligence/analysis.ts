import { createHash, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type OpenAI from 'openai';
import pLimit from 'p-limit';
import type pg from 'pg';
import { analysisSchemaFor, DEFAULT_USE_CASES, DEFAULT_USE_CASE_RULES, type ConversationAnalysis, type ConversationInput } from '../../shared/intelligence.js';
import { redact, type RedactionKind } from '../../shared/redact.js';
import { analyzeConversationLocally } from './analyzer.js';
import { chatJson, costUsd, createLlmClient, estimateTokens, type LlmConfig } from '../llm/client.js';
import { cachedIds, contentHash, ensureIntelligenceTables, logSent, readConversations, upsertAnalysis } from './store.js';

/**
 * The conversation analysis job: for each conversation of the range, the seed's JSON (primary_intent, blockers,
 * feature_requests, satisfaction_signal) plus use_case, from the LLM when one is configured, else from the local
 * analyzer. Results are cached by content hash + model + prompt version, so a second run sends nothing for unchanged
 * conversations, and a cancelled run resumes where it stopped (each result is written as it arrives).
 */
export const PROMPT_VERSION = 'conversation-analysis/v1';
export const LOCAL_MODEL = 'rules';
export const LOCAL_VERSION = 'local-analyzer/v1';
const EXPECTED_OUTPUT_TOKENS = 120;
const MAX_TRANSCRIPT_CHARS = 6000;

export interface AnalysisOptions {
  db: Database.Database;
  llm: LlmConfig | null;
  /** 'auto': the LLM when configured, else the local analyzer. */
  source?: 'auto' | 'local' | 'llm';
  since?: string;
  until?: string;
  conversationIds?: string[];
  useCases?: readonly string[];
  /** Redaction before text leaves the machine; on unless explicitly turned off. */
  redact?: boolean;
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
  /** The founder's opt-in: write results back to PostgreSQL's conversations (a write-enabled connection). */
  writeBack?: pg.Pool;
  client?: OpenAI;
}

export interface AnalysisEstimate {
  source: 'local' | 'llm';
  model: string;
  conversations: number;
  cached: number;
  toAnalyse: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
}

export interface AnalysisSummary extends AnalysisEstimate {
  runId: string;
  analysed: number;
  failed: number;
  requests: number;
  actualInputTokens: number;
  actualOutputTokens: number;
  actualCostUsd: number | null;
  cancelled: boolean;
  writtenBack: number;
  redactions: Partial<Record<RedactionKind, number>>;
  failures: Array<{ conversationId: string; error: string }>;
}

/** The transcript the LLM reads: user/assistant messages, tool results and the outcome, one line each. */
export function transcript(c: ConversationInput): string {
  const lines: string[] = [];
  for (const e of c.events) {
    if (e.event_type === 'message' && e.message) lines.push(`${e.role ?? 'user'}: ${e.message}`);
    else if (e.event_type === 'tool_call') lines.push(`tool ${e.tool_name ?? '?'}: ${e.success === false ? `failed (${e.error_type ?? 'error'})` : 'ok'}`);
    else if (e.event_type === 'error') lines.push(`error${e.tool_name ? ` in ${e.tool_name}` : ''}: ${e.error_type ?? 'unknown'}`);
  }
  if (c.completion_status) lines.push(`outcome: ${c.completion_status}`);
  const text = lines.join('\n');
  return text.length > MAX_TRANSCRIPT_CHARS ? text.slice(0, MAX_TRANSCRIPT_CHARS) + '\n[…truncated]' : text;
}

export function systemPrompt(useCases: readonly string[]): string {
  return [
    'You analyse one conversation between a user and an AI creation assistant (tools: image_gen, video_gen, search, ...).',
    'Extract: 1. what the user is trying to accomplish, 2. where they get stuck, 3. what features they ask for that do not exist,',
    '4. how satisfied they are (0 = furious or gave up, 10 = delighted), from their words and behaviour (praise, thanks,',
    'frustration, abandonment, repeated regenerations, failures), 5. the use case.',
    `use_case must be one of: ${useCases.join(', ')}.`,
    'Placeholders like [EMAIL] or [PHONE] replace private data; never guess what they hide.',
    'Return JSON only: {"primary_intent": str, "blockers": [str], "feature_requests": [str], "satisfaction_signal": 0-10, "use_case": str}.',
    'Keep each string short (under 12 words). Empty arrays when there are none.',
  ].join('\n');
}

export function buildMessages(c: ConversationInput, useCases: readonly string[], doRedact: boolean): { messages: OpenAI.Chat.ChatCompletionMessageParam[]; redactions: Partial<Record<RedactionKind, number>> } {
  const raw = transcript(c);
  const r = doRedact ? redact(raw) : { text: raw, counts: {} };
  return {
    messages: [
      { role: 'system', content: systemPrompt(useCases) },
      { role: 'user', content: `Conversation:\n${r.text}` },
    ],
    redactions: r.counts,
  };
}

function resolveSource(opts: AnalysisOptions): 'local' | 'llm' {
  const source = opts.source ?? 'auto';
  if (source === 'llm' && !opts.llm) throw new Error('source llm: no LLM is configured (Settings → AI for the workspace, or OPENAI_API_KEY / OPENAI_BASE_URL and UIS_MODEL in the environment)');
  return source === 'auto' ? (opts.llm ? 'llm' : 'local') : source;
}

interface Plan {
  source: 'local' | 'llm';
  model: string;
  version: string;
  conversations: ConversationInput[];
  hashes: Map<string, string>;
  cached: Set<string>;
  estimate: AnalysisEstimate;
}

function plan(opts: AnalysisOptions): Plan {
  ensureIntelligenceTables(opts.db);
  const source = resolveSource(opts);
  const model = source === 'llm' ? (opts.llm as LlmConfig).model : LOCAL_MODEL;
  const useCases = opts.useCases ?? DEFAULT_USE_CASES;
  // The label set is part of the prompt: another set must not reuse answers given for this one.
  const labelsChanged = useCases.join(',') !== DEFAULT_USE_CASES.join(',');
  const version = source === 'llm' ? PROMPT_VERSION + (labelsChanged ? `+labels:${createHash('sha256').update(useCases.join(',')).digest('hex').slice(0, 12)}` : '') : LOCAL_VERSION;
  const conversations = readConversations(opts.db, { since: opts.since, until: opts.until, ids: opts.conversationIds });
  const hashes = new Map(conversations.map((c) => [c.id, contentHash(c)]));
  const cached = cachedIds(opts.db, source, model, version, hashes);
  let inputTokens = 0;
  let outputTokens = 0;
  if (source === 'llm') {
    for (const c of conversations) {
      if (cached.has(c.id)) continue;
      const { messages } = buildMessages(c, useCases, opts.redact !== false);
      inputTokens += messages.reduce((a, m) => a + estimateTokens(String(m.content)) + 4, 0);
      outputTokens += EXPECTED_OUTPUT_TOKENS;
    }
  }
  return {
    source,
    model,
    version,
    conversations,
    hashes,
    cached,
    estimate: {
      source,
      model,
      conversations: conversations.length,
      cached: cached.size,
      toAnalyse: conversations.length - cached.size,
      inputTokens,
      outputTokens,
      costUsd: source === 'llm' ? costUsd((opts.llm as LlmConfig).price, inputTokens, outputTokens) : 0,
    },
  };
}

/** What a run would do and cost, without sending anything. */
export function estimateAnalysis(opts: AnalysisOptions): AnalysisEstimate {
  return plan(opts).estimate;
}

export async function runConversationAnalysis(opts: AnalysisOptions): Promise<AnalysisSummary> {
  const p = plan(opts);
  const { db } = opts;
  const runId = randomUUID();
  const useCases = opts.useCases ?? DEFAULT_USE_CASES;
  const schema = analysisSchemaFor(useCases);
  const summary: AnalysisSummary = {
    ...p.estimate,
    runId,
    analysed: 0,
    failed: 0,
    requests: 0,
    actualInputTokens: 0,
    actualOutputTokens: 0,
    actualCostUsd: p.source === 'llm' ? 0 : 0,
    cancelled: false,
    writtenBack: 0,
    redactions: {},
    failures: [],
  };
  db.prepare(
    `INSERT INTO ai_runs (run_id, kind, source, model, prompt_version, state, started_at, total, cached, estimated_input_tokens, estimated_output_tokens, estimated_cost_usd)
     VALUES (?, 'conversation-analysis', ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)`,
  ).run(runId, p.source, p.model, p.version, new Date().toISOString(), p.estimate.conversations, p.estimate.cached, p.estimate.inputTokens, p.estimate.outputTokens, p.estimate.costUsd);

  const todo = p.conversations.filter((c) => !p.cached.has(c.id));
  let done = 0;
  const report = () => opts.progress?.(todo.length ? done / todo.length : 1, `${done}/${todo.length} conversations analysed (${p.cached.size} cached)`);
  report();
  const results: Array<{ id: string; analysis: ConversationAnalysis }> = [];

  if (p.source === 'local') {
    for (const c of todo) {
      if (opts.signal?.aborted) break;
      const analysis = analyzeConversationLocally(c, DEFAULT_USE_CASE_RULES);
      upsertAnalysis(db, { conversation_id: c.id, source: 'local', user_id: c.user_id, model: p.model, prompt_version: p.version, content_hash: p.hashes.get(c.id) as string, status: 'ok', error: null, analysis, input_tokens: 0, output_tokens: 0, attempts: 1, run_id: runId });
      results.push({ id: c.id, analysis });
      summary.analysed++;
      done++;
      if (done % 50 === 0) report();
    }
  } else {
    const config = opts.llm as LlmConfig;
    const client = opts.client ?? createLlmClient(config);
    const limit = pLimit(config.concurrency);
    await Promise.all(
      todo.map((c) =>
        limit(async () => {
          if (opts.signal?.aborted) return;
          const { messages, redactions } = buildMessages(c, useCases, opts.redact !== false);
          for (const [k, n] of Object.entries(redactions)) summary.redactions[k as RedactionKind] = (summary.redactions[k as RedactionKind] ?? 0) + (n ?? 0);
          logSent(db, { runId, purpose: 'conversation-analysis', conversationId: c.id, payload: messages, redactions });
          let call;
          try {
            call = await chatJson(client, config, messages, schema, { signal: opts.signal, schemaName: 'conversation_analysis' });
          } catch (err) {
            if (opts.signal?.aborted) return;
            throw err;
          }
          summary.requests += call.requests;
          summary.actualInputTokens += call.inputTokens;
          summary.actualOutputTokens += call.outputTokens;
          const base = { conversation_id: c.id, source: 'llm' as const, user_id: c.user_id, model: p.model, prompt_version: p.version, content_hash: p.hashes.get(c.id) as string, input_tokens: call.inputTokens, output_tokens: call.outputTokens, attempts: call.attempts, run_id: runId };
          if (call.ok && call.value) {
            upsertAnalysis(db, { ...base, status: 'ok', error: null, analysis: call.value });
            results.push({ id: c.id, analysis: call.value });
            summary.analysed++;
          } else {
            // Recorded as failed with the reason; nothing of the bad answer is stored as a result.
            upsertAnalysis(db, { ...base, status: 'failed', error: call.error ?? 'unknown error', analysis: null });
            summary.failed++;
            summary.failures.push({ conversationId: c.id, error: call.error ?? 'unknown error' });
          }
          done++;
          report();
        }),
      ),
    );
    summary.actualCostUsd = costUsd(config.price, summary.actualInputTokens, summary.actualOutputTokens);
  }
  summary.cancelled = !!opts.signal?.aborted;

  if (opts.writeBack && !summary.cancelled) summary.writtenBack = await writeBack(opts.writeBack, results);

  db.prepare(
    `UPDATE ai_runs SET state = ?, finished_at = ?, analysed = ?, failed = ?, requests = ?, input_tokens = ?, output_tokens = ?, cost_usd = ? WHERE run_id = ?`,
  ).run(summary.cancelled ? 'cancelled' : 'done', new Date().toISOString(), summary.analysed, summary.failed, summary.requests, summary.actualInputTokens, summary.actualOutputTokens, summary.actualCostUsd, runId);
  report();
  return summary;
}

/**
 * Writes the computed fields back to PostgreSQL (the founder's explicit opt-in): extracted_use_case, blocker_reason
 * (the first blocker), user_satisfaction_signal. One statement for the batch.
 */
export async function writeBack(pool: pg.Pool, results: Array<{ id: string; analysis: ConversationAnalysis }>): Promise<number> {
  if (!results.length) return 0;
  const res = await pool.query(
    `UPDATE conversations AS c SET extracted_use_case = r.use_case, blocker_reason = r.blocker, user_satisfaction_signal = r.satisfaction
       FROM (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[]) AS t(id, use_case, blocker, satisfaction)) AS r
      WHERE c.id = r.id`,
    [results.map((r) => r.id), results.map((r) => r.analysis.use_case), results.map((r) => r.analysis.blockers[0] ?? null), results.map((r) => r.analysis.satisfaction_signal)],
  );
  return res.rowCount ?? 0;
}
