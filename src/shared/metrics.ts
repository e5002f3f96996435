import { z } from 'zod';
import { ACTIVATION_STATUSES, RETENTION_COHORTS, USER_SORT_FIELDS } from './metric-definitions.js';
import { PMF_GROUPS, PMF_MIN_SAMPLE, PMF_VERDICTS } from './pmf.js';

export * from './metric-definitions.js';

/**
 * The analytics contract: filters, every result the engine returns (src/main/analytics/engine.ts), and the metric
 * definitions as data so the UI, the CLI and docs/metrics.md explain each number with the same words.
 * Pure: no node:*, no electron (the renderer imports this file).
 */

// ---------------------------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------------------------


/**
 * Message signals, extracted at sync into columns of `events` (flags). Rules are case-insensitive regular
 * expressions over a user message; documented in docs/metrics.md.
 */
export const MESSAGE_SIGNAL_RULES = {
  feature_request: String.raw`\b(can you|could you|i wish|is there a way|please add|would be (great|nice) if|it would help if|do you support)\b`,
  praise: String.raw`\b(i love (this|it)|love it|amazing|awesome|this is great|so good|exactly what i (needed|wanted))\b`,
  sharing: String.raw`\b(shar(e|ed|ing) (it|this|them)|invit(e|ed|ing)|sent (it|this) to|showed (it|this) to|my (team|friends?|colleagues?|cofounder))\b`,
  preference: String.raw`\b(always|never|i prefer|i like it when|from now on|by default)\b`,
  blocker: String.raw`\b(doesn'?t work|does not work|stuck|can'?t|cannot|won'?t|failed|keeps failing|broken|error)\b`,
} as const;
export type MessageSignal = keyof typeof MESSAGE_SIGNAL_RULES;
/** Bit of each signal in events.flags. */
export const MESSAGE_SIGNAL_BITS: Record<MessageSignal, number> = {
  feature_request: 1,
  praise: 2,
  sharing: 4,
  preference: 8,
  blocker: 16,
};

/**
 * Use case of a conversation: conversations.extracted_use_case when the intelligence jobs have set it, else the
 * first of these keyword rules matching the conversation's first_intent, else 'other'.
 */
export const USE_CASE_RULES: ReadonlyArray<{ useCase: string; pattern: string }> = [
  { useCase: 'marketing_content', pattern: String.raw`\b(ad|ads|campaign|product launch|marketing|brand|promo|banner|landing page)\b` },
  { useCase: 'social_media_clip', pattern: String.raw`\b(tiktok|reel|reels|instagram|shorts|youtube short|social media|story)\b` },
  { useCase: 'personal_video', pattern: String.raw`\b(birthday|wedding|family|vacation|holiday|anniversary|my (kids?|dog|cat|mom|dad))\b` },
  { useCase: 'education', pattern: String.raw`\b(lesson|course|explainer|tutorial|students?|teach)\b` },
  { useCase: 'research', pattern: String.raw`\b(research|find out|look up|compare|what is|who is)\b` },
];
/** The product's vision: use cases outside it count toward the "use cases off the vision" pivot signal. */
export const DEFAULT_VISION_USE_CASES = ['marketing_content', 'social_media_clip', 'personal_video'];

// Compiled once: these run on every synced message.
const USE_CASE_REGEXPS = USE_CASE_RULES.map((r) => ({ useCase: r.useCase, re: new RegExp(r.pattern, 'i') }));
const SIGNAL_REGEXPS = Object.entries(MESSAGE_SIGNAL_RULES).map(([k, src]) => ({ bit: MESSAGE_SIGNAL_BITS[k as MessageSignal], re: new RegExp(src, 'i') }));

export function classifyUseCase(firstIntent: string | null | undefined): string {
  if (!firstIntent) return 'other';
  for (const r of USE_CASE_REGEXPS) if (r.re.test(firstIntent)) return r.useCase;
  return 'other';
}

export function messageSignalFlags(message: string | null | undefined): number {
  if (!message) return 0;
  let flags = 0;
  for (const s of SIGNAL_REGEXPS) if (s.re.test(message)) flags |= s.bit;
  return flags;
}

// ---------------------------------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------------------------------

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD').refine((s) => !Number.isNaN(Date.parse(s + 'T00:00:00Z')), 'not a real date');

/**
 * Every metric takes these. The date range (UTC days, both ends inclusive) chooses activity: events, conversations,
 * signups inside it. Segment filters choose users: a user is in the segment when every given list matches
 * (signup week in signupCohorts; activation status in activation; used one of `tools` / had a conversation with one
 * of `useCases` inside the range). Per-tool metrics (failure points, error rate by tool) also keep only `tools`.
 */
export const Filters = z
  .object({
    since: isoDay.optional(),
    until: isoDay.optional(),
    tools: z.array(z.string().min(1).max(200)).max(100).optional(),
    useCases: z.array(z.string().min(1).max(200)).max(100).optional(),
    signupCohorts: z.array(isoDay).max(200).optional(),
    activation: z.array(z.enum(ACTIVATION_STATUSES)).max(4).optional(),
  })
  .strict()
  .refine((f) => !f.since || !f.until || f.since <= f.until, { message: 'since must be on or before until', path: ['since'] });
export type Filters = z.infer<typeof Filters>;

/** Whether the filters choose a segment of users (any non-empty list), not only a range. */
export function hasSegment(f: Filters): boolean {
  return !!(f.signupCohorts?.length || f.activation?.length || f.tools?.length || f.useCases?.length);
}

export const UserListQuery = z
  .object({
    filters: Filters.optional(),
    search: z.string().max(200).optional(),
    sort: z.object({ field: z.enum(USER_SORT_FIELDS), dir: z.enum(['asc', 'desc']) }).optional(),
    limit: z.number().int().min(1).max(10_000).default(100),
    offset: z.number().int().min(0).default(0),
  })
  .strict();
export type UserListQuery = z.input<typeof UserListQuery>;

/** PMF thresholds (configurable per workspace; these are the defaults). Rates are fractions 0..1. */
export const PmfThresholds = z
  .object({
    creditExhaustionRate: z.number().min(0).max(1).default(0.2),
    day7Retention: z.number().min(0).max(1).default(0.4),
    organicSharingRate: z.number().min(0).max(1).default(0.1),
    praiseRate: z.number().min(0).max(1).default(0.1),
    singleSessionRate: z.number().min(0).max(1).default(0.5),
    noExhaustionRate: z.number().min(0).max(1).default(0.02),
    shortConversationMessages: z.number().int().min(1).default(5),
    shortConversationRate: z.number().min(0).max(1).default(0.5),
    errorRate: z.number().min(0).max(1).default(0.15),
    repeatedBlockerShare: z.number().min(0).max(1).default(0.3),
    featureRequestUserRate: z.number().min(0).max(1).default(0.3),
    offVisionRate: z.number().min(0).max(1).default(0.3),
    visionUseCases: z.array(z.string()).default(DEFAULT_VISION_USE_CASES),
    /** Below this many users (or conversations) a check says not_enough_data. */
    minSample: z.number().int().min(1).default(PMF_MIN_SAMPLE),
  })
  .strict();
export type PmfThresholds = z.infer<typeof PmfThresholds>;
export const DEFAULT_PMF_THRESHOLDS: PmfThresholds = PmfThresholds.parse({});

// ---------------------------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------------------------

/** x of y and the share (0..1, null when y = 0). */
export const Ratio = z.object({ count: z.number(), total: z.number(), rate: z.number().nullable() });
export type Ratio = z.infer<typeof Ratio>;
export function ratio(count: number, total: number): Ratio {
  return { count, total, rate: total > 0 ? count / total : null };
}

export const DateRange = z.object({ since: z.string().nullable(), until: z.string() });
export type DateRange = z.infer<typeof DateRange>;

export const UseCaseShare = z.object({ useCase: z.string(), conversations: z.number(), users: z.number(), share: z.number() });
export type UseCaseShare = z.infer<typeof UseCaseShare>;

/** The seed's "Executive Summary" block. */
export const ExecutiveSummary = z.object({
  range: DateRange,
  /** Users active on the last day of the range, of users signed up by then. */
  dailyActiveUsers: Ratio.extend({ day: z.string() }),
  /** Mean daily active users over the range. */
  averageDailyActiveUsers: z.number(),
  /** Users active 7–13 days after signup, of users who signed up ≥ 14 days before the end of the range. */
  week1Retention: Ratio,
  /** Users who ran out of credits (≥ 1 credit-exhaustion episode by the end of the range), of users in the segment. */
  ranOut: Ratio,
  /** Users at ≥ HIGH_USAGE_CREDITS credits used (the seed's query 4 list), of users in the segment. Not "ran out". */
  highUsage: Ratio,
  averageSessionMinutes: z.number().nullable(),
  topUseCases: z.array(UseCaseShare),
  totals: z.object({ users: z.number(), newUsers: z.number(), activeUsers: z.number(), conversations: z.number(), messages: z.number(), events: z.number(), creditsUsed: z.number() }),
});
export type ExecutiveSummary = z.infer<typeof ExecutiveSummary>;

export const JOURNEY_STEPS = [
  { id: 'signed_up', label: 'Signed Up' },
  { id: 'first_chat', label: 'First Chat' },
  { id: 'used_tool', label: 'Used Tool' },
  { id: 'created_content', label: 'Created Content' },
  { id: 'ran_out', label: 'Ran Out of Credits' },
] as const;
export type JourneyStepId = (typeof JOURNEY_STEPS)[number]['id'];

export const JourneyStep = z.object({
  id: z.string(),
  label: z.string(),
  count: z.number(),
  /** count / previous step's count (1 for the first step; null when the previous step is 0). */
  stepConversion: z.number().nullable(),
  /** count / first step's count. */
  overallConversion: z.number().nullable(),
});
export type JourneyStep = z.infer<typeof JourneyStep>;
export const Journey = z.object({
  steps: z.array(JourneyStep),
  /** The same steps per weekly signup cohort (week starting Monday, UTC): the heatmap's rows. */
  byCohort: z.array(z.object({ cohort: z.string(), steps: z.array(JourneyStep) })),
});
export type Journey = z.infer<typeof Journey>;

/** The seed's "Activation Funnel" query (1), computed on the snapshot: same columns, same numbers. */
export const SeedFunnel = z.object({
  total_users: z.number(),
  day_1_active: z.number(),
  created_content: z.number(),
  high_usage: z.number(),
  successful_users: z.number(),
});
export type SeedFunnel = z.infer<typeof SeedFunnel>;

export const RetentionCell = z.object({ retained: z.number(), eligible: z.number(), rate: z.number().nullable(), partial: z.boolean() });
export const Retention = z.object({
  /** Active exactly 1 day after the signup day, of users whose day 1 is ≤ the end of the range. */
  day1: Ratio,
  /** Active exactly 7 days after the signup day, of users whose day 7 is ≤ the end of the range. */
  day7: Ratio,
  /** Rows = signup week (Monday, UTC); cells[k] = users active during days 7k..7k+6 after their signup. */
  cohorts: z.array(z.object({ cohort: z.string(), size: z.number(), cells: z.array(RetentionCell.nullable()) })),
  weeks: z.number(),
  retentionCohorts: z.record(z.string(), z.number()),
  activationStatuses: z.record(z.string(), z.number()),
});
export type Retention = z.infer<typeof Retention>;

/** One row of the seed's "Intent Extraction" query (2). */
export const IntentFrequencyRow = z.object({
  day: z.string(),
  userMessage: z.string().nullable(),
  toolName: z.string().nullable(),
  success: z.boolean().nullable(),
  frequency: z.number(),
});
export type IntentFrequencyRow = z.infer<typeof IntentFrequencyRow>;

/** One row of the seed's "Failure Points" query (3). */
export const FailurePointRow = z.object({
  tool: z.string().nullable(),
  errorType: z.string().nullable(),
  failures: z.number(),
  affectedUsers: z.number(),
});
export type FailurePointRow = z.infer<typeof FailurePointRow>;

/** One row of the seed's "Credit Exhaustion" query (4): a high-usage user (≥ 90 credits), plus their episodes. */
export const CreditExhaustionRow = z.object({
  userId: z.string(),
  email: z.string().nullable(),
  totalCreditsUsed: z.number(),
  /** user_profiles.credit_exhaustion_count as stored (the seed's column; null until a profile job sets it). */
  creditExhaustionCount: z.number().nullable(),
  /** Credit-exhaustion episodes of this user by the end of the range (0: high usage without running out). */
  episodes: z.number(),
  lastActiveAt: z.string().nullable(),
});
export type CreditExhaustionRow = z.infer<typeof CreditExhaustionRow>;

/**
 * Rows of each per-user credits list the dashboard carries (the Credits page shows them). At 10M events 61k users ran
 * out: the whole lists come from the engine's ranOutUsers()/creditExhaustion(), and the report's CSV export.
 */
export const CREDITS_LIST_ROWS = 200;

/** One user who ran out of credits (≥ 1 credit-exhaustion episode by the end of the range): the "Who ran out" list. */
export const RanOutRow = z.object({
  userId: z.string(),
  email: z.string().nullable(),
  /** Credit-exhaustion episodes (conversations that hit the limit) by the end of the range. */
  episodes: z.number(),
  firstRanOutAt: z.string(),
  lastRanOutAt: z.string(),
  totalCreditsUsed: z.number(),
  lastActiveAt: z.string().nullable(),
});
export type RanOutRow = z.infer<typeof RanOutRow>;

export const Distribution = z.object({ users: z.number(), medianHours: z.number().nullable(), p90Hours: z.number().nullable() });
export const UsageHealth = z.object({
  conversationsPerUser: z.number().nullable(),
  messagesPerConversation: z.number().nullable(),
  singleSessionUsers: Ratio,
  completionRate: Ratio,
  completionByStatus: z.record(z.string(), z.number()),
  errorRateByTool: z.array(z.object({ tool: z.string(), calls: z.number(), errors: z.number(), rate: z.number().nullable() })),
  overallErrorRate: Ratio,
  timeToFirstCreation: Distribution,
  timeToCreditExhaustion: Distribution,
});
export type UsageHealth = z.infer<typeof UsageHealth>;

export { PMF_VERDICTS };
export const PmfSignal = z.object({
  id: z.string(),
  group: z.enum(PMF_GROUPS),
  label: z.string(),
  /** Measured value (a rate 0..1 unless `unit` says otherwise); null when there is no data. */
  value: z.number().nullable(),
  threshold: z.number(),
  unit: z.enum(['rate', 'count', 'messages']),
  /**
   * strong / weak / pivot: the signal of that group is present (value crosses the threshold);
   * not_seen: measured and absent; not_enough_data: fewer than minSample users or conversations.
   */
  verdict: z.enum(PMF_VERDICTS),
  detail: z.string(),
  evidence: z.object({ kind: z.enum(['users', 'conversations']), ids: z.array(z.string()), total: z.number() }),
});
export type PmfSignal = z.infer<typeof PmfSignal>;

export const TimeseriesPoint = z.object({ day: z.string(), activeUsers: z.number(), signups: z.number(), conversations: z.number(), events: z.number(), creditsUsed: z.number() });
export const Timeseries = z.object({ days: z.array(TimeseriesPoint) });
export type Timeseries = z.infer<typeof Timeseries>;

export const UserRow = z.object({
  userId: z.string(),
  email: z.string().nullable(),
  signedUpAt: z.string().nullable(),
  lastActiveAt: z.string().nullable(),
  conversations: z.number(),
  messages: z.number(),
  creditsUsed: z.number(),
  primaryUseCase: z.string().nullable(),
  topTool: z.string().nullable(),
  activationStatus: z.enum(ACTIVATION_STATUSES),
  retentionCohort: z.enum(RETENTION_COHORTS),
  /** ≥ 1 credit-exhaustion episode by the end of the range. */
  ranOut: z.boolean(),
});
export type UserRow = z.infer<typeof UserRow>;
export const UserList = z.object({ rows: z.array(UserRow), total: z.number() });
export type UserList = z.infer<typeof UserList>;

export const TimelineEvent = z.object({
  id: z.string(),
  timestamp: z.string(),
  eventType: z.string(),
  role: z.string().nullable(),
  message: z.string().nullable(),
  toolName: z.string().nullable(),
  params: z.record(z.string(), z.unknown()).nullable(),
  success: z.boolean().nullable(),
  creditsConsumed: z.number(),
  errorType: z.string().nullable(),
  completionStatus: z.string().nullable(),
  signals: z.array(z.string()),
});
export const TimelineConversation = z.object({
  id: z.string(),
  startedAt: z.string(),
  lastMessageAt: z.string().nullable(),
  messageCount: z.number(),
  creditsUsed: z.number(),
  toolsUsed: z.record(z.string(), z.number()),
  firstIntent: z.string().nullable(),
  useCase: z.string(),
  completionStatus: z.string().nullable(),
  blocker: z.string().nullable(),
  events: z.array(TimelineEvent),
});
export const UserDetail = z.object({
  profile: UserRow,
  pmf: z.object({
    creditsRemaining: z.number(),
    /** Conversations in which this user hit the credit limit (the one episode count). */
    creditExhaustionEpisodes: z.number(),
    /** user_profiles.credit_exhaustion_count as synced (equal to the episodes once the capture trigger keeps it). */
    creditExhaustionCount: z.number().nullable(),
    firstCreationAt: z.string().nullable(),
    creations: z.number(),
    activeDays: z.number(),
    completionRate: z.number().nullable(),
    averageSessionMinutes: z.number().nullable(),
    featureRequests: z.array(z.string()),
    praise: z.array(z.string()),
    /** Event-derived blockers of this user's conversations (conversations.blocker), as engine.blockers() counts them. */
    blockers: z.array(z.object({ blocker: z.string(), conversations: z.number() })),
    /** What the user wrote that sounds like a problem (message text, not events): never counted as a blocker. */
    blockerMessages: z.array(z.string()),
  }),
  memory: z.object({
    preferences: z.unknown().nullable(),
    preferredTools: z.unknown().nullable(),
    contextSummary: z.string().nullable(),
    frequentlyUsedPrompts: z.array(z.string()),
    statedPreferences: z.array(z.string()),
    /** The profile builder's preferences with their evidence (derivePreferences over the user's events). */
    preferenceDetails: z.array(
      z.object({
        key: z.string(),
        value: z.string(),
        source: z.enum(['stated', 'observed']),
        confidence: z.number(),
        count: z.number(),
        last_seen: z.string(),
        history: z.array(z.object({ value: z.string(), stated_at: z.string(), excerpt: z.string(), superseded_at: z.string().nullable() })),
      }),
    ),
  }),
  conversations: z.array(TimelineConversation),
  truncated: z.boolean(),
});
export type UserDetail = z.infer<typeof UserDetail>;

export const SnapshotInfo = z.object({
  lastSyncAt: z.string().nullable(),
  ageSeconds: z.number().nullable(),
  source: z.enum(['demo', 'postgres']),
  counts: z.object({ users: z.number(), conversations: z.number(), events: z.number() }),
  /** Last day with data (UTC), the default end of every range. */
  latestDay: z.string().nullable(),
});
export type SnapshotInfo = z.infer<typeof SnapshotInfo>;

export const FilterOptions = z.object({
  tools: z.array(z.string()),
  useCases: z.array(z.string()),
  signupCohorts: z.array(z.string()),
  activation: z.array(z.enum(ACTIVATION_STATUSES)),
  firstDay: z.string().nullable(),
  lastDay: z.string().nullable(),
});
export type FilterOptions = z.infer<typeof FilterOptions>;

export const FeatureRequestRow = z.object({ text: z.string(), users: z.number(), mentions: z.number(), exampleConversationId: z.string() });
export const BlockerRow = z.object({ blocker: z.string(), conversations: z.number(), users: z.number() });

/** A list's first rows; truncated: the whole list has more. */
const firstRowsOf = <T extends z.ZodTypeAny>(row: T) => z.object({ rows: z.array(row), truncated: z.boolean() });
export interface FirstRows<T> {
  rows: T[];
  truncated: boolean;
}

/** Everything the dashboard page shows, in one call. */
export const Dashboard = z.object({
  filters: Filters,
  range: DateRange,
  generatedAt: z.string(),
  computeMs: z.number(),
  snapshot: SnapshotInfo,
  summary: ExecutiveSummary,
  journey: Journey,
  seedFunnel: SeedFunnel,
  retention: Retention,
  /** Seed funnel (query 1) base: its total_users are users with conversations, Signed Up counts every user. */
  seedFunnelPopulation: z.object({ signedUp: z.number(), withConversations: z.number() }),
  /** The seed's query 2 as written: every message event, the assistant's replies included. */
  intents: firstRowsOf(IntentFrequencyRow),
  /** The same grouping over the users' own messages only: the default "Most frequent messages". */
  userIntents: firstRowsOf(IntentFrequencyRow),
  failurePoints: z.array(FailurePointRow),
  /** Users with ≥ 1 credit-exhaustion episode: "Who ran out", its first CREDITS_LIST_ROWS rows (all: summary.ranOut.count). */
  ranOutUsers: firstRowsOf(RanOutRow),
  /** The seed's query 4 (≥ 90 credits used): "High usage", never "ran out"; first CREDITS_LIST_ROWS rows (all: summary.highUsage.count). */
  highUsageUsers: firstRowsOf(CreditExhaustionRow),
  usageHealth: UsageHealth,
  pmfSignals: z.array(PmfSignal),
  timeseries: Timeseries,
  featureRequests: z.array(FeatureRequestRow),
  blockers: z.array(BlockerRow),
});
export type Dashboard = z.infer<typeof Dashboard>;

// ---------------------------------------------------------------------------------------------------------------
// Definitions (the rules behind each number; the UI shows them in a tooltip, docs/metrics.md repeats them)
// ---------------------------------------------------------------------------------------------------------------


