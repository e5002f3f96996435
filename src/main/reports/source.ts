import type { CreditExhaustionRow, Dashboard, Filters, PmfSignal, RanOutRow } from '../../shared/metrics.js';
import type { RankedText } from '../../shared/report.js';
import { demoOptions } from '../config.js';
import { AnalyticsEngine } from '../analytics/engine.js';
import { intelligenceOverview } from '../intelligence/overview.js';
import { generateDemo } from '../demo/generate.js';
import { writeDemoToSnapshot } from '../demo/sinks.js';
import { openSnapshot } from '../snapshot/snapshot.js';
import { WorkspaceStore } from '../workspace/store.js';

/** What a report or digest reads: the engine's dashboard for a range, plus rolling WAU. */
export interface MetricsSource {
  readonly workspace: string;
  /** Last day with data (UTC), the default end of a report. */
  latestDay(): string | null;
  dashboard(filters: Filters): Dashboard;
  pmfSignals(filters: Filters): PmfSignal[];
  /** Users over the high-usage line (seed query 4); with only `until`, lifetime up to that day. */
  creditExhaustion(filters: Filters): CreditExhaustionRow[];
  /** Users who ran out of credits (≥ 1 episode) by the end of the range. */
  ranOutUsers(filters: Filters): RanOutRow[];
  /**
   * Blockers and feature requests from the intelligence module's stored analyses (LLM, else its local analyzer),
   * de-duplicated; null when no analysis has run, and the engine's rule-based lists are used instead.
   */
  insights(range: { since: string; until: string }): Insights | null;
  /** Distinct users active on any day of [since, until]. */
  activeUsersBetween(since: string, until: string): number;
  close(): void;
}

export interface Insights {
  blockers: RankedText[];
  featureRequests: RankedText[];
  source: string;
}

function insightsFrom(db: AnalyticsEngine['snapshot']['db'], range: { since: string; until: string }): Insights | null {
  let o;
  try {
    o = intelligenceOverview(db, range);
  } catch {
    // A read-only snapshot without the intelligence tables: nothing analysed yet.
    return null;
  }
  if (!o.source || o.analysedConversations === 0) return null;
  return {
    blockers: o.blockers.map((b) => ({ text: b.text, count: b.count, users: b.userCount })),
    featureRequests: o.featureRequests.map((f) => ({ text: f.text, count: f.count, users: f.userCount })),
    source: `${o.source === 'llm' ? 'LLM' : 'local-analyzer'} analysis of ${o.analysedConversations} conversations (Intelligence page)`,
  };
}

/** Wraps the analytics engine of a workspace's snapshot. */
export function engineSource(engine: AnalyticsEngine, workspace: string, onClose: () => void = () => {}): MetricsSource {
  // Rolling WAU is a distinct count over 7 days, which the dashboard's daily series cannot give; the snapshot's
  // per-user-day aggregate answers it with one indexed query per day.
  const wau = engine.snapshot.db.prepare('SELECT COUNT(DISTINCT user_id) AS n FROM agg_user_day WHERE day BETWEEN ? AND ?');
  return {
    workspace,
    latestDay: () => engine.snapshot.info().latestDay,
    dashboard: (filters) => engine.dashboard(filters),
    pmfSignals: (filters) => engine.pmfSignals(filters),
    creditExhaustion: (filters) => engine.creditExhaustion(filters),
    ranOutUsers: (filters) => engine.ranOutUsers(filters),
    insights: (range) => insightsFrom(engine.snapshot.db, range),
    activeUsersBetween: (since, until) => (wau.get(since, until) as { n: number }).n,
    close: onClose,
  };
}

/**
 * Opens a workspace's snapshot and engine outside the workbench core (CLI, service): the named workspace, else the
 * active one (the demo workspace on first use, generated into its snapshot like the workbench does).
 */
export function openWorkspaceSource(dir: string, workspace?: string): MetricsSource {
  const store = new WorkspaceStore(dir);
  const ws = workspace ? store.get(workspace) : store.getActive();
  const snapshot = openSnapshot(ws.snapshotPath);
  try {
    if (ws.kind === 'demo' && snapshot.info().counts.events === 0) writeDemoToSnapshot(snapshot, generateDemo(demoOptions()));
    return engineSource(new AnalyticsEngine(snapshot), ws.name, () => snapshot.close());
  } catch (err) {
    snapshot.close();
    throw err;
  }
}
