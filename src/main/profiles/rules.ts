import {
  ACTIVATION_STATUSES,
  CREDIT_ALLOWANCE,
  DORMANT_AFTER_DAYS,
  RETENTION_COHORTS,
  addDays,
  daysBetween,
} from '../../shared/metrics.js';

/**
 * Per-user PMF labels (seed: activation_status, retention_cohort) by the dashboard's own definitions
 * (METRIC_DEFINITIONS.activationStatus / retentionCohort in src/shared/metrics.ts, computed there by the analytics
 * engine over the snapshot), with "today" as the end of the range: the profile and the dashboard agree.
 */
export { CREDIT_ALLOWANCE };

export type ActivationStatus = (typeof ACTIVATION_STATUSES)[number];
export type RetentionCohort = (typeof RETENTION_COHORTS)[number];

export interface ActivityFacts {
  /** Signup day (YYYY-MM-DD): the profile's created_at, else the first conversation's day. */
  signupDay: string | null;
  /** Days with any event (YYYY-MM-DD). */
  activeDays: string[];
  /** Successful tool calls of a creation tool (CREATION_TOOLS). */
  creations: number;
  creditsUsed: number;
  /** Credit-exhaustion episodes (conversations that hit the limit; src/shared/metric-definitions.ts). */
  creditExhaustionEpisodes: number;
}

/** Ran out of credits: at least one episode (high usage alone is not running out). */
export function ranOut(f: ActivityFacts): boolean {
  return f.creditExhaustionEpisodes > 0;
}

export function profileLabels(f: ActivityFacts, today: string): { activation: ActivationStatus; retention: RetentionCohort | null } {
  const lastDay = f.activeDays.reduce<string | null>((m, d) => (m === null || d > m ? d : m), null);
  const quiet = !lastDay || lastDay < addDays(today, -(DORMANT_AFTER_DAYS - 1));
  const oldEnough = (days: number) => f.signupDay !== null && daysBetween(f.signupDay, today) >= days;
  const offsets = f.signupDay ? f.activeDays.map((d) => daysBetween(f.signupDay!, d)).filter((n) => n >= 0) : [];
  const maxOffset = offsets.length ? Math.max(...offsets) : -1;

  let activation: ActivationStatus;
  if (quiet && oldEnough(DORMANT_AFTER_DAYS)) activation = 'dormant';
  else if ((f.creations >= 5 && f.activeDays.length >= 3) || ranOut(f)) activation = 'power_user';
  else if (f.creations >= 1) activation = 'first_creation';
  else activation = 'signed_up';

  let retention: RetentionCohort | null;
  if (!f.signupDay) retention = null;
  else if ((quiet && oldEnough(DORMANT_AFTER_DAYS)) || (maxOffset <= 0 && oldEnough(2))) retention = 'churned';
  else if (maxOffset >= 7) retention = 'week_2';
  else if (maxOffset >= 2) retention = 'week_1';
  else retention = 'day_1';
  return { activation, retention };
}
