/**
 * The whole dashboard (every page reads a part of it; `uis analytics` prints it), cached per filter set, and the filter bar's options.
 */
import { ACTIVATION_STATUSES, CREDITS_LIST_ROWS, Filters, type Dashboard, type FilterOptions, type FirstRows } from '../../../shared/metrics.js';
import { snapshotAgeSeconds } from '../../snapshot/snapshot.js';
import type { Planner, StoreRead } from '../planner.js';
import { DASHBOARD_CACHE_ENTRIES, deepFreeze, remember } from '../cache.js';
import { HIGH_USAGE_USERS, USE_CASE_USERS, executiveSummary } from './summary.js';
import { journey, seedFunnelPopulation } from './journey.js';
import { FAILURE_POINTS, SEED_FUNNEL, seedFunnel, intentFrequency, failurePoints } from './seed.js';
import { retention } from './retention.js';
import { creditExhaustion, highUsageList, ranOutList, ranOutUsers } from './credits.js';
import { SINGLE_SESSION, TIMES_TO, usageHealth } from './usage.js';
import { BLOCKERS, DAY7_USERS, FAILING_USERS, FAILING_USER_COUNT, FEATURE_REQUESTS, RAN_OUT_USERS, OFF_VISION_CONVERSATIONS, SHORT_CONVERSATIONS, SIGNAL_USERS, SINGLE_SESSION_USERS, pmfSignals, featureRequests, blockers } from './pmf.js';
import { timeseries } from './trends.js';

export function dashboard(p: Planner, filters: Filters = {}): Dashboard {
  return p.scoped(() => {
    const key = JSON.stringify(Filters.parse(filters));
    const cached = p.cache.dashboards.get(key);
    // Only the snapshot's age moves on until the data changes (its counts are part of the cached numbers).
    if (cached) return { ...cached, snapshot: { ...cached.snapshot, ageSeconds: snapshotAgeSeconds(cached.snapshot.lastSyncAt, p.now()) } };
    // Frozen: every caller shares the cached object, so a caller that mutated it would fail loudly, not corrupt it.
    return remember(p.cache.dashboards, key, deepFreeze(computeDashboard(p, filters)), DASHBOARD_CACHE_ENTRIES);
  });
}

function computeDashboard(p: Planner, filters: Filters): Dashboard {
  return p.scoped(() => {
    const t0 = performance.now();
    const ctx = p.context(filters);
    const intents = intentFrequency(p, filters, INTENT_LIST_ROWS + 1);
    const userIntents = intentFrequency(p, filters, INTENT_LIST_ROWS + 1, { userMessagesOnly: true });
    const result: Omit<Dashboard, 'computeMs'> = {
      filters: ctx.filters,
      range: { since: ctx.since, until: ctx.until },
      generatedAt: p.now().toISOString(),
      snapshot: p.snapshot.info(p.now()),
      summary: executiveSummary(p, filters),
      journey: journey(p, filters),
      seedFunnel: seedFunnel(p, filters),
      seedFunnelPopulation: seedFunnelPopulation(p, filters),
      retention: retention(p, filters),
      intents: firstRows(intents, INTENT_LIST_ROWS),
      userIntents: firstRows(userIntents, INTENT_LIST_ROWS),
      failurePoints: failurePoints(p, filters),
      // The pages show the first rows; the whole lists (61k users at 10M events) cost the dashboard ~0.5 s.
      ranOutUsers: firstRows(ranOutUsers(p, filters, CREDITS_LIST_ROWS + 1), CREDITS_LIST_ROWS),
      highUsageUsers: firstRows(creditExhaustion(p, filters, CREDITS_LIST_ROWS + 1), CREDITS_LIST_ROWS),
      usageHealth: usageHealth(p, filters),
      pmfSignals: pmfSignals(p, filters),
      timeseries: timeseries(p, filters),
      featureRequests: featureRequests(p, filters),
      blockers: blockers(p, filters),
    };
    return { ...result, computeMs: Math.round((performance.now() - t0) * 10) / 10 };
  });
}

const INTENT_LIST_ROWS = 500;

/**
 * The dashboard's per-user reads of a segment that the column store answers (planner.ts StoreRead; the segment's
 * cube is the planner's own): SQLite reads each over the segment's users, ~0.1–0.35 s apiece at 10M events.
 */
export const DASHBOARD_STORE_READS: readonly StoreRead[] = [
  BLOCKERS,
  FAILING_USERS,
  FAILING_USER_COUNT,
  SHORT_CONVERSATIONS,
  OFF_VISION_CONVERSATIONS,
  FEATURE_REQUESTS,
  SINGLE_SESSION,
  SINGLE_SESSION_USERS,
  RAN_OUT_USERS,
  DAY7_USERS,
  ...Object.values(SIGNAL_USERS),
  FAILURE_POINTS,
  SEED_FUNNEL,
  TIMES_TO,
  HIGH_USAGE_USERS,
  USE_CASE_USERS,
  ranOutList(CREDITS_LIST_ROWS + 1),
  highUsageList(CREDITS_LIST_ROWS + 1),
];

/** A list's first `limit` rows, from a query asked for one more (that row says whether there are more). */
function firstRows<T>(rows: T[], limit: number): FirstRows<T> {
  return { rows: rows.slice(0, limit), truncated: rows.length > limit };
}

export function filterOptions(p: Planner): FilterOptions {
  return p.scoped(() => {
    if (p.cache.filterOptions) return p.cache.filterOptions;
    const pluck = (sql: string) => p.values<string>(sql);
    p.cache.filterOptions = {
      tools: pluck('SELECT DISTINCT tool_name FROM agg_tool_day ORDER BY 1'),
      useCases: pluck('SELECT DISTINCT use_case FROM conversations WHERE use_case IS NOT NULL ORDER BY 1'),
      signupCohorts: pluck('SELECT DISTINCT signup_week FROM users WHERE signup_week IS NOT NULL ORDER BY 1'),
      activation: [...ACTIVATION_STATUSES],
      firstDay: p.firstDay(),
      lastDay: p.latestDay(),
    };
    return p.cache.filterOptions;
  });
}
