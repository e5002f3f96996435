import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppCore, type Core } from '../../src/main/app/index.js';
import { formatDashboardText } from '../../src/main/cli/analytics.js';
import { buildDigest } from '../../src/main/digest/build.js';
import { periodEndingOn } from '../../src/main/digest/periods.js';
import { renderDigest } from '../../src/main/digest/render.js';
import { exportReport } from '../../src/main/reports/export.js';
import { openWorkspaceSource } from '../../src/main/reports/source.js';
import { startWebServer, type RunningWebServer } from '../../src/main/server/web.js';
import { syncFromPostgres } from '../../src/main/snapshot/sync.js';
import { openSnapshot } from '../../src/main/snapshot/snapshot.js';
import { FileKeySecretStore } from '../../src/main/workspace/secrets.js';
import { WorkspaceStore } from '../../src/main/workspace/store.js';
import { CREATION_TOOLS, CREDITS_LIST_ROWS, HIGH_USAGE_CREDITS, addDays, type CreditExhaustionRow, type Dashboard, type RanOutRow, type UserDetail } from '../../src/shared/metrics.js';
import { PMF_OVERALL_WORDS, PMF_VERDICT_WORDS, pmfOverall, pmfVerdictWord, type PmfOverallBrief } from '../../src/shared/pmf.js';
import { formatValue, humanizeKey } from '../../src/shared/report.js';
import { int, pct } from '../../src/shared/format.js';
import type { IntelligenceOverview } from '../../src/shared/intelligence.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

/**
 * Every headline number on every surface agrees, on the demo product at two seeds and sizes:
 *   `uis analytics --json` and its text, the `/rpc` dashboard the pages read, `analytics.user` for a sample of users,
 *   the report as Markdown, CSV and the PDF's text, the digest preview, `uis intelligence --json` (local analyzer),
 *   and `user_profiles` in PostgreSQL after `uis demo --to postgres`,
 * with each other and with SQL written here against PostgreSQL (the source) and the SQLite snapshot.
 * The period is the demo's whole range, so "in the range" and "lifetime" name the same rows.
 */

const run = promisify(execFile);
const UIS = new URL('../../bin/uis.js', import.meta.url).pathname;
const TOKEN = 'consistency-token-0123456789';
const OLD_WORDS = /Not yet met|Strong PMF signal|Weak PMF signal|Hot signal|\bClear\b/;

const CASES = [
  { users: 60, days: 30, seed: 7, endDay: '2026-11-20' },
  { users: 100, days: 40, seed: 42, endDay: '2026-11-18' },
];

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const flat = (s: string) => s.replace(/\s+/g, ' ');
const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

async function uis(dataDir: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await run(process.execPath, [UIS, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, UIS_DATA_DIR: dataDir, DATABASE_URL: '', OPENAI_API_KEY: '', ...env },
    timeout: 180_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return r.stdout;
}

/** The Markdown report's table rows as cells (header and separator rows included). */
function mdRows(md: string): string[][] {
  return md
    .split('\n')
    .filter((l) => l.startsWith('| '))
    .map((l) =>
      l
        .slice(2, -2)
        .split(' | ')
        .map((c) => c.trim()),
    );
}

interface Surfaces {
  cliJson: Dashboard & { pmfVerdict: PmfOverallBrief };
  cliText: string;
  rpc: Dashboard;
  /** The engine's whole credits lists for the range (the dashboard carries their first rows). */
  ranOutAll: RanOutRow[];
  highUsageAll: CreditExhaustionRow[];
  rpcWeek: Dashboard;
  rpc30: Dashboard;
  users: Map<string, UserDetail>;
  md: string;
  csv: Map<string, Record<string, string | number>[]>;
  pdf: string;
  digest: string;
  intelligence: { overview: IntelligenceOverview };
}

interface Truth {
  /** Independent SQL on PostgreSQL. */
  signedUp: number;
  activeUsers: number;
  conversations: number;
  creditsUsed: number;
  episodes: Map<string, number>;
  /** The user's first episode (first exhaustion event of a conversation), ISO. */
  firstEpisodeAt: Map<string, string>;
  highUsage: Set<string>;
  createdContent: number;
  blockers: Map<string, { conversations: number; users: number }>;
  userBlockers: Map<string, Map<string, number>>;
  userCredits: Map<string, number>;
  profileCounts: Map<string, number | null>;
  toolCalls: number;
  failedToolCalls: number;
}

describe.each(CASES)('every surface agrees: demo seed $seed, $users users, $days days', (c) => {
  let db: TestDatabase;
  let dataDir: string;
  let core: Core;
  let server: RunningWebServer;
  let rendererDir: string;
  const until = c.endDay;
  const since = addDays(until, -(c.days - 1));
  // The digest's week: the week (Monday–Sunday) that ends on or contains `until`.
  const week = periodEndingOn('weekly', until);
  const s = {} as Surfaces;
  const t = {} as Truth;
  let snapshotPath: string;

  const rpc = async <T>(channel: string, body: unknown): Promise<T> => {
    const res = await fetch(`${server.origin}/rpc/${channel}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status, channel).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-consistency-'));
    // The capture path: `uis demo --to postgres`; no `uis profiles rebuild` anywhere below.
    const demo = await uis(dataDir, ['demo', '--to', 'postgres', '--users', String(c.users), '--days', String(c.days), '--seed', String(c.seed), '--end-day', until], { DATABASE_URL: db.url });
    expect(demo).toMatch(new RegExp(`Demo written to PostgreSQL: ${c.users} users`));
    const store = new WorkspaceStore(dataDir);
    const ws = store.add({ name: 'acme', kind: 'postgres', pgUrl: db.url }, { activate: true });
    snapshotPath = ws.snapshotPath;
    const snap = openSnapshot(ws.snapshotPath);
    try {
      await syncFromPostgres(snap, db.url);
    } finally {
      snap.close();
    }

    // Independent SQL on PostgreSQL.
    const q = async (sql: string, params: unknown[] = []) => (await db.pool.query(sql, params)).rows as Record<string, unknown>[];
    const range = [since, until];
    const inRange = `timestamp >= $1::date AND timestamp < $2::date + 1`;
    t.signedUp = num((await q(`SELECT COUNT(*) AS n FROM user_profiles WHERE created_at >= $1::date AND created_at < $2::date + 1`, range))[0]!.n);
    t.activeUsers = num((await q(`SELECT COUNT(DISTINCT user_id) AS n FROM conversation_events WHERE ${inRange}`, range))[0]!.n);
    t.conversations = num((await q(`SELECT COUNT(*) AS n FROM conversations WHERE started_at >= $1::date AND started_at < $2::date + 1`, range))[0]!.n);
    t.creditsUsed = num((await q(`SELECT SUM(credits_consumed) AS n FROM conversation_events WHERE ${inRange}`, range))[0]!.n);
    // An episode: a conversation with an insufficient_credits error or a blocked_by_credits completion.
    const exhaustion = `conversation_id IS NOT NULL AND (content->>'error' = 'insufficient_credits' OR (event_type = 'completion' AND content->>'completion_status' = 'blocked_by_credits'))`;
    const episodes = await q(`SELECT user_id, COUNT(DISTINCT conversation_id) AS n, MIN(timestamp) AS first FROM conversation_events WHERE ${exhaustion} AND timestamp < $1::date + 1 GROUP BY user_id`, [until]);
    t.episodes = new Map(episodes.map((r) => [r.user_id as string, num(r.n)]));
    t.firstEpisodeAt = new Map(episodes.map((r) => [r.user_id as string, new Date(r.first as string).toISOString()]));
    t.highUsage = new Set((await q(`SELECT user_id FROM conversation_events WHERE ${inRange} GROUP BY user_id HAVING SUM(credits_consumed) >= ${HIGH_USAGE_CREDITS}`, range)).map((r) => r.user_id as string));
    t.createdContent = num(
      (
        await q(
          `SELECT COUNT(*) AS n FROM user_profiles p WHERE p.created_at >= $1::date AND p.created_at < $2::date + 1 AND EXISTS (
             SELECT 1 FROM conversation_events e WHERE e.user_id = p.user_id AND e.event_type = 'tool_call' AND e.success AND e.tool_name = ANY($3) AND e.timestamp < $2::date + 1)`,
          [...range, [...CREATION_TOOLS]],
        )
      )[0]!.n,
    );
    // Blockers from events: blocker_reason, else insufficient_credits for a blocked-by-credits conversation, else the
    // last error of an abandoned one.
    const blockerRows = await q(
      `SELECT c.user_id, c.started_at, COALESCE(c.blocker_reason, CASE
          WHEN c.completion_status = 'blocked_by_credits' THEN 'insufficient_credits'
          WHEN c.completion_status = 'abandoned' THEN (SELECT e.content->>'error' FROM conversation_events e WHERE e.conversation_id = c.id AND e.content->>'error' IS NOT NULL ORDER BY e.timestamp DESC, e.id DESC LIMIT 1)
        END) AS blocker FROM conversations c`,
    );
    t.blockers = new Map();
    t.userBlockers = new Map();
    const blockerUsers = new Map<string, Set<string>>();
    for (const r of blockerRows) {
      const b = r.blocker as string | null;
      if (!b) continue;
      const u = r.user_id as string;
      const perUser = t.userBlockers.get(u) ?? new Map<string, number>();
      perUser.set(b, (perUser.get(b) ?? 0) + 1);
      t.userBlockers.set(u, perUser);
      const day = new Date(r.started_at as string).toISOString().slice(0, 10);
      if (day < since || day > until) continue;
      const e = t.blockers.get(b) ?? { conversations: 0, users: 0 };
      e.conversations++;
      t.blockers.set(b, e);
      blockerUsers.set(b, (blockerUsers.get(b) ?? new Set()).add(u));
    }
    for (const [b, users] of blockerUsers) t.blockers.get(b)!.users = users.size;
    t.userCredits = new Map((await q(`SELECT user_id, SUM(credits_consumed) AS n FROM conversation_events GROUP BY user_id`)).map((r) => [r.user_id as string, num(r.n)]));
    t.profileCounts = new Map((await q(`SELECT user_id, credit_exhaustion_count AS n FROM user_profiles`)).map((r) => [r.user_id as string, r.n === null ? null : num(r.n)]));
    const tools = (await q(`SELECT COUNT(*) FILTER (WHERE event_type = 'tool_call') AS calls, COUNT(*) FILTER (WHERE event_type IN ('tool_call', 'error') AND success = false) AS failed FROM conversation_events WHERE ${inRange}`, range))[0]!;
    t.toolCalls = num(tools.calls);
    t.failedToolCalls = num(tools.failed);

    // The workbench's HTTP transport over the same data folder.
    core = createAppCore({ dataDir, secretStore: new FileKeySecretStore(path.join(dataDir, 'secret.key'), () => {}), log: () => {} });
    rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-renderer-'));
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>x</title>');
    server = await startWebServer({ core, token: TOKEN, rendererDir, port: 0 });

    // Intelligence first (local analyzer): the report and the digest then read its lists, as a founder's would.
    // The CLI where the issue names it (analytics --json, intelligence --json, the PDF); the Markdown and CSV through
    // exportReport, the function `uis report` runs; the digest preview through /rpc as the Reports page asks for it.
    const out = path.join(dataDir, 'out');
    const [intel, cliJson] = await Promise.all([
      uis(dataDir, ['intelligence', '--workspace', 'acme', '--source', 'local', '--since', since, '--until', until, '--json']),
      uis(dataDir, ['analytics', '--json', '--workspace', 'acme', '--since', since, '--until', until]),
    ]);
    s.intelligence = JSON.parse(intel) as { overview: IntelligenceOverview };
    s.cliJson = JSON.parse(cliJson) as Surfaces['cliJson'];
    s.cliText = formatDashboardText(s.cliJson, 'acme');
    const pdf = uis(dataDir, ['report', '--format', 'pdf', '--out', path.join(out, 'r.pdf'), '--workspace', 'acme', '--since', since, '--until', until]);
    const source = openWorkspaceSource(dataDir, 'acme');
    try {
      const settings = { companyName: 'Acme AI', logoDataUrl: null };
      await exportReport(source, { format: 'md', out: path.join(out, 'r.md'), since, until, settings });
      await exportReport(source, { format: 'csv', out: path.join(out, 'r.zip'), since, until, settings });
      s.ranOutAll = source.ranOutUsers({ since, until });
      s.highUsageAll = source.creditExhaustion({ since, until });
    } finally {
      source.close();
    }
    await pdf;
    s.md = fs.readFileSync(path.join(out, 'r.md'), 'utf8');
    const zip = await JSZip.loadAsync(fs.readFileSync(path.join(out, 'r.zip')));
    s.csv = new Map();
    for (const name of Object.keys(zip.files).filter((f) => f.endsWith('.csv'))) {
      s.csv.set(name.replace(/\.csv$/, ''), parse(await zip.file(name)!.async('string'), { columns: true, cast: true }) as Record<string, string | number>[]);
    }
    s.pdf = flat((await run('pdftotext', ['-layout', path.join(out, 'r.pdf'), '-'])).stdout);

    s.digest = (await rpc<{ text: string }>('reports.digestPreview', { kind: 'weekly', until })).text;
    s.rpc = await rpc<Dashboard>('analytics.dashboard', { filters: { since, until } });
    s.rpcWeek = await rpc<Dashboard>('analytics.dashboard', { filters: { since: week.since, until: week.until } });
    s.rpc30 = await rpc<Dashboard>('analytics.dashboard', { filters: { since: addDays(week.until, -29), until: week.until } });
    // A sample: the users with the most episodes, high-usage users who never ran out, and a spread of the rest.
    const ids = [...t.profileCounts.keys()].sort();
    const ranOut = [...t.episodes.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([id]) => id);
    const highOnly = [...t.highUsage].filter((id) => !t.episodes.has(id)).sort();
    const sample = [...new Set([...ranOut.slice(0, 4), ...highOnly.slice(0, 2), ...ids.filter((_, i) => i % Math.ceil(ids.length / 5) === 0)])];
    s.users = new Map();
    for (const id of sample) s.users.set(id, await rpc<UserDetail>('analytics.user', { userId: id }));
  }, 420_000);

  afterAll(async () => {
    await server?.close();
    await core?.close();
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (rendererDir) fs.rmSync(rendererDir, { recursive: true, force: true });
  });

  it('the CLI and the /rpc dashboard are the same dashboard', () => {
    const { generatedAt: _g1, computeMs: _c1, snapshot: _s1, pmfVerdict: _v, ...cli } = s.cliJson;
    const { generatedAt: _g2, computeMs: _c2, snapshot: _s2, ...page } = s.rpc;
    expect(cli).toEqual(page);
  });

  it('headline numbers equal independent SQL on PostgreSQL', () => {
    const d = s.rpc;
    expect(d.journey.steps[0]!.count).toBe(t.signedUp);
    expect(d.summary.totals.activeUsers).toBe(t.activeUsers);
    expect(d.summary.totals.conversations).toBe(t.conversations);
    expect(d.summary.totals.creditsUsed).toBe(t.creditsUsed);
    expect(d.usageHealth.overallErrorRate.count).toBe(t.failedToolCalls);
    expect(d.usageHealth.overallErrorRate.total).toBe(t.toolCalls);
    // Ran out = has an episode; high usage = ≥ 90 credits: two different sets, each named as what it is.
    expect(d.summary.ranOut.count).toBe(t.episodes.size);
    expect(d.summary.highUsage.count).toBe(t.highUsage.size);
    // The whole lists (the report's source), and the dashboard's first CREDITS_LIST_ROWS of them, in the same order.
    expect(s.ranOutAll.map((r) => [r.userId, r.episodes]).sort()).toEqual([...t.episodes.entries()].sort());
    expect(d.ranOutUsers).toEqual({ rows: s.ranOutAll.slice(0, CREDITS_LIST_ROWS), truncated: t.episodes.size > CREDITS_LIST_ROWS });
    expect(s.highUsageAll.map((r) => r.userId).sort()).toEqual([...t.highUsage].sort());
    for (const r of s.highUsageAll) expect(r.episodes, r.userId).toBe(t.episodes.get(r.userId) ?? 0);
    expect(d.highUsageUsers).toEqual({ rows: s.highUsageAll.slice(0, CREDITS_LIST_ROWS), truncated: t.highUsage.size > CREDITS_LIST_ROWS });
    expect(d.journey.steps.find((x) => x.id === 'ran_out')!.count).toBeLessThanOrEqual(t.episodes.size);
    // Created content: a successful creation-tool call, the one definition.
    expect(d.journey.steps.find((x) => x.id === 'created_content')!.count).toBe(t.createdContent);
    // Blockers come from events.
    expect(new Map(d.blockers.map((b) => [b.blocker, { conversations: b.conversations, users: b.users }]))).toEqual(t.blockers);
  });

  it('the SQLite snapshot carries the same episodes (independent SQL on the snapshot)', () => {
    const sq = new Database(snapshotPath, { readonly: true, fileMustExist: true });
    try {
      const rows = sq
        .prepare(
          `SELECT user_id, COUNT(DISTINCT conversation_id) AS n FROM events
           WHERE conversation_id IS NOT NULL AND (error_type = 'insufficient_credits' OR completion_status = 'blocked_by_credits') AND day <= ? GROUP BY user_id`,
        )
        .all(until) as Array<{ user_id: string; n: number }>;
      expect(new Map(rows.map((r) => [r.user_id, r.n]))).toEqual(t.episodes);
      const profiles = sq.prepare('SELECT user_id, credit_exhaustion_count AS n FROM users').all() as Array<{ user_id: string; n: number | null }>;
      for (const p of profiles) expect(p.n ?? 0, p.user_id).toBe(t.episodes.get(p.user_id) ?? 0);
    } finally {
      sq.close();
    }
  });

  it('user_profiles.credit_exhaustion_count in PostgreSQL equals the episodes, with no rebuild', () => {
    expect(t.episodes.size).toBeGreaterThan(0);
    for (const [id, n] of t.profileCounts) expect(n ?? 0, id).toBe(t.episodes.get(id) ?? 0);
    for (const [id, n] of t.profileCounts) if (t.episodes.has(id)) expect(n, id).not.toBeNull();
  });

  it('user detail agrees with the SQL, the profile column and its own timeline', () => {
    expect(s.users.size).toBeGreaterThanOrEqual(5);
    for (const [id, u] of s.users) {
      const episodes = t.episodes.get(id) ?? 0;
      expect(u.pmf.creditExhaustionEpisodes, id).toBe(episodes);
      expect(u.pmf.creditExhaustionCount ?? 0, id).toBe(episodes);
      expect(u.profile.ranOut, id).toBe(episodes > 0);
      expect(u.profile.creditsUsed, id).toBe(t.userCredits.get(id) ?? 0);
      // Blockers: exactly the event-derived blockers of the user's conversations, as the timeline shows them.
      const expected = t.userBlockers.get(id) ?? new Map<string, number>();
      expect(new Map(u.pmf.blockers.map((b) => [b.blocker, b.conversations])), id).toEqual(expected);
      if (!u.truncated) {
        const timeline = new Map<string, number>();
        for (const conv of u.conversations) if (conv.blocker) timeline.set(conv.blocker, (timeline.get(conv.blocker) ?? 0) + 1);
        expect(timeline, id).toEqual(expected);
        const blockedByCredits = u.conversations.filter((conv) => conv.completionStatus === 'blocked_by_credits').length;
        if (blockedByCredits) expect(u.pmf.blockers.length, `${id}: a blocked-by-credits conversation is a blocker`).toBeGreaterThan(0);
      }
    }
  });

  it('PMF: every surface words each check and the overall verdict the same', () => {
    const d = s.rpc;
    const overall = pmfOverall(d.pmfSignals);
    expect(s.cliJson.pmfVerdict).toEqual({ verdict: overall.verdict, word: overall.word, summary: overall.summary });
    // The credit_exhaustion check reads the "ran out" number the tiles show, and its verdict follows its threshold.
    const ce = d.pmfSignals.find((x) => x.id === 'credit_exhaustion')!;
    expect(ce.value).toBeCloseTo(d.summary.ranOut.rate ?? NaN, 3);
    if (ce.verdict !== 'not_enough_data') expect(ce.verdict === 'strong').toBe((d.summary.ranOut.rate ?? 0) > ce.threshold);

    expect(s.cliText).toContain(`PMF verdict: ${overall.word} (${overall.summary})`);
    expect(s.md).toContain(`**PMF verdict: ${overall.word}** (${overall.summary}).`);
    expect(s.pdf).toContain(`PMF verdict: ${overall.word}`);
    expect(s.csv.get('pmf_verdict')).toEqual([{ verdict: overall.verdict, verdict_label: overall.word, summary: overall.summary }]);

    const csv = s.csv.get('pmf_scorecard')!;
    const mdByLabel = new Map(mdRows(s.md).map((r) => [r[0], r]));
    for (const sig of d.pmfSignals) {
      const word = pmfVerdictWord(sig.verdict);
      expect(s.cliText, sig.id).toMatch(new RegExp(`${esc(word)}\\s+${esc(sig.label)}`));
      expect(mdByLabel.get(sig.label)?.[3], sig.id).toBe(word);
      // The scorecard row: label, value, threshold, verdict.
      expect(s.pdf, sig.id).toMatch(new RegExp(`${esc(sig.label)} \\S+ [<>] [\\d.]+%?(?: messages)? ${esc(word)}`));
      expect(csv.find((r) => r.signal === sig.id), sig.id).toMatchObject({ verdict: sig.verdict, verdict_label: word });
    }
    // The digest judges on the 30 days ending with its period: the same verdict as the dashboard of those 30 days.
    const o30 = pmfOverall(s.rpc30.pmfSignals);
    expect(s.digest).toContain(`PMF verdict (last 30 days): ${o30.word} (${o30.summary})`);
    // One vocabulary: no other verdict word anywhere.
    for (const [name, text] of [['cli', s.cliText], ['md', s.md], ['pdf', s.pdf], ['digest', s.digest]] as const) expect(text, name).not.toMatch(OLD_WORDS);
    for (const w of Object.values(PMF_OVERALL_WORDS)) if (w !== overall.word) expect(s.md).not.toContain(`PMF verdict: ${w}**`);
    expect(Object.values(PMF_VERDICT_WORDS)).toContain(pmfVerdictWord(ce.verdict));
  });

  it('the report (Markdown, CSV, PDF) carries the dashboard numbers', () => {
    const d = s.rpc;
    const ro = d.summary.ranOut;
    const sentence = `${int(ro.count)} of ${int(ro.total)} users (${pct(ro.rate)})`;
    expect(s.md).toContain(`**${int(ro.count)}** of ${int(ro.total)} users (${pct(ro.rate)})`);
    expect(s.pdf).toContain(sentence);
    const summary = s.csv.get('summary')!;
    const kpi = (key: string) => summary.find((r) => r.metric === key)!.value;
    expect(kpi('active_users')).toBe(t.activeUsers);
    expect(kpi('conversations')).toBe(t.conversations);
    expect(kpi('new_users')).toBe(d.summary.totals.newUsers);
    expect(Number(kpi('credit_exhaustion_rate'))).toBeCloseTo(ro.rate ?? NaN, 6);
    expect(Number(kpi('error_rate'))).toBeCloseTo(d.usageHealth.overallErrorRate.rate ?? NaN, 6);
    expect(s.csv.get('activation_journey')!.map((r) => [r.step, r.users])).toEqual(d.journey.steps.map((x) => [x.label, x.count]));
    for (const step of d.journey.steps) expect(s.pdf).toMatch(new RegExp(`${esc(step.label)} ${esc(int(step.count))}\\b`));
    // The credit table lists who ran out, with their episodes (= the profile column).
    expect(s.csv.get('credit_exhaustion')!.map((r) => [r.user_id, r.exhaustion_count]).sort()).toEqual([...t.episodes.entries()].sort());
    // The report's top blockers: event-derived, equal to the SQL; none has more users than ran out when about credits.
    const blockers = s.csv.get('blockers')!;
    for (const b of blockers) {
      const truth = t.blockers.get(String(b.blocker));
      expect(truth, `report blocker "${b.blocker}" is an event-derived blocker`).toBeDefined();
      expect({ conversations: b.count, users: b.users }).toEqual(truth);
    }
    const credits = blockers.find((b) => b.blocker === 'insufficient_credits');
    if (credits) expect(Number(credits.users)).toBeLessThanOrEqual(ro.count);
    for (const b of blockers.slice(0, 5)) expect(s.pdf).toContain(`${b.blocker} ${int(Number(b.count))}`);
    // Said once, not per number, when the previous period is empty (the period starts with the data).
    expect((s.pdf.match(/no data for the previous period/gi) ?? []).length).toBeLessThanOrEqual(1);
    expect(s.pdf).not.toMatch(/previous: 0\b.*previous: 0\b/);
    // Open cohort weeks: the CSV marks them and the PDF prints their rate (the screen shades them).
    const open = d.retention.cohorts.flatMap((co) => co.cells.map((cell, i) => ({ co, cell, i }))).filter((x) => x.cell?.partial);
    expect(open.length).toBeGreaterThan(0);
    const cohorts = s.csv.get('retention_cohorts')!;
    for (const { co, cell, i } of open) {
      const row = cohorts.find((r) => r.cohort === co.cohort)!;
      expect(Number(row.open_from_week)).toBeLessThanOrEqual(i);
      expect(Number(row[`week_${i}`])).toBeCloseTo(cell!.rate ?? NaN, 4);
    }
  });

  it('the digest preview carries the dashboard of its week and only users who ran out in it', () => {
    const w = s.rpcWeek;
    expect(s.digest).toContain(`- Active users: ${int(w.summary.totals.activeUsers)} (`);
    expect(s.digest).toContain(`- New signups: ${int(w.summary.totals.newUsers)} (`);
    expect(s.digest).toContain(`- Conversations: ${int(w.summary.totals.conversations)} (`);
    expect(s.digest).toContain(`- Credits used: ${formatValue(w.summary.totals.creditsUsed, 'credits')} (`);
    expect(s.digest).toContain(`- Tool error rate: ${pct(w.usageHealth.overallErrorRate.rate)} (`);
    // Hot leads: users whose first episode falls in the week, by SQL; and nobody else.
    const leads = [...t.firstEpisodeAt].filter(([, at]) => at.slice(0, 10) >= week.since && at.slice(0, 10) <= week.until).map(([id]) => id);
    const users = new Map<string, string>();
    for (const r of s.ranOutAll) users.set(r.userId, r.email ?? r.userId);
    const section = s.digest.slice(s.digest.indexOf('(HOT LEADS)'), s.digest.indexOf('PMF VERDICT'));
    const listed = [...section.matchAll(/^- (\S+): \d+ credits used/gm)].map((m) => m[1]);
    const names = leads.map((id) => users.get(id)!);
    expect(listed.length).toBe(Math.min(20, leads.length));
    for (const x of listed) expect(names).toContain(x);
  });

  it('Intelligence (local analyzer): blockers are the events\' blockers; what users said is labelled apart', () => {
    const o = s.intelligence.overview;
    expect(o.analysedConversations).toBe(t.conversations);
    for (const b of o.blockers) {
      const truth = t.blockers.get(b.text) ?? t.blockers.get(b.text.replace(/ /g, '_'));
      expect(truth, `intelligence blocker "${b.text}" comes from events`).toBeDefined();
      expect({ conversations: b.count, users: b.userCount }).toEqual(truth);
    }
    const said = new Set((o as IntelligenceOverview & { mentionedProblems?: Array<{ text: string }> }).mentionedProblems?.map((m) => m.text) ?? []);
    for (const b of o.blockers) expect(said.has(b.text), b.text).toBe(false);
    for (const m of said) expect(m, 'a text finding is not named like an event blocker').not.toMatch(/^(out of credits|insufficient[_ ]credits)$/i);
    expect(humanizeKey('insufficient_credits')).toBe('Insufficient credits');
  });
});

describe('a verdict needs data: a 2-user workspace says "Not enough data" everywhere', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-consistency-small-'));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('CLI text and JSON, the Markdown report and the digest', { timeout: 240_000 }, async () => {
    const until = '2026-11-20';
    await uis(dataDir, ['demo', '--users', '2', '--days', '10', '--seed', '3', '--end-day', until]);
    const text = await uis(dataDir, ['analytics', '--until', until]);
    const source = openWorkspaceSource(dataDir);
    let d: Dashboard;
    let md: string;
    let digest: string;
    try {
      d = source.dashboard({ until });
      const out = path.join(dataDir, 'r.md');
      await exportReport(source, { format: 'md', out, until, settings: { companyName: 'Tiny', logoDataUrl: null } });
      md = fs.readFileSync(out, 'utf8');
      digest = renderDigest(buildDigest(source, periodEndingOn('weekly', until), 'Tiny')).text;
    } finally {
      source.close();
    }
    // Most checks lack their minimum sample, so the overall verdict has none either, on every surface.
    expect(d.pmfSignals.filter((x) => x.verdict !== 'not_enough_data').length).toBeLessThanOrEqual(d.pmfSignals.length / 2);
    for (const id of ['credit_exhaustion', 'day7_retention', 'praise', 'single_session']) expect(d.pmfSignals.find((x) => x.id === id)!.verdict, id).toBe('not_enough_data');
    expect(pmfOverall(d.pmfSignals).verdict).toBe('not_enough_data');
    expect(text).toContain('PMF verdict: Not enough data');
    expect(text).not.toMatch(/Interest, not yet a habit|Signs of product-market fit|pulling toward/);
    for (const sig of d.pmfSignals) expect(text, sig.id).toMatch(new RegExp(`${esc(pmfVerdictWord(sig.verdict))}\\s+${esc(sig.label)}`));
    expect(md).toContain('**PMF verdict: Not enough data**');
    for (const sig of d.pmfSignals) expect(mdRows(md).find((r) => r[0] === sig.label)?.[3], sig.id).toBe(pmfVerdictWord(sig.verdict));
    expect(digest).toContain('PMF verdict (last 30 days): Not enough data');
  });
});
