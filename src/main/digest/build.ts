import type { Anomaly, Digest, PmfChange } from '../../shared/digest.js';
import { addDays, type Dashboard } from '../../shared/metrics.js';
import type { Kpi, RankedText, Verdict } from '../../shared/report.js';
import type { MetricsSource } from '../reports/source.js';
import type { DigestPeriod } from './periods.js';

const VERDICTS: Record<string, Verdict> = { strong: 'strong', weak: 'weak', pivot: 'pivot', not_seen: 'ok', not_enough_data: 'unknown' };

/** Anomaly rules (documented in docs/reports.md). */
export const ANOMALY_RULES = {
  /** A tool's error rate is a spike when it is at least double the baseline and 10 points above it… */
  errorRateFactor: 2,
  errorRateMinPoints: 0.1,
  /** …on enough calls to mean something. */
  minCalls: 10,
  minErrors: 5,
  /** Active users below 70% of the baseline (per day for the daily digest) on a baseline of at least 10. */
  activityDropFactor: 0.7,
  minBaselineUsers: 10,
};

function keyNumbers(c: Dashboard, p: Dashboard): Kpi[] {
  const k = (key: string, label: string, unit: Kpi['unit'], pick: (d: Dashboard) => number | null): Kpi => ({ key, label, unit, value: pick(c), previous: pick(p) });
  return [
    k('active_users', 'Active users', 'count', (d) => d.summary.totals.activeUsers),
    k('new_users', 'New signups', 'count', (d) => d.summary.totals.newUsers),
    k('conversations', 'Conversations', 'count', (d) => d.summary.totals.conversations),
    k('credits_used', 'Credits used', 'credits', (d) => d.summary.totals.creditsUsed),
    k('error_rate', 'Tool error rate', 'percent', (d) => d.usageHealth.overallErrorRate.rate),
    k('avg_session_minutes', 'Avg session length', 'minutes', (d) => d.summary.averageSessionMinutes),
  ];
}

function normalized(s: string): string {
  return s.trim().toLowerCase().replace(/\s+/g, ' ');
}

/** Entries of the period's top 5 that were not in the baseline's top 10. */
function newEntries(current: RankedText[], baseline: RankedText[]): RankedText[] {
  const before = new Set(baseline.slice(0, 10).map((b) => normalized(b.text)));
  return current.slice(0, 5).filter((c) => !before.has(normalized(c.text)));
}

function anomalies(c: Dashboard, base: Dashboard): Anomaly[] {
  const out: Anomaly[] = [];
  const r = ANOMALY_RULES;
  const baseByTool = new Map(base.usageHealth.errorRateByTool.map((t) => [t.tool, t]));
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  for (const t of c.usageHealth.errorRateByTool) {
    if (t.rate == null || t.calls < r.minCalls || t.errors < r.minErrors) continue;
    const b = baseByTool.get(t.tool);
    const baseRate = b?.rate ?? 0;
    if (t.rate >= baseRate * r.errorRateFactor && t.rate - baseRate >= r.errorRateMinPoints) {
      out.push({ kind: 'error_rate_spike', tool: t.tool, value: t.rate, baseline: baseRate, message: `${t.tool} failed ${pct(t.rate)} of ${t.calls} calls (baseline ${pct(baseRate)})` });
    }
  }
  // Average DAU on both sides, so a one-day period compares with a seven-day baseline fairly.
  const baseActive = base.summary.averageDailyActiveUsers;
  const currentActive = c.summary.averageDailyActiveUsers;
  if (baseActive >= r.minBaselineUsers && currentActive < baseActive * r.activityDropFactor) {
    const one = (x: number) => Math.round(x * 10) / 10;
    out.push({ kind: 'activity_drop', tool: null, value: currentActive, baseline: baseActive, message: `Daily active users fell to ${one(currentActive)} from ${one(baseActive)} a day in the baseline` });
  }
  return out;
}

/** Computes the digest for one period from the engine. */
export function buildDigest(source: MetricsSource, period: DigestPeriod, company: string): Digest {
  const current = source.dashboard({ since: period.since, until: period.until });
  const previous = source.dashboard(period.previous);
  const base = period.baseline.since === period.previous.since && period.baseline.until === period.previous.until ? previous : source.dashboard(period.baseline);

  // PMF verdicts need a sample: judge the 30 days ending with the period against the 30 days ending the day before it.
  const pmfNow = source.pmfSignals({ since: addDays(period.until, -29), until: period.until });
  const pmfBefore = new Map(source.pmfSignals({ since: addDays(period.since, -30), until: addDays(period.since, -1) }).map((s) => [s.id, s]));
  const pmfChanges: PmfChange[] = [];
  for (const s of pmfNow) {
    const b = pmfBefore.get(s.id);
    const from = b ? VERDICTS[b.verdict]! : 'unknown';
    const to = VERDICTS[s.verdict]!;
    if (from !== to) pmfChanges.push({ key: s.id, label: s.label, kind: s.group, from, to, value: s.value, unit: s.unit === 'rate' ? 'percent' : s.unit === 'messages' ? 'decimal' : 'count' });
  }

  // Hot leads: ran out of credits (a first episode) by the end of the period, not by the day before it.
  const before = new Set(source.ranOutUsers({ until: addDays(period.since, -1) }).map((r) => r.userId));
  const newlyExhausted = source
    .ranOutUsers({ until: period.until })
    .filter((r) => !before.has(r.userId))
    .map((r) => ({ userId: r.userId, email: r.email, creditsUsed: r.totalCreditsUsed, exhaustionCount: r.episodes, lastActiveAt: r.lastActiveAt }));

  const ranked = (d: Dashboard) => ({
    blockers: d.blockers.map((b) => ({ text: b.blocker, count: b.conversations, users: b.users })),
    requests: d.featureRequests.map((f) => ({ text: f.text, count: f.mentions, users: f.users })),
  });
  // The intelligence module's de-duplicated lists when it has analysed the conversations; else the engine's rules.
  const fromInsights = (range: { since: string; until: string }, d: Dashboard) => {
    const i = source.insights(range);
    return i ? { blockers: i.blockers, requests: i.featureRequests } : ranked(d);
  };
  const cr = fromInsights({ since: period.since, until: period.until }, current);
  const br = fromInsights(period.baseline, base);
  return {
    kind: period.kind,
    periodKey: period.key,
    period: { since: period.since, until: period.until },
    previous: period.previous,
    baseline: period.baseline,
    company,
    workspace: source.workspace,
    keyNumbers: keyNumbers(current, previous),
    pmfChanges,
    newBlockers: newEntries(cr.blockers, br.blockers),
    newFeatureRequests: newEntries(cr.requests, br.requests),
    newlyExhausted,
    anomalies: anomalies(current, base),
  };
}
