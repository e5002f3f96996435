/**
 * PMF signals, with their evidence, and the feature requests and blockers they read.
 */
import { Filters, MESSAGE_SIGNAL_BITS, PMF_SIGNAL_DEFINITIONS, type Dashboard, type MessageSignal, type PmfSignal } from '../../../shared/metrics.js';
import { pct as formatPercent } from '../../../shared/format.js';
import { FEATURE_REQUEST } from '../../snapshot/schema.js';
import { EVIDENCE_CAP, IN_COHORT, type Context, type Planner, type StoreRead } from '../planner.js';
import { round, sum } from '../sums.js';
import { executiveSummary } from './summary.js';
import { retention } from './retention.js';
import { usageHealth } from './usage.js';

/** Conversations outside the product's vision (thresholds.visionUseCases). */
const VISION_FILTER = 'use_case NOT IN (SELECT value FROM json_each(@vision))';

export function pmfSignals(p: Planner, filters: Filters = {}): PmfSignal[] {
  return p.scoped(() => {
    const ctx = p.context(filters);
    const t = p.thresholds;
    const summary = executiveSummary(p, filters);
    const retained = retention(p, filters);
    const health = usageHealth(p, filters);
    const activeUsers = summary.totals.activeUsers;
    const def = (id: string) => PMF_SIGNAL_DEFINITIONS.find((d) => d.id === id)!;
    const check = (
      id: string,
      value: number | null,
      threshold: number,
      sample: number,
      present: (v: number) => boolean,
      evidence: { kind: 'users' | 'conversations'; ids: string[]; total?: number },
      detail: string,
      unit: PmfSignal['unit'] = 'rate',
    ): PmfSignal => {
      const d = def(id);
      const verdict: PmfSignal['verdict'] = value === null || sample < t.minSample ? 'not_enough_data' : present(value) ? d.group : 'not_seen';
      return {
        id,
        group: d.group,
        label: d.label,
        value: value === null ? null : round(value),
        threshold,
        unit,
        verdict,
        detail,
        evidence: { kind: evidence.kind, ids: evidence.ids.slice(0, EVIDENCE_CAP), total: evidence.total ?? evidence.ids.length },
      };
    };
    const users = summary.totals.users;
    const ranOut = { kind: 'users' as const, ids: p.rows<{ user_id: string }>(ctx, RAN_OUT_USERS).map((r) => r.user_id), total: summary.ranOut.count };
    const ranOutRate = summary.ranOut.rate;
    const day7 = { kind: 'users' as const, ids: p.rows<{ user_id: string }>(ctx, DAY7_USERS).map((r) => r.user_id), total: sum(p.cohort(ctx), (r) => r.day7) };
    const sharing = usersWithSignal(p, ctx, 'sharing');
    const praise = usersWithSignal(p, ctx, 'praise');
    const requests = usersWithSignal(p, ctx, 'feature_request');
    const singleIds = p.rows<{ user_id: string }>(ctx, SINGLE_SESSION_USERS).map((r) => r.user_id);
    const convStats = p.one<{ n: number; short: number | null }>(`SELECT COALESCE(SUM(conversations), 0) AS n, SUM(CASE WHEN message_count < @short THEN conversations ELSE 0 END) AS short
                FROM ${p.conversationLengths(ctx)} WHERE ${ctx.inRange('day')}`, { ...ctx.params, short: t.shortConversationMessages });
    const latestConversations = (read: StoreRead) => p.rows<{ id: string }>(ctx, read).map((r) => r.id);
    const shortIds = latestConversations(SHORT_CONVERSATIONS);
    const failingUsers = {
      kind: 'users' as const,
      ids: p.rows<{ user_id: string }>(ctx, FAILING_USERS).map((r) => r.user_id),
      total: p.rows<{ n: number }>(ctx, FAILING_USER_COUNT)[0].n,
    };
    const blocked = blockers(p, filters);
    const blockedTotal = blocked.reduce((s, b) => s + b.conversations, 0);
    const top = blocked[0];
    const topBlockerIds = top ? latestConversations(latestConversationsRead('topBlocker', 'blocker = @b', () => ({ b: top.blocker }))) : [];
    const vision = JSON.stringify(t.visionUseCases);
    const offVisionTotal = p.value<number>(`SELECT COALESCE(SUM(conversations), 0) FROM ${p.conversationDays(ctx)} WHERE ${VISION_FILTER} AND ${ctx.inRange('day')}`, { ...ctx.params, vision });
    const offVision = latestConversations(OFF_VISION_CONVERSATIONS);
    const pct = (x: number | null) => (x === null ? 'n/a' : formatPercent(x)); // as the value beside it reads
    const shortShare = convStats.n ? (convStats.short ?? 0) / convStats.n : null;

    return [
      check('credit_exhaustion', ranOutRate, t.creditExhaustionRate, users, (v) => v > t.creditExhaustionRate, ranOut,
        `${ranOut.total} of ${users} users ran out of credits (${pct(ranOutRate)})`),
      check('day7_retention', retained.day7.rate, t.day7Retention, retained.day7.total, (v) => v > t.day7Retention, day7,
        `${retained.day7.count} of ${retained.day7.total} eligible users came back on day 7 (${pct(retained.day7.rate)})`),
      check('organic_sharing', activeUsers ? sharing.total / activeUsers : null, t.organicSharingRate, activeUsers, (v) => v > t.organicSharingRate, sharing,
        `${sharing.total} of ${activeUsers} active users mention sharing or inviting`),
      check('praise', activeUsers ? praise.total / activeUsers : null, t.praiseRate, activeUsers, (v) => v > t.praiseRate, praise,
        `${praise.total} of ${activeUsers} active users said something like "I love this"`),
      check('single_session', health.singleSessionUsers.rate, t.singleSessionRate, health.singleSessionUsers.total, (v) => v > t.singleSessionRate, { kind: 'users', ids: singleIds, total: health.singleSessionUsers.count },
        `${health.singleSessionUsers.count} of ${health.singleSessionUsers.total} users had a single conversation (${pct(health.singleSessionUsers.rate)})`),
      check('no_credit_exhaustion', ranOutRate, t.noExhaustionRate, users, (v) => v < t.noExhaustionRate, ranOut,
        `${pct(ranOutRate)} of users ran out of credits`),
      check('short_conversations', shortShare, t.shortConversationRate, convStats.n, (v) => v > t.shortConversationRate, { kind: 'conversations', ids: shortIds, total: convStats.short ?? 0 },
        `${convStats.short ?? 0} of ${convStats.n} conversations have fewer than ${t.shortConversationMessages} messages (${pct(shortShare)})`),
      check('high_error_rate', health.overallErrorRate.rate, t.errorRate, health.overallErrorRate.total, (v) => v > t.errorRate, failingUsers,
        `${health.overallErrorRate.count} of ${health.overallErrorRate.total} tool calls failed (${pct(health.overallErrorRate.rate)})`),
      check('repeated_blockers', top && blockedTotal ? top.conversations / blockedTotal : null, t.repeatedBlockerShare, blockedTotal, (v) => v > t.repeatedBlockerShare, { kind: 'conversations', ids: topBlockerIds, total: top?.conversations ?? 0 },
        top ? `"${top.blocker}" blocks ${top.conversations} of ${blockedTotal} blocked conversations` : 'no blocked conversations'),
      check('feature_requests', activeUsers ? requests.total / activeUsers : null, t.featureRequestUserRate, activeUsers, (v) => v > t.featureRequestUserRate, requests,
        `${requests.total} of ${activeUsers} active users asked for a feature`),
      check('off_vision_use_cases', convStats.n ? offVisionTotal / convStats.n : null, t.offVisionRate, convStats.n, (v) => v > t.offVisionRate, { kind: 'conversations', ids: offVision, total: offVisionTotal },
        `${offVisionTotal} of ${convStats.n} conversations are outside ${t.visionUseCases.join(', ')}`),
    ];
  });
}

/** Users (in the segment) with a user message carrying this signal inside the range: how many, and the first ids. */
function usersWithSignal(p: Planner, ctx: Context, signal: EvidenceSignal): { kind: 'users'; ids: string[]; total: number } {
  const rows = p.rows<{ user_id: string; total: number }>(ctx, SIGNAL_USERS[signal]);
  return { kind: 'users', ids: rows.map((r) => r.user_id), total: rows[0]?.total ?? 0 };
}

/** Users (in the segment) who wrote a message with a signal in the range: the first in user-id order, each with the total. */
function signalUsers(signal: MessageSignal): StoreRead {
  return {
    name: `signalUsers:${signal}`,
    stored: () => true,
    query: (p, ctx) => {
      const params = { ...ctx.params, bit: MESSAGE_SIGNAL_BITS[signal] };
      if (ctx.rollups.users) {
        const where = `signal = @bit AND ${p.lastDayInRange(ctx)} AND ${ctx.seg('user_id')}`;
        return { sql: `SELECT user_id, (SELECT COUNT(*) FROM user_signals WHERE ${where}) AS total FROM user_signals WHERE ${where} ORDER BY user_id LIMIT ${EVIDENCE_CAP}`, params };
      }
      // A first sync drops the events' indexes while it loads (another connection, committed): name the index only while
      // it exists, or SQLite refuses the query ("no such index") instead of scanning.
      const indexed = !ctx.inStore && p.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'events_user_signals'`).get() ? 'INDEXED BY events_user_signals' : '';
      return {
        sql: `SELECT user_id, COUNT(*) OVER () AS total FROM (SELECT DISTINCT user_id FROM ${signalMessages(ctx, indexed)}
            WHERE flags <> 0 AND (flags & @bit) <> 0 AND ${ctx.inRange('day')} AND ${ctx.seg('user_id')}) ORDER BY user_id LIMIT ${EVIDENCE_CAP}`,
        params,
      };
    },
  };
}

/**
 * The events a read of message signals scans: SQLite's through `index` (a partial index over the messages with a
 * signal), the column store's table of those messages alone (columnar.ts `signal_messages`).
 */
function signalMessages(ctx: Context, index: string): string {
  return ctx.inStore ? 'signal_messages' : `events ${index}`;
}

/** The message signals whose users are PMF evidence. */
type EvidenceSignal = 'sharing' | 'praise' | 'feature_request';
export const SIGNAL_USERS: Record<EvidenceSignal, StoreRead> = {
  sharing: signalUsers('sharing'),
  praise: signalUsers('praise'),
  feature_request: signalUsers('feature_request'),
};

export function featureRequests(p: Planner, filters: Filters = {}): Dashboard['featureRequests'] {
  return p.scoped(() => p.rows<Dashboard['featureRequests'][number]>(p.context(filters), FEATURE_REQUESTS));
}

/** Feature requests (in the segment, in the range), grouped by their text as typed (ASCII case and spaces aside). */
export const FEATURE_REQUESTS: StoreRead = {
  name: 'featureRequests',
  stored: () => true,
  query: (_p, ctx) => ({
    sql: `SELECT MIN(message) AS text, COUNT(DISTINCT user_id) AS users, COUNT(*) AS mentions, MIN(conversation_id) AS exampleConversationId
         FROM ${signalMessages(ctx, 'INDEXED BY events_requests')} WHERE ${FEATURE_REQUEST} AND ${ctx.inRange('day')} AND ${ctx.seg('user_id')}
         GROUP BY lower(trim(message)) ORDER BY users DESC, mentions DESC, text LIMIT 100`,
    params: ctx.params,
  }),
};

/**
 * Evidence: the latest conversations (in the segment, started in the range) matching `where`, capped; totals come
 * from the counts. `params`: the condition's own.
 */
function latestConversationsRead(name: string, where: string, params: (p: Planner) => Record<string, unknown>): StoreRead {
  return {
    name,
    stored: () => true,
    // SQLite walks the conversations from the latest (conversations_started); the store sorts all of the segment's.
    firstRows: 'latest first',
    query: (p, ctx) => ({
      // +start_day: walk conversations_started from the latest (and stop at the cap), not the range's index.
      sql: `SELECT id FROM conversations WHERE ${where} AND ${ctx.inRange('+start_day')} AND ${ctx.seg('user_id')} ORDER BY started_at DESC, id LIMIT ${EVIDENCE_CAP}`,
      params: { ...ctx.params, ...params(p) },
    }),
  };
}

/** The first (user-id order) users whose state as of the range's end matches `where`: a signal's evidence. */
const stateEvidence = (name: string, where: string): StoreRead => ({
  name,
  stored: () => true,
  firstRows: 'by user',
  query: (p, ctx) => ({ sql: `SELECT user_id FROM ${p.states(ctx)} WHERE ${where} ORDER BY user_id LIMIT ${EVIDENCE_CAP}`, params: ctx.params }),
});

export const RAN_OUT_USERS = stateEvidence('ranOutUsers', 'exhausted');
export const DAY7_USERS = stateEvidence('day7Users', `${IN_COHORT} AND day7 = 1`);

/** The single-session users' evidence: the first (user-id order) with exactly one conversation, one of them in the range. */
export const SINGLE_SESSION_USERS: StoreRead = {
  name: 'singleSessionUsers',
  stored: () => true,
  firstRows: 'by user',
  query: (p, ctx) => ({
    sql: `SELECT user_id FROM ${p.conversationUsers(ctx)} WHERE inRange = 1 AND n = 1 ORDER BY user_id LIMIT ${EVIDENCE_CAP}`,
    params: ctx.params,
  }),
};

export const SHORT_CONVERSATIONS = latestConversationsRead('shortConversations', 'message_count < @short', (p) => ({ short: p.thresholds.shortConversationMessages }));
export const OFF_VISION_CONVERSATIONS = latestConversationsRead('offVisionConversations', VISION_FILTER, (p) => ({ vision: JSON.stringify(p.thresholds.visionUseCases) }));

/** Users (in the segment) with a failed tool call inside the range (FROM … WHERE …). */
function failingUsers(p: Planner, ctx: Context): string {
  return ctx.rollups.users
    ? `FROM user_failures WHERE ${p.lastDayInRange(ctx)} AND ${ctx.seg('user_id')}`
    : `FROM agg_failure WHERE ${ctx.inRange('day')} AND ${ctx.seg('user_id')}`;
}

/** The failing users' evidence: the first in user-id order. */
export const FAILING_USERS: StoreRead = {
  name: 'failingUsers',
  stored: () => true,
  firstRows: 'by user',
  query: (p, ctx) => ({ sql: `SELECT DISTINCT user_id ${failingUsers(p, ctx)} ORDER BY user_id LIMIT ${EVIDENCE_CAP}`, params: ctx.params }),
};

/** How many users failed a tool call (the signal's total; the evidence above lists the first). */
export const FAILING_USER_COUNT: StoreRead = {
  name: 'failingUserCount',
  stored: () => true,
  query: (p, ctx) => ({ sql: `SELECT COUNT(DISTINCT user_id) AS n ${failingUsers(p, ctx)}`, params: ctx.params }),
};

/** Conversations and users per blocker in the range (the segment's), most conversations first. */
export const BLOCKERS: StoreRead = {
  name: 'blockers',
  stored: () => true,
  query: (p, ctx) => {
    const conversations = `SELECT blocker, COUNT(*) AS conversations FROM conversations
      WHERE blocker IS NOT NULL AND ${ctx.inRange('start_day')} AND ${ctx.seg('user_id')} GROUP BY blocker`;
    // Up to the latest data, a blocker's users in the range are those whose last blocked conversation is in it.
    const users = ctx.rollups.users
      ? `SELECT blocker, COUNT(*) AS users FROM user_blockers WHERE ${p.lastDayInRange(ctx)} AND ${ctx.seg('user_id')} GROUP BY blocker`
      : `SELECT blocker, COUNT(DISTINCT user_id) AS users FROM conversations
         WHERE blocker IS NOT NULL AND ${ctx.inRange('start_day')} AND ${ctx.seg('user_id')} GROUP BY blocker`;
    return { sql: `SELECT c.blocker, c.conversations, u.users FROM (${conversations}) c JOIN (${users}) u ON u.blocker = c.blocker ORDER BY c.conversations DESC, c.blocker`, params: ctx.params };
  },
};

export function blockers(p: Planner, filters: Filters = {}): Dashboard['blockers'] {
  return p.once('blockers', filters, () => p.rows<Dashboard['blockers'][number]>(p.context(filters), BLOCKERS));
}
