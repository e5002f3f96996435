/**
 * Retention: day 1 / day 7, the weekly cohort triangle, retention cohorts and activation statuses.
 */
import { ACTIVATION_STATUSES, Filters, RETENTION_COHORTS, daysBetween, ratio, type Ratio, type Retention } from '../../../shared/metrics.js';
import type { CubeRow } from '../user-states.js';
import type { Planner } from '../planner.js';
import { groupBy, sum } from '../sums.js';

export function retention(p: Planner, filters: Filters = {}): Retention {
  return p.once('retention', filters, () => {
    const ctx = p.context(filters);
    const { until } = ctx;
    const cohort = p.cohort(ctx);
    const dayN = (n: 1 | 7): Ratio => {
      const eligible = cohort.filter((r) => r.age >= n);
      return ratio(sum(eligible, (r) => (n === 1 ? r.day1 : r.day7)), sum(eligible, (r) => r.users));
    };
    const byWeek = groupBy(cohort.filter((r) => r.signupWeek !== null), (r) => r.signupWeek!);
    let weeks = 0;
    const cohorts = [...byWeek.keys()].sort().map((week) => {
      const members = byWeek.get(week)!;
      const size = sum(members, (r) => r.users);
      const maxK = Math.floor(daysBetween(week, until) / 7);
      weeks = Math.max(weeks, maxK + 1);
      const cells = Array.from({ length: maxK + 1 }, (_, k) => {
        const rows = members.filter((r) => r.age >= 7 * k);
        const eligible = sum(rows, (r) => r.users);
        if (eligible === 0) return null;
        // Activity is tracked for the first TRACKED_WEEKS weeks after signup (later weeks: none retained).
        const retained = sum(rows, (r) => r.activeInWeek[k] ?? 0);
        const partial = rows.some((r) => r.age < 7 * k + 6) || eligible < size;
        return { retained, eligible, rate: retained / eligible, partial };
      });
      return { cohort: week, size, cells };
    });
    for (const c of cohorts) while (c.cells.length < weeks) c.cells.push(null);
    const count = <K extends string>(keys: readonly K[], pick: (r: CubeRow) => K) => {
      const out = Object.fromEntries(keys.map((k) => [k, 0])) as Record<string, number>;
      for (const r of p.cube(ctx)) out[pick(r)] += r.users;
      return out;
    };
    return {
      day1: dayN(1),
      day7: dayN(7),
      cohorts,
      weeks,
      retentionCohorts: count(RETENTION_COHORTS, (r) => r.retentionCohort),
      activationStatuses: count(ACTIVATION_STATUSES, (r) => r.activationStatus),
    };
  });
}
