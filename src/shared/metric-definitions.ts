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
/** Error types (content.error, any event type) that mean "ran out of credits". */
export const CREDIT_EXHAUSTION_ERRORS = ['insufficient_credits'] as const;
/** The completion status (content.completion_status of a completion event) that means "ran out of credits". */
export const CREDIT_EXHAUSTION_STATUS = 'blocked_by_credits';

/**
 * A credit-exhaustion event: an insufficient_credits error or a blocked_by_credits completion. A credit-exhaustion
 * EPISODE is one conversation holding at least one such event, however many (an error and the blocked completion that
 * follows it are one episode). Exhaustion events outside any conversation are not episodes. "Ran out" = ≥ 1 episode;
 * "high usage" (≥ HIGH_USAGE_CREDITS used) is a different thing. Written once here: the snapshot (SQLite), the profile
 * builder (PostgreSQL) and the capture trigger (migration 1764288000008, the same condition in SQL) follow it.
 */
export function isCreditExhaustionEvent(eventType: string | null, errorType: string | null, completionStatus: string | null): boolean {
  // Positional: the snapshot's writer calls it for every event synced.
  return (
    (eventType === 'completion' && completionStatus === CREDIT_EXHAUSTION_STATUS) ||
    (errorType !== null && (CREDIT_EXHAUSTION_ERRORS as readonly string[]).includes(errorType))
  );
}

/** The same condition in SQL (PostgreSQL or SQLite), over the given column expressions. */
export function creditExhaustionEventSql(c: { eventType: string; errorType: string; completionStatus: string }): string {
  const errors = CREDIT_EXHAUSTION_ERRORS.map((t) => `'${t}'`).join(', ');
  return `((${c.eventType} = 'completion' AND ${c.completionStatus} = '${CREDIT_EXHAUSTION_STATUS}') OR ${c.errorType} IN (${errors}))`;
}

/** Episodes among these events: distinct conversations holding a credit-exhaustion event. */
export function countCreditExhaustionEpisodes(
  events: Iterable<{ conversationId: string | null; eventType: string | null; errorType: string | null; completionStatus: string | null }>,
): number {
  const conversations = new Set<string>();
  for (const e of events) if (e.conversationId !== null && isCreditExhaustionEvent(e.eventType, e.errorType, e.completionStatus)) conversations.add(e.conversationId);
  return conversations.size;
}

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
  creditExhaustionEpisode: { label: 'Credit-exhaustion episode', rule: 'One conversation in which the user hit the credit limit: an insufficient_credits error or a blocked_by_credits completion, however many of them the conversation holds.' },
  ranOut: { label: 'Ran out of credits', rule: 'Users with at least one credit-exhaustion episode (a conversation with an insufficient_credits error or a blocked_by_credits completion) by the end of the range, of users in the segment.' },
  highUsage: { label: `High usage (≥ ${HIGH_USAGE_CREDITS} credits)`, rule: `Users whose credits used in the range (lifetime without a range) reach ${HIGH_USAGE_CREDITS} of their ${CREDIT_ALLOWANCE}, the seed's query 4, of users in the segment. Not the same as running out.` },
  averageSessionMinutes: { label: 'Average session length', rule: 'Mean of (last_message_at − started_at) in minutes over conversations started in the range.' },
  topUseCases: { label: 'Top use cases', rule: 'Conversations started in the range per use case (extracted_use_case, else keyword rules on the first user message), share of all such conversations.' },
  journey: { label: 'Activation journey', rule: 'Users signed up in the range (all users without a range). First Chat: has a conversation; Used Tool: has a tool_call; Created Content: a successful tool_call of a creation tool (' + CREATION_TOOLS.join(', ') + '); Ran Out of Credits: at least one credit-exhaustion episode. Each step counted by the end of the range; step conversion = count / previous step; overall = count / Signed Up.' },
  seedFunnel: { label: 'Activation funnel (seed query 1)', rule: 'The seed\'s SQL and its own definitions: total_users = users with conversations (not every signed-up user); day_1_active = at least one active day; created_content = a conversation whose tools_used has video_gen, failed calls included (the seed\'s definition; elsewhere Created Content is a successful creation-tool call); high_usage = credits_used summed ≥ 90; successful_users = a completed conversation.' },
  retentionTriangle: { label: 'Retention triangle', rule: 'Rows: signup week (Monday, UTC). Cell k: share of the cohort active during days 7k..7k+6 after their own signup day; partial while that window is still open; empty before it starts.' },
  retentionCohort: { label: 'Retention cohort (per user)', rule: `churned: no activity in the ${DORMANT_AFTER_DAYS} days up to the end of the range, or active only on the signup day and signed up ≥ 2 days before; week_2: active on a day ≥ 7 days after signup; week_1: active on a day 2–6 days after signup; day_1: otherwise.` },
  activationStatus: { label: 'Activation status (per user)', rule: `dormant: signed up ≥ ${DORMANT_AFTER_DAYS} days before the end of the range and no activity in the last ${DORMANT_AFTER_DAYS} days; power_user: ≥ 5 successful creations on ≥ 3 active days, or ran out of credits; first_creation: ≥ 1 successful creation; signed_up: otherwise.` },
  intentFrequency: { label: 'Intent frequency (seed query 2)', rule: 'The seed\'s SQL: every message event (the assistant\'s replies too) grouped by day, content.message, tool_name, success; frequency = count, most frequent first.' },
  userIntents: { label: 'Most frequent user messages', rule: 'As the seed\'s query 2, over the users\' own messages only (role user or none): grouped by day, content.message, tool_name, success; most frequent first.' },
  failurePoints: { label: 'Failure points (seed query 3)', rule: 'Events with success = false grouped by tool_name and content.error; failures = count, affected users = distinct users.' },
  creditExhaustion: { label: `High usage list (seed query 4)`, rule: `The seed's query 4: users whose credits used (in the range; lifetime without a range) reach ${HIGH_USAGE_CREDITS}, ordered by user_profiles.credit_exhaustion_count descending. Episodes = their credit-exhaustion episodes by the end of the range (0 for a user who never ran out).` },
  ranOutUsers: { label: 'Who ran out', rule: 'Users with at least one credit-exhaustion episode by the end of the range, most episodes first; episodes, first and last time they ran out.' },
  conversationsPerUser: { label: 'Conversations per user', rule: 'Conversations started in the range / users with at least one of them.' },
  messagesPerConversation: { label: 'Messages per conversation', rule: 'Mean message_count of conversations started in the range.' },
  singleSessionUsers: { label: 'Single-session users', rule: 'Users with exactly one conversation (lifetime up to the end of the range), of users with at least one.' },
  completionRate: { label: 'Completion rate', rule: 'Conversations started in the range whose completion_status is completed, of those with any completion_status.' },
  errorRateByTool: { label: 'Error rate by tool', rule: 'tool_call and error events with success = false / all tool_call events, per tool, in the range.' },
  timeToFirstCreation: { label: 'Time to first creation', rule: 'Hours from signup to the first successful creation-tool call; median and 90th percentile over users who created.' },
  timeToCreditExhaustion: { label: 'Time to running out', rule: 'Hours from signup to the first credit-exhaustion event of the first episode; median and 90th percentile over users who ran out.' },
} as const satisfies Record<string, MetricDefinition>;
export type MetricId = keyof typeof METRIC_DEFINITIONS;

/** The PMF checks of the seed: id, group, label, and how each is measured (thresholds in PmfThresholds). */
export const PMF_SIGNAL_DEFINITIONS = [
  { id: 'credit_exhaustion', group: 'strong', label: 'Users exhaust their credits (> 20%)', rule: 'Users who ran out (≥ 1 credit-exhaustion episode) / users in the segment > creditExhaustionRate.' },
  { id: 'day7_retention', group: 'strong', label: 'Day-7 retention (> 40%)', rule: 'Day-7 retention > day7Retention.' },
  { id: 'organic_sharing', group: 'strong', label: 'Organic sharing / invites', rule: 'Users whose messages mention sharing or inviting / active users > organicSharingRate.' },
  { id: 'praise', group: 'strong', label: '"I love this" in conversations', rule: 'Users with a praise message / active users > praiseRate.' },
  { id: 'single_session', group: 'weak', label: 'Single-session users (> 50%)', rule: 'Single-session users / users with conversations > singleSessionRate.' },
  { id: 'no_credit_exhaustion', group: 'weak', label: 'No credit exhaustion', rule: 'Ran-out rate < noExhaustionRate.' },
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
