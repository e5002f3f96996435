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
  Retention,
  SeedFunnel,
  Timeseries,
  UsageHealth,
  UserDetail,
  UserList,
  UserListQuery,
} from '../../shared/metrics.js';
import type { Snapshot } from '../snapshot/snapshot.js';

const notYet = (name: string): never => {
  throw new Error(`AnalyticsEngine.${name} is not implemented yet`);
};

/** Every metric of the PMF dashboard, computed on a snapshot. Definitions: src/shared/metrics.ts. */
export class AnalyticsEngine {
  constructor(
    readonly snapshot: Snapshot,
    readonly thresholds: Partial<PmfThresholds> = {},
  ) {}
  dashboard(_filters: Filters = {}): Dashboard { return notYet('dashboard'); }
  executiveSummary(_filters: Filters = {}): ExecutiveSummary { return notYet('executiveSummary'); }
  journey(_filters: Filters = {}): Journey { return notYet('journey'); }
  seedFunnel(_filters: Filters = {}): SeedFunnel { return notYet('seedFunnel'); }
  retention(_filters: Filters = {}): Retention { return notYet('retention'); }
  failurePoints(_filters: Filters = {}): FailurePointRow[] { return notYet('failurePoints'); }
  intentFrequency(_filters: Filters = {}, _limit?: number): IntentFrequencyRow[] { return notYet('intentFrequency'); }
  creditExhaustion(_filters: Filters = {}): CreditExhaustionRow[] { return notYet('creditExhaustion'); }
  usageHealth(_filters: Filters = {}): UsageHealth { return notYet('usageHealth'); }
  pmfSignals(_filters: Filters = {}): PmfSignal[] { return notYet('pmfSignals'); }
  timeseries(_filters: Filters = {}): Timeseries { return notYet('timeseries'); }
  listUsers(_query: UserListQuery = {}): UserList { return notYet('listUsers'); }
  userDetail(_userId: string): UserDetail | null { return notYet('userDetail'); }
  filterOptions(): FilterOptions { return notYet('filterOptions'); }
}
