/**
 * Every metric of the PMF dashboard, computed on a snapshot (definitions: src/shared/metrics.ts, docs/metrics.md).
 * A facade: each insight has its own query runner (runners/*.ts) over one shared Planner (planner.ts: context,
 * segment, rollup choice, typed reads) and its caches (cache.ts). The app's handlers, the CLI, reports and the digest
 * all ask through it, so the page and `uis analytics` read the same runner.
 */
import type {
  CreditExhaustionRow,
  Dashboard,
  ExecutiveSummary,
  FailurePointRow,
  FilterOptions,
  Filters,
  IntentFrequencyRow,
  Journey,
  PmfSignal,
  PmfThresholds,
  RanOutRow,
  Retention,
  SeedFunnel,
  Timeseries,
  UsageHealth,
  UserDetail,
  UserList,
  UserListQuery,
} from '../../shared/metrics.js';
import type { ColumnarStore } from '../snapshot/columnar.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { Planner } from './planner.js';
import { creditExhaustion, ranOutUsers } from './runners/credits.js';
import { DASHBOARD_STORE_READS, dashboard, filterOptions } from './runners/dashboard.js';
import { journey, seedFunnelPopulation } from './runners/journey.js';
import { blockers, featureRequests, pmfSignals } from './runners/pmf.js';
import { retention } from './runners/retention.js';
import { failurePoints, intentFrequency, seedFunnel } from './runners/seed.js';
import { executiveSummary } from './runners/summary.js';
import { timeseries, weekTrend, type WeekTrend } from './runners/trends.js';
import { usageHealth } from './runners/usage.js';
import { userDetail } from './runners/user-detail.js';
import { listUsers } from './runners/users-table.js';

export type { WeekTrend };

export class AnalyticsEngine {
  private readonly planner: Planner;

  constructor(
    readonly snapshot: Snapshot,
    thresholds: Partial<PmfThresholds> = {},
    /** "Today" for a snapshot without data; tests pin it. */
    now: () => Date = () => new Date(),
    /** rollups false: every metric from the tables (the tests compare the two); columnar: the snapshot's column store. */
    options: { rollups?: boolean; columnar?: ColumnarStore } = {},
  ) {
    this.planner = new Planner(snapshot, thresholds, now, options);
  }

  /**
   * Before a segmented dashboard: its grouped rows read from the column store (DuckDB) when it holds the snapshot's
   * current data, and its per-user reads answered there, so dashboard() does not group the snapshot's rows
   * (planner.ts prepare()). Same numbers either way.
   */
  prepare(filters: Filters = {}): Promise<boolean> {
    return this.planner.prepare(filters, DASHBOARD_STORE_READS);
  }

  get thresholds(): PmfThresholds {
    return this.planner.thresholds;
  }

  dashboard(filters: Filters = {}): Dashboard {
    return dashboard(this.planner, filters);
  }

  executiveSummary(filters: Filters = {}): ExecutiveSummary {
    return executiveSummary(this.planner, filters);
  }

  journey(filters: Filters = {}): Journey {
    return journey(this.planner, filters);
  }

  seedFunnel(filters: Filters = {}): SeedFunnel {
    return seedFunnel(this.planner, filters);
  }

  seedFunnelPopulation(filters: Filters = {}): { signedUp: number; withConversations: number } {
    return seedFunnelPopulation(this.planner, filters);
  }

  retention(filters: Filters = {}): Retention {
    return retention(this.planner, filters);
  }

  failurePoints(filters: Filters = {}): FailurePointRow[] {
    return failurePoints(this.planner, filters);
  }

  intentFrequency(filters: Filters = {}, limit = 1000, opts: { userMessagesOnly?: boolean } = {}): IntentFrequencyRow[] {
    return intentFrequency(this.planner, filters, limit, opts);
  }

  creditExhaustion(filters: Filters = {}): CreditExhaustionRow[] {
    return creditExhaustion(this.planner, filters);
  }

  ranOutUsers(filters: Filters = {}): RanOutRow[] {
    return ranOutUsers(this.planner, filters);
  }

  weekTrend(filters: Filters = {}): WeekTrend {
    return weekTrend(this.planner, filters);
  }

  usageHealth(filters: Filters = {}): UsageHealth {
    return usageHealth(this.planner, filters);
  }

  pmfSignals(filters: Filters = {}): PmfSignal[] {
    return pmfSignals(this.planner, filters);
  }

  timeseries(filters: Filters = {}): Timeseries {
    return timeseries(this.planner, filters);
  }

  featureRequests(filters: Filters = {}): Dashboard['featureRequests'] {
    return featureRequests(this.planner, filters);
  }

  blockers(filters: Filters = {}): Dashboard['blockers'] {
    return blockers(this.planner, filters);
  }

  listUsers(query: UserListQuery = {}): UserList {
    return listUsers(this.planner, query);
  }

  userDetail(userId: string, opts: { conversations?: number } = {}): UserDetail | null {
    return userDetail(this.planner, userId, opts);
  }

  filterOptions(): FilterOptions {
    return filterOptions(this.planner);
  }
}
