import type { Command } from 'commander';
import { z } from 'zod';
import { Filters, HIGH_USAGE_CREDITS, METRIC_DEFINITIONS, hasSegment, type Dashboard } from '../../shared/metrics.js';
import { pmfOverall, pmfOverallBrief, pmfVerdictWord } from '../../shared/pmf.js';
import { ColumnarStore, dataVersion } from '../snapshot/columnar.js';
import { AnalyticsEngine } from '../analytics/engine.js';
import { redactConnectionString } from '../connection-string.js';
import { openWorkspaceSnapshot } from '../workspace/open.js';
import { WorkspaceStore } from '../workspace/store.js';
import { parseOption } from './options.js';
import { runSync } from './sync.js';
import { runAiAnalysisCommand } from './intelligence.js';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');
const AnalyticsFlags = z
  .object({
    today: z.boolean().optional(),
    since: day.optional(),
    until: day.optional(),
    json: z.boolean().optional(),
    sync: z.boolean().optional(),
    workspace: z.string().optional(),
    tool: z.array(z.string().min(1)).optional(),
    useCase: z.array(z.string().min(1)).optional(),
    aiAnalysis: z.union([z.boolean(), z.string().min(1)]).optional(),
  })
  .refine((o) => !(o.today && (o.since || o.until)), { message: 'use either --today or --since/--until', path: ['today'] });

const collect = (value: string, previous: string[] = []) => [...previous, value];

const pct = (r: number | null | undefined) => (r === null || r === undefined ? 'n/a' : `${Math.round(r * 1000) / 10}%`);
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** The seed's Quick Start output: executive summary, journey and PMF signals as terminal text. */
export function formatDashboardText(d: Dashboard, workspaceName: string): string {
  const s = d.summary;
  const lines: string[] = [];
  const age = d.snapshot.ageSeconds;
  const ageText = age === null ? 'never synced' : age < 120 ? `${age} s old` : age < 7200 ? `${Math.round(age / 60)} min old` : `${Math.round(age / 3600)} h old`;
  lines.push(`User Intelligence: ${d.range.since ? `${d.range.since} … ${d.range.until}` : `all data to ${d.range.until}`}`);
  lines.push(`workspace ${workspaceName} (${d.snapshot.source}), snapshot ${ageText}, ${d.snapshot.counts.users} users / ${d.snapshot.counts.events} events`);
  lines.push('', 'Executive Summary');
  lines.push(`- Daily active users (${s.dailyActiveUsers.day}): ${s.dailyActiveUsers.count}/${s.dailyActiveUsers.total} (${pct(s.dailyActiveUsers.rate)})`);
  lines.push(`- Week 1 retention: ${s.week1Retention.count}/${s.week1Retention.total} (${pct(s.week1Retention.rate)})`);
  lines.push(`- Users who ran out of credits: ${s.ranOut.count} (${pct(s.ranOut.rate)})`);
  lines.push(`- High usage (≥ ${HIGH_USAGE_CREDITS} credits): ${s.highUsage.count} (${pct(s.highUsage.rate)})`);
  lines.push(`- Average session length: ${s.averageSessionMinutes === null ? 'n/a' : `${s.averageSessionMinutes.toFixed(1)} minutes`}`);
  lines.push(`- Top use cases: ${s.topUseCases.length ? s.topUseCases.map((u) => `${u.useCase} ${pct(u.share)}`).join(', ') : 'none'}`);
  lines.push('', 'Activation Journey                count    step   overall');
  for (const step of d.journey.steps) {
    lines.push(`  ${pad(step.label, 28)} ${lpad(String(step.count), 7)} ${lpad(pct(step.stepConversion), 7)} ${lpad(pct(step.overallConversion), 9)}`);
  }
  const overall = pmfOverall(d.pmfSignals);
  lines.push('', `PMF verdict: ${overall.word} (${overall.summary})`);
  lines.push('', 'PMF Signals');
  for (const group of ['strong', 'weak', 'pivot'] as const) {
    lines.push(`  ${group} signals`);
    for (const p of d.pmfSignals.filter((x) => x.group === group)) {
      const value = p.unit === 'rate' ? pct(p.value) : String(p.value ?? 'n/a');
      const threshold = p.unit === 'rate' ? pct(p.threshold) : String(p.threshold);
      lines.push(`   ${pad(pmfVerdictWord(p.verdict), 15)} ${pad(p.label, 40)} ${lpad(value, 7)} (threshold ${threshold}): ${p.detail}`);
    }
  }
  if (d.failurePoints.length) {
    lines.push('', 'Top failure points (tool / error: failures, users)');
    for (const f of d.failurePoints.slice(0, 5)) lines.push(`  ${pad(`${f.tool ?? '-'} / ${f.errorType ?? '-'}`, 40)} ${lpad(String(f.failures), 6)} ${lpad(String(f.affectedUsers), 6)}`);
  }
  lines.push('', `Definitions: docs/metrics.md (e.g. week-1 retention: ${METRIC_DEFINITIONS.week1Retention.rule})`);
  return lines.join('\n');
}

export function registerAnalyticsCommand(program: Command): void {
  program
    .command('analytics')
    .description('print the PMF dashboard (executive summary, journey, PMF signals) from the workspace snapshot')
    .option('--today', "today's dashboard: everything up to today (UTC), DAU of today")
    .option('--since <YYYY-MM-DD>', 'first day of the range (UTC, inclusive)')
    .option('--until <YYYY-MM-DD>', 'last day of the range (UTC, inclusive; default the last day with data)')
    .option('--json', 'the full dashboard as JSON (keys documented in docs/metrics.md)')
    .option('--sync', 'sync from PostgreSQL first (falls back to the last snapshot when PostgreSQL is unreachable)')
    .option('--workspace <name>', 'workspace (default: the active one; the demo when nothing is configured)')
    .option('--tool <name>', 'segment: users who used this tool (repeatable)', collect)
    .option('--use-case <name>', 'segment: users with a conversation of this use case (repeatable)', collect)
    .option('--ai-analysis [question]', 'also run the AI analysis (intelligence module) on this range')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOption(AnalyticsFlags, raw);
      const store = new WorkspaceStore();
      if (o.sync) {
        try {
          await runSync(store, o.workspace, !!o.json);
        } catch (err) {
          process.stderr.write(`warning: sync failed, using the last snapshot: ${redactConnectionString((err as Error).message)}\n`);
        }
      }
      const name = o.sync && !o.workspace && store.list().some((w) => w.name === 'env' && w.active) ? 'env' : o.workspace;
      const { workspace, snapshot } = openWorkspaceSnapshot(store, name);
      try {
        const today = new Date().toISOString().slice(0, 10);
        const filters: Filters = parseOption(Filters, {
          // --today is the dashboard as of today (cohort metrics need history), not a one-day range.
          since: o.today ? undefined : o.since,
          until: o.today ? today : o.until,
          tools: o.tool,
          useCases: o.useCase,
        });
        // A segment or a range reads the column store when it holds this snapshot's data (`uis sync` keeps it so), else
        // SQLite (the whole dashboard up to the latest data reads the rollups: no store to open).
        const ranged = hasSegment(filters) || filters.since !== undefined || filters.until !== undefined;
        const columnar = ranged ? await ColumnarStore.open(snapshot.file).catch(() => null) : null;
        const current = columnar?.holds(dataVersion(snapshot)) ? columnar : undefined;
        const engine = new AnalyticsEngine(snapshot, {}, undefined, { columnar: current });
        await engine.prepare(filters);
        await columnar?.close();
        const dashboard = engine.dashboard(filters);
        // --json: the Dashboard plus the overall verdict in the words Overview shows (computed from pmfSignals).
        if (o.json) process.stdout.write(JSON.stringify({ ...dashboard, pmfVerdict: pmfOverallBrief(dashboard.pmfSignals) }, null, 2) + '\n');
        else console.log(formatDashboardText(dashboard, workspace.name));
        if (o.aiAnalysis) {
          await runAiAnalysisCommand({
            workspace: workspace.name,
            store,
            snapshotPath: workspace.snapshotPath,
            filters,
            question: typeof o.aiAnalysis === 'string' ? o.aiAnalysis : undefined,
            json: !!o.json,
          });
        }
      } finally {
        snapshot.close();
      }
    });
}
