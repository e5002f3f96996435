import type { intelligenceChannels } from '../../shared/api/intelligence.js';
import { CoreError } from '../core/errors.js';
import type { HandlersFor } from '../core/types.js';
import { activeWorkspace, workspaceLlmConfig } from '../workspace/session.js';
import { estimateAnalysis, runConversationAnalysis } from './analysis.js';
import { ask, LLM_SETUP_HINT } from './ask.js';
import { runIntentClustering } from './intents.js';
import { useCasesFromEnv } from '../config.js';
import { intelligenceOverview } from './overview.js';
import { ensureIntelligenceTables } from './store.js';

/** The Intelligence page's channels over the active workspace's snapshot (see src/shared/api/intelligence.ts). */
function useCases(): string[] | undefined {
  try {
    return useCasesFromEnv();
  } catch (err) {
    throw new CoreError('invalid_config', (err as Error).message);
  }
}

export const intelligenceHandlers: HandlersFor<typeof intelligenceChannels> = {
  'intelligence.overview': async ({ filters }, ctx) => {
    const { snapshot } = await activeWorkspace(ctx);
    return intelligenceOverview(snapshot.db, { since: filters.since, until: filters.until }, (await workspaceLlmConfig(ctx)) !== null);
  },
  'intelligence.estimate': async ({ source, filters }, ctx) => {
    const { snapshot } = await activeWorkspace(ctx);
    try {
      return estimateAnalysis({ db: snapshot.db, llm: await workspaceLlmConfig(ctx), source, useCases: useCases(), since: filters.since, until: filters.until });
    } catch (err) {
      throw new CoreError('invalid_input', (err as Error).message);
    }
  },
  'intelligence.run': async ({ source, redact, filters }, ctx) => {
    const { snapshot } = await activeWorkspace(ctx);
    const llm = await workspaceLlmConfig(ctx);
    if (source === 'llm' && !llm) throw new CoreError('invalid_input', `source: no LLM is configured (${LLM_SETUP_HINT})`);
    const labels = useCases();
    const jobId = ctx.jobs.start('intelligence', async ({ signal, progress }) => {
      const run = await runConversationAnalysis({
        db: snapshot.db,
        llm,
        source,
        redact,
        useCases: labels,
        since: filters.since,
        until: filters.until,
        signal,
        progress: (f, message) => progress(f * 0.8, message),
      });
      if (!run.cancelled) {
        await runIntentClustering({ db: snapshot.db, llm, since: filters.since, until: filters.until, signal, progress: (f, message) => progress(0.8 + f * 0.2, message) });
      }
      const { failures, ...summary } = run;
      return { ...summary, failures: failures.slice(0, 20) };
    });
    return { jobId };
  },
  'intelligence.ask': async ({ question }, ctx) => {
    const { workspace } = await activeWorkspace(ctx);
    const llm = await workspaceLlmConfig(ctx);
    // A job: the page follows it on jobs.update and can cancel it (jobs.cancel kills the statement's process).
    const jobId = ctx.jobs.start('ask', async ({ signal, progress }) => {
      const result = await ask({ snapshotPath: workspace.snapshotPath, question, llm, signal, progress: (m) => progress(null, m) });
      const stopped = result.queries.filter((q) => q.timedOut).length;
      progress(1, `${result.answer === null ? 'No answer' : 'Answered'}${stopped ? `; ${stopped} ${stopped === 1 ? 'query' : 'queries'} stopped at the time limit` : ''}`);
      return result;
    });
    return { jobId };
  },
  'intelligence.sent': async ({ limit }, ctx) => {
    const { snapshot } = await activeWorkspace(ctx);
    ensureIntelligenceTables(snapshot.db);
    const rows = snapshot.db.prepare('SELECT sent_at, purpose, conversation_id, payload, redactions FROM ai_sent_log ORDER BY id DESC LIMIT ?').all(limit) as Array<{
      sent_at: string;
      purpose: string;
      conversation_id: string | null;
      payload: string;
      redactions: string;
    }>;
    return { entries: rows.map((r) => ({ sentAt: r.sent_at, purpose: r.purpose, conversationId: r.conversation_id, payload: r.payload, redactions: JSON.parse(r.redactions) as Record<string, number> })) };
  },
  'intelligence.conversation': async ({ conversationId }, ctx) => {
    const { snapshot } = await activeWorkspace(ctx);
    ensureIntelligenceTables(snapshot.db);
    const conv = snapshot.db.prepare('SELECT id, user_id, completion_status FROM conversations WHERE id = ?').get(conversationId) as { id: string; user_id: string; completion_status: string | null } | undefined;
    if (!conv) throw new CoreError('not_found', `No conversation "${conversationId}" in this workspace`);
    const events = snapshot.db
      .prepare('SELECT ts, event_type, role, message, tool_name, success, error_type FROM events WHERE conversation_id = ? ORDER BY ts, id LIMIT 500')
      .all(conversationId) as Array<{ ts: string; event_type: string | null; role: string | null; message: string | null; tool_name: string | null; success: number | null; error_type: string | null }>;
    const a = snapshot.db
      .prepare("SELECT source, primary_intent, blockers, feature_requests, satisfaction_signal, use_case FROM ai_conversation_analysis WHERE conversation_id = ? AND status = 'ok' ORDER BY source = 'llm' DESC LIMIT 1")
      .get(conversationId) as { source: string; primary_intent: string; blockers: string; feature_requests: string; satisfaction_signal: number; use_case: string } | undefined;
    return {
      conversationId: conv.id,
      userId: conv.user_id,
      completionStatus: conv.completion_status,
      events: events.map((e) => ({ ts: e.ts, eventType: e.event_type, role: e.role, message: e.message, toolName: e.tool_name, success: e.success === null ? null : e.success === 1, errorType: e.error_type })),
      analysis: a
        ? { source: a.source, primary_intent: a.primary_intent, blockers: JSON.parse(a.blockers), feature_requests: JSON.parse(a.feature_requests), satisfaction_signal: a.satisfaction_signal, use_case: a.use_case }
        : null,
    };
  },
};
