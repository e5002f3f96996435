import type { Command } from 'commander';
import { z } from 'zod';
import { hiddenMessagesNote, type AskResult, type IntelligenceOverview } from '../../shared/intelligence.js';
import { parseOption } from './options.js';
import { ConfigError, readEnv, useCasesFromEnv } from '../config.js';
import { createPool } from '../db/pg.js';
import { redactConnectionString } from '../connection-string.js';
import { openSnapshot } from '../snapshot/snapshot.js';
import { openWorkspaceSnapshot } from '../workspace/open.js';
import { WorkspaceStore } from '../workspace/store.js';
import { estimateAnalysis, runConversationAnalysis, type AnalysisSummary } from '../intelligence/analysis.js';
import { ASK_NOT_CONFIGURED, ask } from '../intelligence/ask.js';
import { runIntentClustering } from '../intelligence/intents.js';
import { workspaceLlmConfig } from '../workspace/llm.js';
import { intelligenceOverview } from '../intelligence/overview.js';
import { ensureIntelligenceTables } from '../intelligence/store.js';

/**
 * The terminal face of the intelligence feature: `uis analytics --ai-analysis [question]` (called by the analytics
 * command) and `uis intelligence` (estimate, source choice, write-back opt-in, what was sent).
 */
export interface AiAnalysisCommandOptions {
  workspace: string;
  /** The store the workspace is in (default: the data folder's). */
  store?: WorkspaceStore;
  snapshotPath: string;
  filters: { since?: string; until?: string };
  question?: string;
  json: boolean;
  source?: 'auto' | 'local' | 'llm';
  redact?: boolean;
  writeBack?: boolean;
  estimateOnly?: boolean;
  yes?: boolean;
}

const pct = (r: number | null) => (r === null ? 'n/a' : `${Math.round(r * 1000) / 10}%`);
const usd = (x: number | null) => (x === null ? 'unknown price (set UIS_PRICE_INPUT/UIS_PRICE_OUTPUT)' : `$${x.toFixed(4)}`);
const err = (line: string) => process.stderr.write(line + '\n');

export function formatAsk(result: AskResult): string {
  if (!result.configured || result.answer === null) return result.message ?? 'No answer.';
  const lines = [result.answer, ''];
  if (!result.verified) lines.push(`warning: ${result.unsupportedNumbers.length ? `numbers not found in the query results: ${result.unsupportedNumbers.join(', ')}` : 'no query succeeded'}`, '');
  result.queries.forEach((q, i) => {
    lines.push(`-- query ${i + 1}${q.timedOut ? ` (${q.error})` : q.error ? ` (refused: ${q.error})` : ''}`, q.sql);
    if (!q.error) {
      lines.push(q.columns.join('\t'));
      for (const row of q.rows.slice(0, 20)) lines.push(row.map((v) => (v === null ? '' : String(v))).join('\t'));
      if (q.rows.length > 20 || q.truncated) lines.push(`… ${q.truncated ? 'more rows (capped)' : `${q.rows.length - 20} more rows`}`);
    }
    lines.push('');
  });
  return lines.join('\n');
}

export function formatOverview(o: IntelligenceOverview, run: AnalysisSummary | null): string {
  const lines: string[] = [];
  lines.push('', `AI analysis (${o.source === 'llm' ? `LLM ${run?.model ?? ''}` : 'local analyzer: no LLM configured'}): ${o.analysedConversations} conversations${o.failedConversations ? `, ${o.failedConversations} failed` : ''}`);
  if (run) lines.push(`  this run: ${run.analysed} analysed, ${run.cached} cached, ${run.failed} failed, ${run.requests} requests, ${run.actualInputTokens}+${run.actualOutputTokens} tokens, cost ${run.source === 'llm' ? usd(run.actualCostUsd) : '$0 (local)'}`);
  const intents = o.intents;
  if (intents) {
    lines.push('', `Intent clusters (${intents.clusters.length} shown of k=${intents.k}, ${intents.chosenBy}${hiddenMessagesNote(intents) ? `; ${hiddenMessagesNote(intents)}` : ''})`);
    for (const c of intents.clusters.slice(0, 10)) {
      lines.push(`  ${pct(c.share).padStart(6)}  ${c.label.padEnd(36)} ${String(c.users).padStart(4)} users  activation ${pct(c.outcome.activationRate)}, day-7 ${pct(c.outcome.day7Retention)}, errors ${pct(c.outcome.errorRate)}  e.g. "${c.examples[0] ?? ''}"`);
    }
  }
  lines.push('', 'Feature requests (de-duplicated)');
  for (const f of o.featureRequests.slice(0, 10)) lines.push(`  ${String(f.count).padStart(5)}× ${f.request} (${f.userCount} users)`);
  if (!o.featureRequests.length) lines.push('  none found');
  lines.push('', 'Blockers (from events: conversations)');
  for (const b of o.blockers.slice(0, 10)) lines.push(`  ${String(b.count).padStart(5)}× ${b.text} (${b.userCount} users)`);
  if (!o.blockers.length) lines.push('  none recorded');
  lines.push('', 'Problems users mentioned (from their words, not events)');
  for (const b of o.mentionedProblems.slice(0, 10)) lines.push(`  ${String(b.count).padStart(5)}× ${b.text} (${b.userCount} users)`);
  if (!o.mentionedProblems.length) lines.push('  none found');
  lines.push('', `Satisfaction (0-10): ${o.satisfaction.map((s) => `${s.score}:${s.conversations}`).join(' ')}`);
  if (o.worthReading.length) {
    lines.push('', 'Worth reading');
    for (const w of o.worthReading.slice(0, 5)) lines.push(`  ${w.conversationId} (${w.userId}): ${w.why}: "${w.primaryIntent}"`);
  }
  return lines.join('\n');
}

export async function runAiAnalysisCommand(opts: AiAnalysisCommandOptions): Promise<void> {
  // The workspace's LLM (Settings → AI) over the environment defaults, as in the workbench.
  const llm = workspaceLlmConfig(opts.store ?? new WorkspaceStore(), opts.workspace);
  if (opts.question !== undefined) {
    if (!llm) throw new ConfigError(`uis intelligence --ask: ${ASK_NOT_CONFIGURED}`);
    // Ctrl-C cancels: the LLM request is aborted and the statement's process killed.
    const controller = new AbortController();
    const onSigint = () => {
      err('cancelling…');
      controller.abort();
    };
    process.once('SIGINT', onSigint);
    try {
      const result = await ask({ snapshotPath: opts.snapshotPath, question: opts.question, llm, signal: controller.signal, progress: (m) => err(`  ${m}`) });
      process.stdout.write((opts.json ? JSON.stringify(result, null, 2) : formatAsk(result)) + '\n');
      if (result.answer === null) process.exitCode = 1;
    } catch (e) {
      if (!controller.signal.aborted) throw e;
      err('cancelled');
      process.exitCode = 130;
    } finally {
      process.off('SIGINT', onSigint);
    }
    return;
  }
  const snapshot = openSnapshot(opts.snapshotPath);
  let pool: ReturnType<typeof createPool> | undefined;
  try {
    ensureIntelligenceTables(snapshot.db);
    const base = { db: snapshot.db, llm, source: opts.source ?? 'auto', since: opts.filters.since, until: opts.filters.until, redact: opts.redact !== false, useCases: useCasesFromEnv() } as const;
    const estimate = estimateAnalysis(base);
    err(
      estimate.source === 'llm'
        ? `estimate: ${estimate.toAnalyse} of ${estimate.conversations} conversations to send to ${estimate.model} (${estimate.cached} cached), ~${estimate.inputTokens} input + ~${estimate.outputTokens} output tokens, ~${usd(estimate.costUsd)}${base.redact ? '' : ' — REDACTION OFF'}`
        : `local analyzer (no LLM configured: Settings → AI, or OPENAI_API_KEY / OPENAI_BASE_URL and UIS_MODEL): ${estimate.toAnalyse} of ${estimate.conversations} conversations to analyse`,
    );
    if (opts.estimateOnly) {
      if (opts.json) process.stdout.write(JSON.stringify(estimate, null, 2) + '\n');
      return;
    }
    if (opts.writeBack) {
      const url = readEnv().DATABASE_URL;
      if (!url) throw new ConfigError('--write-back: DATABASE_URL is not set (a write-enabled PostgreSQL connection is required)');
      pool = createPool(url, { max: 2 });
    }
    const controller = new AbortController();
    const onSigint = () => {
      err('cancelling… (results so far are kept; run again to resume)');
      controller.abort();
    };
    process.once('SIGINT', onSigint);
    let lastShown = -1;
    const run = await runConversationAnalysis({
      ...base,
      writeBack: pool,
      signal: controller.signal,
      progress: (f, message) => {
        const step = Math.floor(f * 10);
        if (step !== lastShown) {
          lastShown = step;
          err(`  ${Math.round(f * 100)}% ${message}`);
        }
      },
    }).finally(() => process.off('SIGINT', onSigint));
    if (!run.cancelled) await runIntentClustering({ db: snapshot.db, llm, since: opts.filters.since, until: opts.filters.until });
    const overview = intelligenceOverview(snapshot.db, opts.filters, !!llm);
    if (opts.json) process.stdout.write(JSON.stringify({ run, overview }, null, 2) + '\n');
    else process.stdout.write(formatOverview(overview, run) + '\n');
    if (run.writtenBack) err(`wrote ${run.writtenBack} conversations back to PostgreSQL (extracted_use_case, blocker_reason, user_satisfaction_signal)`);
    if (run.failures.length) err(`${run.failures.length} conversations failed (e.g. ${run.failures[0].error}); run again to retry them`);
  } catch (e) {
    throw new Error(redactConnectionString((e as Error).message));
  } finally {
    snapshot.close();
    await pool?.end();
  }
}

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');
const Flags = z.object({
  workspace: z.string().min(1).max(200).optional(),
  since: day.optional(),
  until: day.optional(),
  source: z.enum(['auto', 'local', 'llm']).default('auto'),
  redact: z.boolean().default(true),
  writeBack: z.boolean().optional(),
  estimate: z.boolean().optional(),
  ask: z.string().min(3).max(2000).optional(),
  sent: z.coerce.number().int().min(1).max(1000).optional(),
  json: z.boolean().optional(),
});

export function registerIntelligenceCommand(program: Command): void {
  program
    .command('intelligence')
    .description('AI analysis of conversations (LLM or local analyzer), intent clusters, feature requests, Ask')
    .option('--workspace <name>', 'workspace (default: the active one; the demo when nothing is configured)')
    .option('--since <YYYY-MM-DD>', 'conversations started on or after this day (UTC)')
    .option('--until <YYYY-MM-DD>', 'conversations started on or before this day (UTC)')
    .option('--source <auto|local|llm>', 'analyzer: the LLM when configured (auto), or force one', 'auto')
    .option('--no-redact', 'send text without redacting e-mails, phones, cards, IBANs, national IDs, keys, IPs, addresses (not recommended)')
    .option('--write-back', 'also write use case, blocker and satisfaction back to PostgreSQL conversations (DATABASE_URL)')
    .option('--estimate', 'print the token and cost estimate only; send nothing')
    .option('--ask <question>', 'answer a question with read-only SQL on the snapshot (needs an LLM)')
    .option('--sent [n]', 'show the last n payloads sent to the LLM (after redaction)')
    .option('--json', 'JSON output')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOption(Flags, { ...raw, sent: raw.sent === true ? 5 : raw.sent });
      const store = new WorkspaceStore();
      const { workspace, snapshot } = openWorkspaceSnapshot(store, o.workspace);
      snapshot.close();
      if (o.sent) {
        const s = openSnapshot(workspace.snapshotPath);
        try {
          ensureIntelligenceTables(s.db);
          const rows = s.db.prepare('SELECT sent_at, purpose, conversation_id, payload, redactions FROM ai_sent_log ORDER BY id DESC LIMIT ?').all(o.sent);
          process.stdout.write((o.json ? JSON.stringify(rows, null, 2) : rows.map((r) => JSON.stringify(r)).join('\n') || 'nothing has been sent') + '\n');
        } finally {
          s.close();
        }
        return;
      }
      await runAiAnalysisCommand({
        workspace: workspace.name,
        store,
        snapshotPath: workspace.snapshotPath,
        filters: { since: o.since, until: o.until },
        question: o.ask,
        json: !!o.json,
        source: o.source,
        redact: o.redact,
        writeBack: o.writeBack,
        estimateOnly: o.estimate,
      });
    });
}
