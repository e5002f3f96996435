/**
 * The zod-free part of the metrics vocabulary: constants, metric and PMF-signal definitions, UTC day arithmetic.
 * The workbench's pages import this file, so its start-up bundle does not carry the schemas of metrics.ts (and zod).
 * metrics.ts re-exports all of it. Pure: no node:*, no electron.
 */

export const ACTIVATION_STATUSES = ['signed_up', 'first_creation', 'power_user', 'dormant'] as const;
export type ActivationStatus = (typeof ACTIVATION_STATUSES)[number];
export const RETENTION_COHORTS = ['day_1', 'week_1', 'week_2', 'churned'] as const;
export type RetentionCohort = (typeof RETENTION_COHORTS)[number];

/** Tools whose successful call produces content (the journey's "Created Content" step). */
export const CREATION_TOOLS = ['image_gen', 'video_gen', 'voice_gen', 'upscale', 'music_gen', 'avatar_gen'] as const;
/** The free allowance every user starts with, and the seed's "high usage" line (credit exhaustion list). */
export const CREDIT_ALLOWANCE = 100;
export const HIGH_USAGE_CREDITS = 90;
/** A user with no activity for this many days is dormant / churned. */
export const DORMANT_AFTER_DAYS = 14;
/** Error types and completion statuses that mean "ran out of credits". */
export const CREDIT_EXHAUSTION_ERRORS = ['insufficient_credits'] as const;

export const USER_SORT_FIELDS = [
  'userId',
  'email',
  'signedUpAt',
  'lastActiveAt',
  'conversations',
  'messages',
  'creditsUsed',
  'activationStatus',
  'retentionCohort',
] as const;

export interface MetricDefinition {
  label: string;
  rule: string;
}

export const METRIC_DEFINITIONS = {
  dailyActiveUsers: { label: 'Daily active users', rule: 'Users with at least one event on the last day of the range (UTC), out of users signed up by that day.' },
  averageDailyActiveUsers: { label: 'Average DAU', rule: 'Mean over the days of the range of users with at least one event that day.' },
  week1Retention: { label: 'Week-1 retention', rule: 'Users active on any day 7–13 days after their signup day, out of users (signed up in the range) whose day 13 is on or before the end of the range.' },
  day1Retention: { label: 'Day-1 retention', rule: 'Users active exactly 1 day after their signup day, out of users whose day 1 is on or before the end of the range.' },
  day7Retention: { label: 'Day-7 retention', rule: 'Users active exactly 7 days after their signup day, out of users whose day 7 is on or before the end of the range.' },
  creditsExhausted: { label: 'Exhausted credits', rule: `Users who used at least ${HIGH_USAGE_CREDITS} of their ${CREDIT_ALLOWANCE} credits, or hit a blocked_by_credits completion or an insufficient_credits error, by the end of the range.` },
  averageSessionMinutes: { label: 'Average session length', rule: 'Mean of (last_message_at − started_at) in minutes over conversations started in the range.' },
  topUseCases: { label: 'Top use cases', rule: 'Conversations started in the range per use case (extracted_use_case, else keyword rules on the first user message), share of all such conversations.' },
  journey: { label: 'Activation journey', rule: 'Users signed up in the range (all users without a range). First Chat: has a conversation; Used Tool: has a tool_call; Created Content: a successful tool_call of a creation tool (' + CREATION_TOOLS.join(', ') + '); Exhausted Credits: as "Exhausted credits". Each step counted by the end of the range; step conversion = count / previous step; overall = count / Signed Up.' },
  seedFunnel: { label: 'Activation funnel (seed query 1)', rule: 'The seed\'s SQL: users with conversations; day_1_active = at least one active day; created_content = a conversation whose tools_used has video_gen; high_usage = credits_used summed ≥ 90; successful_users = a completed conversation.' },
  retentionTriangle: { label: 'Retention triangle', rule: 'Rows: signup week (Monday, UTC). Cell k: share of the cohort active during days 7k..7k+6 after their own signup day; partial while that window is still open; empty before it starts.' },
  retentionCohort: { label: 'Retention cohort (per user)', rule: `churned: no activity in the ${DORMANT_AFTER_DAYS} days up to the end of the range, or active only on the signup day and signed up ≥ 2 days before; week_2: active on a day ≥ 7 days after signup; week_1: active on a day 2–6 days after signup; day_1: otherwise.` },
  activationStatus: { label: 'Activation status (per user)', rule: `dormant: signed up ≥ ${DORMANT_AFTER_DAYS} days before the end of the range and no activity in the last ${DORMANT_AFTER_DAYS} days; power_user: ≥ 5 successful creations on ≥ 3 active days, or exhausted credits; first_creation: ≥ 1 successful creation; signed_up: otherwise.` },
  intentFrequency: { label: 'Intent frequency (seed query 2)', rule: 'Message events grouped by day, content.message, tool_name, success; frequency = count, most frequent first.' },
  failurePoints: { label: 'Failure points (seed query 3)', rule: 'Events with success = false grouped by tool_name and content.error; failures = count, affected users = distinct users.' },
  creditExhaustion: { label: 'Credit exhaustion (seed query 4)', rule: `Users whose credits used (in the range; lifetime without a range) reach ${HIGH_USAGE_CREDITS}, ordered by user_profiles.credit_exhaustion_count descending; exhaustion events = blocked_by_credits completions + insufficient_credits errors.` },
  conversationsPerUser: { label: 'Conversations per user', rule: 'Conversations started in the range / users with at least one of them.' },
  messagesPerConversation: { label: 'Messages per conversation', rule: 'Mean message_count of conversations started in the range.' },
  singleSessionUsers: { label: 'Single-session users', rule: 'Users with exactly one conversation (lifetime up to the end of the range), of users with at least one.' },
  completionRate: { label: 'Completion rate', rule: 'Conversations started in the range whose completion_status is completed, of those with any completion_status.' },
  errorRateByTool: { label: 'Error rate by tool', rule: 'tool_call and error events with success = false / all tool_call events, per tool, in the range.' },
  timeToFirstCreation: { label: 'Time to first creation', rule: 'Hours from signup to the first successful creation-tool call; median and 90th percentile over users who created.' },
  timeToCreditExhaustion: { label: 'Time to credit exhaustion', rule: 'Hours from signup to the moment credits were exhausted (see "Exhausted credits"); median and 90th percentile.' },
} as const satisfies Record<string, MetricDefinition>;
export type MetricId = keyof typeof METRIC_DEFINITIONS;

/** The PMF checks of the seed: id, group, label, and how each is measured (thresholds in PmfThresholds). */
export const PMF_SIGNAL_DEFINITIONS = [
  { id: 'credit_exhaustion', group: 'strong', label: 'Users exhaust their credits (> 20%)', rule: 'Exhausted-credits users / users in the segment > creditExhaustionRate.' },
  { id: 'day7_retention', group: 'strong', label: 'Day-7 retention (> 40%)', rule: 'Day-7 retention > day7Retention.' },
  { id: 'organic_sharing', group: 'strong', label: 'Organic sharing / invites', rule: 'Users whose messages mention sharing or inviting / active users > organicSharingRate.' },
  { id: 'praise', group: 'strong', label: '"I love this" in conversations', rule: 'Users with a praise message / active users > praiseRate.' },
  { id: 'single_session', group: 'weak', label: 'Single-session users (> 50%)', rule: 'Single-session users / users with conversations > singleSessionRate.' },
  { id: 'no_credit_exhaustion', group: 'weak', label: 'No credit exhaustion', rule: 'Exhausted-credits rate < noExhaustionRate.' },
  { id: 'short_conversations', group: 'weak', label: 'Conversations under 5 messages', rule: 'Conversations with < shortConversationMessages messages / conversations > shortConversationRate.' },
  { id: 'high_error_rate', group: 'weak', label: 'High error rates', rule: 'Failed tool calls / tool calls > errorRate.' },
  { id: 'repeated_blockers', group: 'pivot', label: 'The same blockers repeating', rule: 'The most frequent blocker\'s share of blocked conversations > repeatedBlockerShare (with at least minSample blocked conversations).' },
  { id: 'feature_requests', group: 'pivot', label: 'Requests for different features', rule: 'Users who asked for a feature ("can you…", "I wish…", "is there a way…", "please add…") / active users > featureRequestUserRate.' },
  { id: 'off_vision_use_cases', group: 'pivot', label: 'Use cases off the vision', rule: 'Conversations whose use case is not in visionUseCases / conversations > offVisionRate.' },
] as const;

/** Monday (UTC) of the week containing `day` (YYYY-MM-DD). */
export function weekStart(day: string): string {
  const d = new Date(day.slice(0, 10) + 'T00:00:00Z');
  const dow = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - dow);
  return d.toISOString().slice(0, 10);
}

export function addDays(day: string, n: number): string {
  const d = new Date(day.slice(0, 10) + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(b.slice(0, 10) + 'T00:00:00Z') - Date.parse(a.slice(0, 10) + 'T00:00:00Z')) / 86_400_000);
}
