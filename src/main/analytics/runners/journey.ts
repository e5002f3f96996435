/**
 * The journey (signed up → first chat → tool → creation → ran out), by signup cohort, and why the seed funnel's total differs.
 */
import { Filters, JOURNEY_STEPS, type Journey, type JourneyStep } from '../../../shared/metrics.js';
import type { CubeRow } from '../user-states.js';
import type { Planner } from '../planner.js';
import { groupBy, sum } from '../sums.js';
import { seedFunnel } from './seed.js';

function journeySteps(rows: CubeRow[]): JourneyStep[] {
  const users = sum(rows, (r) => r.users);
  const counts: Record<string, number> = {
    signed_up: users,
    first_chat: sum(rows, (r) => r.firstChat),
    used_tool: sum(rows, (r) => r.usedTool),
    created_content: sum(rows, (r) => r.created),
    ran_out: sum(rows, (r) => r.exhausted * r.users),
  };
  return JOURNEY_STEPS.map((s, i) => {
    const count = counts[s.id];
    const prev = i === 0 ? count : counts[JOURNEY_STEPS[i - 1].id];
    return {
      id: s.id,
      label: s.label,
      count,
      stepConversion: i === 0 ? (count ? 1 : null) : prev ? count / prev : null,
      overallConversion: users ? count / users : null,
    };
  });
}


export function journey(p: Planner, filters: Filters = {}): Journey {
  return p.scoped(() => {
    const ctx = p.context(filters);
    const cohort = p.cohort(ctx);
    const byWeek = groupBy(cohort, (r) => r.signupWeek ?? 'unknown');
    return {
      steps: journeySteps(cohort),
      byCohort: [...byWeek.keys()].sort().map((cohortWeek) => ({ cohort: cohortWeek, steps: journeySteps(byWeek.get(cohortWeek)!) })),
    };
  });
}

/**
 * Why the seed funnel's total differs from the journey's Signed Up: the seed counts users with conversations (started
 * in the range), the journey every user who signed up (in the range).
 */
export function seedFunnelPopulation(p: Planner, filters: Filters = {}): { signedUp: number; withConversations: number } {
  return { signedUp: journey(p, filters).steps[0].count, withConversations: seedFunnel(p, filters).total_users };
}
