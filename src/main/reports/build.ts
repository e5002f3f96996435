import type { Dashboard, Filters, PmfSignal, RanOutRow } from '../../shared/metrics.js';
import { pmfOverallBrief } from '../../shared/pmf.js';
import type { CohortRow, Kpi, PmfRow, ReportData, ReportSettings, RetentionPoint } from '../../shared/report.js';

/** Whole UTC days, both ends inclusive. */
export interface Period {
  since: string;
  until: string;
}

const DAY_MS = 86_400_000;
const toDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const dayMs = (d: string) => Date.parse(`${d}T00:00:00Z`);

export function periodDays(p: Period): number {
  return Math.round((dayMs(p.until) - dayMs(p.since)) / DAY_MS) + 1;
}

/**
 * The report's period: `until` defaults to the last day with data (else today), `since` to 30 days before `until`.
 * The previous period is the same number of days right before it.
 */
export function resolvePeriods(req: { since?: string; until?: string }, latestDay: string | null, today = toDay(Date.now())): { current: Period; previous: Period } {
  const until = req.until ?? (req.since && latestDay && latestDay < req.since ? req.since : (latestDay ?? today));
  const since = req.since ?? toDay(dayMs(until) - 29 * DAY_MS);
  const days = periodDays({ since, until });
  const prevUntil = toDay(dayMs(since) - DAY_MS);
  return { current: { since, until }, previous: { since: toDay(dayMs(prevUntil) - (days - 1) * DAY_MS), until: prevUntil } };
}

export function periodFilters(p: Period): Filters {
  return { since: p.since, until: p.until };
}

function thresholdText(s: PmfSignal): string {
  // "No credit exhaustion" is the one check that fires below its threshold.
  const op = s.id === 'no_credit_exhaustion' ? '<' : '>';
  const v = s.unit === 'rate' ? `${Math.round(s.threshold * 1000) / 10}%` : s.unit === 'messages' ? `${s.threshold} messages` : String(s.threshold);
  return `${op} ${v}`;
}

function pmfRows(current: PmfSignal[], previous: PmfSignal[]): PmfRow[] {
  const prev = new Map(previous.map((s) => [s.id, s]));
  return current.map((s) => {
    const verdict = s.verdict;
    const p = prev.get(s.id);
    return {
      key: s.id,
      label: s.label,
      kind: s.group,
      value: s.value,
      unit: s.unit === 'rate' ? 'percent' : s.unit === 'messages' ? 'decimal' : 'count',
      threshold: thresholdText(s),
      met: verdict === 'not_enough_data' ? null : verdict !== 'not_seen',
      verdict,
      previousVerdict: p?.verdict,
      detail: s.detail || undefined,
    };
  });
}

function kpis(c: Dashboard, p: Dashboard): Kpi[] {
  const k = (key: string, label: string, unit: Kpi['unit'], pick: (d: Dashboard) => number | null): Kpi => ({ key, label, unit, value: pick(c), previous: pick(p) });
  return [
    k('new_users', 'New signups', 'count', (d) => d.summary.totals.newUsers),
    k('active_users', 'Active users', 'count', (d) => d.summary.totals.activeUsers),
    k('average_dau', 'Average DAU', 'decimal', (d) => d.summary.averageDailyActiveUsers),
    k('week1_retention', 'Week-1 retention', 'percent', (d) => d.summary.week1Retention.rate),
    k('day7_retention', 'Day-7 retention', 'percent', (d) => d.retention.day7.rate),
    k('credit_exhaustion_rate', 'Ran out of credits', 'percent', (d) => d.summary.ranOut.rate),
    k('conversations', 'Conversations', 'count', (d) => d.summary.totals.conversations),
    k('avg_session_minutes', 'Avg session length', 'minutes', (d) => d.summary.averageSessionMinutes),
    k('error_rate', 'Tool error rate', 'percent', (d) => d.usageHealth.overallErrorRate.rate),
  ];
}

function retention(d: Dashboard): { curve: RetentionPoint[]; cohorts: CohortRow[] } {
  const width = Math.max(0, ...d.retention.cohorts.map((c) => c.cells.length));
  const curve: RetentionPoint[] = [];
  for (let w = 0; w < width; w++) {
    let retained = 0;
    let eligible = 0;
    for (const c of d.retention.cohorts) {
      const cell = c.cells[w];
      // Only finished windows: an open week would drag the curve down.
      if (cell && !cell.partial) {
        retained += cell.retained;
        eligible += cell.eligible;
      }
    }
    if (eligible > 0) curve.push({ week: w, retained, eligible, rate: retained / eligible });
  }
  // The cohort table shows open weeks as the screen does: their rate so far, marked open.
  const cohorts = d.retention.cohorts.map((c) => ({ cohort: c.cohort, size: c.size, cells: c.cells.map((cell) => cell?.rate ?? null), open: c.cells.map((cell) => !!cell?.partial) }));
  return { curve, cohorts };
}

export interface BuildInput {
  current: Dashboard;
  previous: Dashboard;
  /** The current period's whole "Who ran out" list (the dashboard carries its first rows only). */
  ranOutUsers: RanOutRow[];
  periods: { current: Period; previous: Period };
  settings: ReportSettings;
  workspace: string;
  /** Distinct users active in the 7 days ending on each day (rolling WAU), when the source can tell. */
  wauByDay?: Map<string, number>;
  /** Blockers / requests from the intelligence module, when it has run; else the engine's local rules are used. */
  insights?: { blockers: { text: string; count: number; users: number | null }[]; featureRequests: { text: string; count: number; users: number | null }[]; source: string };
  now?: Date;
}

export function buildReportData(input: BuildInput): ReportData {
  const { current: c, previous: p, periods } = input;
  const ret = retention(c);
  const ce = c.summary.ranOut;
  return {
    title: 'Investor update',
    company: { name: input.settings.companyName, logoDataUrl: input.settings.logoDataUrl },
    workspace: input.workspace,
    period: { ...periods.current, days: periodDays(periods.current) },
    previousPeriod: periods.previous,
    generatedAt: (input.now ?? new Date()).toISOString(),
    kpis: kpis(c, p),
    previousHasData: p.summary.totals.events > 0,
    pmfOverall: pmfOverallBrief(c.pmfSignals),
    pmf: pmfRows(c.pmfSignals, p.pmfSignals),
    journey: c.journey.steps.map((s) => ({ step: s.label, users: s.count, fromPrevious: s.stepConversion, ofFirst: s.overallConversion })),
    retention: { day1: c.retention.day1.rate, day7: c.retention.day7.rate, ...ret },
    growth: c.timeseries.days.map((d) => ({ date: d.day, dau: d.activeUsers, wau: input.wauByDay?.get(d.day) ?? null, signups: d.signups })),
    useCases: c.summary.topUseCases.map((u) => ({ useCase: u.useCase, conversations: u.conversations, users: u.users, share: u.share })),
    creditExhaustion: {
      exhaustedUsers: ce.count,
      activeUsers: ce.total,
      rate: ce.rate,
      users: input.ranOutUsers.map((r) => ({ userId: r.userId, email: r.email, creditsUsed: r.totalCreditsUsed, exhaustionCount: r.episodes, lastActiveAt: r.lastActiveAt })),
    },
    blockers: input.insights?.blockers ?? c.blockers.map((b) => ({ text: b.blocker, count: b.conversations, users: b.users })),
    featureRequests: input.insights?.featureRequests ?? c.featureRequests.map((f) => ({ text: f.text, count: f.mentions, users: f.users })),
    insightsSource: input.insights?.source ?? 'conversation blockers and feature-request phrases found by the local rules (docs/metrics.md)',
    narrative: null,
    narrativeNote: null,
  };
}
