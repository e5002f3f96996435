import type { Dashboard, Filters } from '../../shared/metrics.js';
import type { AnalyticsEngine } from '../analytics/engine.js';

/** What a report or digest reads: the engine's dashboard for a range, plus rolling WAU. */
export interface MetricsSource {
  readonly workspace: string;
  /** Last day with data (UTC), the default end of a report. */
  latestDay(): string | null;
  dashboard(filters: Filters): Dashboard;
  /** Distinct users active on any day of [since, until]. */
  activeUsersBetween(since: string, until: string): number;
  close(): void;
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
    activeUsersBetween: (since, until) => (wau.get(since, until) as { n: number }).n,
    close: onClose,
  };
}
