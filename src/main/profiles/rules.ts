/**
 * Profile-level PMF labels (seed: activation_status, retention_cohort). The dashboard's population metrics live in the
 * analytics helper's src/shared/metrics.ts; these per-user labels follow the same thresholds, documented in docs/realtime.md.
 */

export const CREDIT_ALLOWANCE = 100;
const DAY_MS = 86_400_000;
/** No activity for this long: the user is dormant / churned. */
export const DORMANT_AFTER_DAYS = 14;
/** Near the free allowance (the seed's "high usage" line is 90 credits). */
export const HIGH_USAGE_CREDITS = 90;

export type ActivationStatus = 'signed_up' | 'first_creation' | 'power_user' | 'dormant';
export type RetentionCohort = 'day_1' | 'week_1' | 'week_2' | 'churned';

export interface ActivityFacts {
  createdAt: string | null;
  lastActiveAt: string | null;
  /** Successful tool calls (something was created). */
  creations: number;
  activeDays: number;
  totalCreditsUsed: number;
}

export function activationStatus(f: ActivityFacts, now: Date): ActivationStatus {
  if (f.lastActiveAt && now.getTime() - Date.parse(f.lastActiveAt) > DORMANT_AFTER_DAYS * DAY_MS) return 'dormant';
  if ((f.activeDays >= 3 && f.creations >= 10) || f.totalCreditsUsed >= HIGH_USAGE_CREDITS) return 'power_user';
  if (f.creations >= 1) return 'first_creation';
  return 'signed_up';
}

/** How far the user has come back since signup: day_1 (first week), week_1, week_2 (14+ days), or churned. */
export function retentionCohort(f: ActivityFacts, now: Date): RetentionCohort | null {
  if (!f.createdAt || !f.lastActiveAt) return null;
  if (now.getTime() - Date.parse(f.lastActiveAt) > DORMANT_AFTER_DAYS * DAY_MS) return 'churned';
  const span = Math.floor((Date.parse(f.lastActiveAt) - Date.parse(f.createdAt)) / DAY_MS);
  if (span >= 14) return 'week_2';
  if (span >= 7) return 'week_1';
  return 'day_1';
}
