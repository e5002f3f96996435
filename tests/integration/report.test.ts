import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsEngine } from '../../src/main/analytics/engine.js';
import { runConversationAnalysis } from '../../src/main/intelligence/analysis.js';
import { intelligenceOverview } from '../../src/main/intelligence/overview.js';
import { readLlmConfig } from '../../src/main/llm/client.js';
import { generateDemo } from '../../src/main/demo/generate.js';
import { writeDemoToPostgres } from '../../src/main/demo/sinks.js';
import { exportReport } from '../../src/main/reports/export.js';
import { openWorkspaceSource } from '../../src/main/reports/source.js';
import { syncFromPostgres } from '../../src/main/snapshot/sync.js';
import { openSnapshot, type Snapshot } from '../../src/main/snapshot/snapshot.js';
import { WorkspaceStore } from '../../src/main/workspace/store.js';
import { formatValue } from '../../src/shared/report.js';
import { int, pct } from '../../src/shared/format.js';
import type { Dashboard } from '../../src/shared/metrics.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const run = promisify(execFile);
const UIS = new URL('../../bin/uis.js', import.meta.url).pathname;

/**
 * The real path: demo product written to PostgreSQL through the capture triggers → synced into a workspace snapshot →
 * the CLI renders the report → the PDF's text, the CSVs and the Markdown are compared with the engine's numbers.
 */
let db: TestDatabase;
let dir: string;
let snapshot: Snapshot;
let engine: AnalyticsEngine;
const SINCE = '2026-10-22';
const UNTIL = '2026-11-20';

async function uis(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [UIS, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, UIS_DATA_DIR: dir, ...env }, timeout: 90_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  await writeDemoToPostgres(db.pool, generateDemo({ users: 120, days: 75, endDay: UNTIL }));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-report-it-'));
  const store = new WorkspaceStore(dir);
  const ws = store.add({ name: 'acme', kind: 'postgres', pgUrl: db.url }, { activate: true });
  snapshot = openSnapshot(ws.snapshotPath);
  await syncFromPostgres(snapshot, db.url);
  engine = new AnalyticsEngine(snapshot);
});

afterAll(async () => {
  snapshot?.close();
  await db?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function pdfText(file: string): Promise<string> {
  return run('pdftotext', ['-layout', file, '-']).then((r) => r.stdout);
}

describe('uis report on a synced PostgreSQL workspace', () => {
  let current: Dashboard;
  beforeAll(() => {
    current = engine.dashboard({ since: SINCE, until: UNTIL });
  });

  it('PDF: the extracted text carries the numbers the engine computes for the same range', { timeout: 300_000 }, async () => {
    const out = path.join(dir, 'out', 'acme-november.pdf');
    const r = await uis(['report', '--format', 'pdf', '--out', out, '--since', SINCE, '--until', UNTIL, '--workspace', 'acme', '--company', 'Acme AI']);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`PDF report for ${SINCE} – ${UNTIL} (workspace acme) written to ${out} (`);
    const text = await pdfText(out);
    const flat = text.replace(/\s+/g, ' ');
    expect(text).toContain('Investor update');
    expect(flat).toContain('22 October 2026 – 20 November 2026');
    expect(text).toMatch(/A\s*C\s*M\s*E\s+A\s*I/); // letter-spaced company name on the cover

    const s = current.summary;
    const onRow = (label: string, value: string) => expect(flat, label).toMatch(new RegExp(`${label} ${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'i'));
    // The KPI cards sit three to a row, so their values are checked as present; table rows are checked label → value.
    expect(flat).toContain(int(s.totals.newUsers));
    expect(flat).toContain(int(s.totals.activeUsers));
    expect(flat).toContain(formatValue(s.averageDailyActiveUsers, 'decimal'));
    expect(flat).toContain(pct(s.week1Retention.rate));
    expect(flat).toContain(pct(current.retention.day7.rate));
    expect(flat).toContain(int(s.totals.conversations));
    expect(flat).toContain(pct(current.usageHealth.overallErrorRate.rate));

    // PMF scorecard: every signal with its value and threshold on its row.
    for (const sig of current.pmfSignals) {
      const value = sig.unit === 'rate' ? pct(sig.value) : formatValue(sig.value, sig.unit === 'messages' ? 'decimal' : 'count');
      onRow(sig.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), value);
    }
    // Journey: each step's count on its row.
    for (const step of current.journey.steps) onRow(step.label, int(step.count));
    // Use cases, credit exhaustion, blockers.
    const top = s.topUseCases[0]!;
    expect(flat).toMatch(new RegExp(`${top.useCase.replace(/_/g, ' ')} ${int(top.conversations)} ${pct(top.share).replace('.', '\\.')}`, 'i'));
    expect(flat).toContain(`${int(s.ranOut.count)} of ${int(s.ranOut.total)} users (${pct(s.ranOut.rate)})`);
    if (current.blockers[0]) expect(flat).toContain(`1 ${current.blockers[0].blocker} ${int(current.blockers[0].conversations)}`);
    // No customer e-mail address in an investor document.
    for (const row of engine.ranOutUsers({ since: SINCE, until: UNTIL })) if (row.email) expect(text).not.toContain(row.email);

    // Every page renders to an image (looked at by hand during development; kept in test-results for review).
    const pngDir = path.resolve('test-results/report-pages');
    fs.mkdirSync(pngDir, { recursive: true });
    await run('pdftoppm', ['-r', '60', '-png', out, path.join(pngDir, 'page')]);
    const pages = fs.readdirSync(pngDir).filter((f) => f.startsWith('page') && f.endsWith('.png'));
    expect(pages.length).toBeGreaterThanOrEqual(5);
    for (const p of pages) expect(fs.statSync(path.join(pngDir, p)).size).toBeGreaterThan(5_000);
  });

  it('CSV zip: each table parses back to the engine values', { timeout: 300_000 }, async () => {
    const out = path.join(dir, 'acme.zip');
    const r = await uis(['report', '--format', 'csv', '--out', out, '--since', SINCE, '--until', UNTIL]);
    expect(r.code).toBe(0);
    const zip = await JSZip.loadAsync(fs.readFileSync(out));
    const table = async (name: string) => parse(await zip.file(`${name}.csv`)!.async('string'), { columns: true, cast: true }) as Record<string, string | number>[];
    const summary = await table('summary');
    expect(Object.keys(summary[0]!)).toEqual(['metric', 'label', 'value', 'previous', 'unit']);
    expect(summary.find((x) => x.metric === 'active_users')!.value).toBe(current.summary.totals.activeUsers);
    expect(summary.find((x) => x.metric === 'new_users')!.value).toBe(current.summary.totals.newUsers);
    const journey = await table('activation_journey');
    expect(journey.map((x) => [x.step, x.users])).toEqual(current.journey.steps.map((st) => [st.label, st.count]));
    const pmf = await table('pmf_scorecard');
    expect(pmf.map((x) => x.signal)).toEqual(current.pmfSignals.map((sg) => sg.id));
    const growth = await table('growth');
    expect(growth.map((g) => [g.date, g.dau])).toEqual(current.timeseries.days.map((d) => [d.day, d.activeUsers]));
    // WAU: distinct users over the 7 days ending on the last day, as the engine counts them.
    expect(growth.at(-1)!.wau).toBe(engine.dashboard({ since: '2026-11-14', until: UNTIL }).summary.totals.activeUsers);
    const credits = await table('credit_exhaustion');
    // The whole list, in the engine's order (the dashboard carries only its first rows).
    expect(credits.map((c) => c.user_id)).toEqual(engine.ranOutUsers({ since: SINCE, until: UNTIL }).map((c) => c.userId));
    const uc = await table('use_cases');
    expect(uc.map((u) => [u.use_case, u.conversations])).toEqual(current.summary.topUseCases.map((u) => [u.useCase, u.conversations]));
  });

  it('Markdown and HTML carry the same numbers', { timeout: 300_000 }, async () => {
    const md = path.join(dir, 'acme.md');
    const html = path.join(dir, 'acme.html');
    expect((await uis(['report', '--format', 'md', '--out', md, '--since', SINCE, '--until', UNTIL])).code).toBe(0);
    expect((await uis(['report', '--format', 'html', '--out', html, '--since', SINCE, '--until', UNTIL])).code).toBe(0);
    const mdText = fs.readFileSync(md, 'utf8');
    expect(mdText).toContain(`| Active users | ${int(current.summary.totals.activeUsers)} |`);
    for (const step of current.journey.steps) expect(mdText).toContain(`| ${step.label} | ${int(step.count)} |`);
    const htmlText = fs.readFileSync(html, 'utf8');
    expect(htmlText).toContain(`<div class="kpi-value">${int(current.summary.totals.activeUsers)}</div>`);
  });

  it('rejects bad flags with a message naming the flag', { timeout: 300_000 }, async () => {
    const bad = await uis(['report', '--format', 'docx', '--out', path.join(dir, 'x')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--format: expected one of');
    expect(bad.stderr).not.toMatch(/Invalid option.*Invalid option/);
    const date = await uis(['report', '--format', 'pdf', '--out', path.join(dir, 'x'), '--since', '2026-02-30']);
    expect(date.stderr).toContain('--since');
    const order = await uis(['report', '--format', 'md', '--out', path.join(dir, 'x'), '--since', '2026-11-20', '--until', '2026-11-01']);
    expect(order.stderr).toContain('--since');
    expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
  });

  it('narrative: kept when its numbers come from the metrics, dropped (report still written) when it invents one', async () => {
    // A local server speaking the OpenAI protocol; it writes its answer from the metrics it is sent.
    let invent = false;
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; messages: { role: string; content: string }[] };
      const metrics = JSON.parse(body.messages.find((m) => m.role === 'user')!.content) as { key_numbers: { metric: string; value: number }[] };
      const active = metrics.key_numbers.find((k) => k.metric === 'Active users')!.value;
      const content = `This month ${active} people used the product${invent ? ' and revenue grew 987%' : ''}.`;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 0, model: body.model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const llm = readLlmConfig({ OPENAI_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, OPENAI_API_KEY: 'sk-local', UIS_MODEL: 'local-model' });
    const source = openWorkspaceSource(dir, 'acme');
    try {
      const opts = { format: 'md' as const, since: SINCE, until: UNTIL, narrative: true, llm, settings: { companyName: 'Acme AI', logoDataUrl: null } };
      const honest = await exportReport(source, { ...opts, out: path.join(dir, 'n1.md') });
      expect(honest.warnings).toEqual([]);
      expect(fs.readFileSync(honest.path, 'utf8')).toContain(`This month ${current.summary.totals.activeUsers} people used the product.`);
      invent = true;
      const invented = await exportReport(source, { ...opts, out: path.join(dir, 'n2.md') });
      expect(invented.warnings.join(' ')).toMatch(/Narrative rejected.*987/);
      const md = fs.readFileSync(invented.path, 'utf8');
      expect(md).not.toContain('987');
      expect(md).not.toContain('people used the product');
      expect(md).toContain('## PMF scorecard');
    } finally {
      source.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('reports progress, and a cancelled PDF export leaves no file behind', async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-cancel-'));
    const source = openWorkspaceSource(dir, 'acme');
    const steps: number[] = [];
    const ac = new AbortController();
    try {
      await expect(
        exportReport(source, {
          format: 'pdf',
          out: path.join(outDir, 'r.pdf'),
          since: SINCE,
          until: UNTIL,
          settings: { companyName: 'Acme AI', logoDataUrl: null },
          signal: ac.signal,
          onProgress: (f, msg) => {
            steps.push(f);
            if (msg.startsWith('Rendering the PDF')) setTimeout(() => ac.abort(), 300);
          },
        }),
      ).rejects.toThrow(/cancel/i);
    } finally {
      source.close();
    }
    expect(steps[0]).toBeLessThan(0.1);
    expect(steps.every((f, i) => i === 0 || f >= steps[i - 1]!)).toBe(true);
    expect(fs.readdirSync(outDir)).toEqual([]);
    fs.rmSync(outDir, { recursive: true });
  });

  it('uses the intelligence module\'s blockers and requests once conversations have been analysed', async () => {
    await runConversationAnalysis({ db: snapshot.db, llm: null, source: 'local' });
    const overview = intelligenceOverview(snapshot.db, { since: SINCE, until: UNTIL });
    expect(overview.source).toBe('local');
    const source = openWorkspaceSource(dir, 'acme');
    try {
      const r = await exportReport(source, { format: 'md', out: path.join(dir, 'intel.md'), since: SINCE, until: UNTIL, settings: { companyName: 'Acme AI', logoDataUrl: null } });
      expect(r.data.insightsSource).toMatch(/^local-analyzer analysis of \d+ conversations/);
      expect(r.data.featureRequests.map((f) => [f.text, f.count])).toEqual(overview.featureRequests.map((f) => [f.text, f.count]));
      const md = fs.readFileSync(r.path, 'utf8');
      if (overview.blockers[0]) expect(md).toContain(`1. ${overview.blockers[0].text} (${int(overview.blockers[0].count)} conversations`);
    } finally {
      source.close();
    }
  });
});
