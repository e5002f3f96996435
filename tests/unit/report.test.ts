import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { buildReportData, resolvePeriods } from '../../src/main/reports/build.js';
import { renderReportZip } from '../../src/main/reports/csv.js';
import { writeFileAtomic } from '../../src/main/reports/export.js';
import { electronPdfPrinter } from '../../src/main/electron/pdf.js';
import { renderReportHtml } from '../../src/main/reports/html.js';
import { renderReportMarkdown } from '../../src/main/reports/markdown.js';
import { formatChange, ReportRequest, reportTables } from '../../src/shared/report.js';
import { pct } from '../../src/shared/format.js';
import { fixtureDashboard } from './report.fixture.js';

const periods = resolvePeriods({ since: '2026-11-01', until: '2026-11-27' }, null);
const current = fixtureDashboard(periods.current.since, periods.current.until);
const previous = fixtureDashboard(periods.previous.since, periods.previous.until, 0.8);
const wauByDay = new Map(current.timeseries.days.map((d, i) => [d.day, 60 + i]));
const data = buildReportData({ current, previous, ranOutUsers: current.ranOutUsers.rows, periods, settings: { companyName: 'Latent Labs', logoDataUrl: null }, workspace: 'demo', wauByDay, now: new Date('2026-11-28T06:00:00Z') });

describe('periods', () => {
  it('compares with the same number of days right before', () => {
    expect(periods).toEqual({ current: { since: '2026-11-01', until: '2026-11-27' }, previous: { since: '2026-10-05', until: '2026-10-31' } });
  });
  it('defaults to the 30 days ending on the last day with data', () => {
    expect(resolvePeriods({}, '2026-11-27').current).toEqual({ since: '2026-10-29', until: '2026-11-27' });
    expect(resolvePeriods({}, null, '2026-01-10').current).toEqual({ since: '2025-12-12', until: '2026-01-10' });
  });
  it('validates the request and names the field', () => {
    const bad = ReportRequest.safeParse({ format: 'docx', since: '2026-02-30' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path[0]).sort()).toEqual(['format', 'since']);
  });
});

describe('report data', () => {
  it('carries the engine numbers and the change vs the previous period', () => {
    const active = data.kpis.find((k) => k.key === 'active_users')!;
    expect(active).toMatchObject({ value: 67, previous: 54 });
    expect(formatChange(active.value, active.previous, active.unit)).toBe('+24.1%');
    const w1 = data.kpis.find((k) => k.key === 'week1_retention')!;
    expect(formatChange(w1.value, w1.previous, w1.unit)).toBe('+13.3 pts');
    expect(data.pmf.find((p) => p.key === 'day7_retention')).toMatchObject({ verdict: 'strong', previousVerdict: 'not_seen', threshold: '> 40%', met: true });
    expect(data.pmf.find((p) => p.key === 'no_credit_exhaustion')!.threshold).toBe('< 2%');
    expect(data.pmf.find((p) => p.key === 'repeated_blockers')).toMatchObject({ verdict: 'not_enough_data', met: null });
  });
  it('pools finished cohort weeks into the retention curve and keeps open weeks in the cohort table, marked open', () => {
    expect(data.retention.curve).toEqual([
      { week: 0, retained: 63, eligible: 63, rate: 1 },
      { week: 1, retained: 21, eligible: 45, rate: 21 / 45 },
      { week: 2, retained: 7, eligible: 20, rate: 0.35 },
    ]);
    expect(data.retention.cohorts[1]!.cells).toEqual([1, 12 / 25, 8 / 25, null]);
    expect(data.retention.cohorts[1]!.open).toEqual([false, false, true, false]);
  });
});

describe('formats', () => {
  it('CSV zip: one file per table with a stable header, parsing back to the same values', async () => {
    const zip = await JSZip.loadAsync(await renderReportZip(data));
    const tables = reportTables(data);
    expect(Object.keys(zip.files).sort()).toEqual([...tables.map((t) => `${t.name}.csv`), 'README.txt'].sort());
    for (const t of tables) {
      const rows = parse(await zip.file(`${t.name}.csv`)!.async('string')) as string[][];
      expect(rows[0]).toEqual(t.headers);
      expect(rows.slice(1)).toEqual(t.rows.map((r) => r.map((v) => (v == null ? '' : String(v)))));
    }
    const summary = parse(await zip.file('summary.csv')!.async('string'), { columns: true }) as Record<string, string>[];
    expect(summary.find((r) => r.metric === 'active_users')).toEqual({ metric: 'active_users', label: 'Active users', value: '67', previous: '54', unit: 'count' });
    const growth = parse(await zip.file('growth.csv')!.async('string'), { columns: true, cast: true }) as { date: string; dau: number; wau: number }[];
    expect(growth[0]).toEqual({ date: '2026-11-01', dau: 20, wau: 60, signups: 4 });
    // Same data, same bytes: the zip is reproducible.
    expect((await renderReportZip(data)).equals(await renderReportZip(data))).toBe(true);
  });

  it('Markdown has every section with the same numbers', () => {
    const md = renderReportMarkdown(data);
    for (const h of ['Executive summary', 'PMF scorecard', 'Activation journey', 'Retention', 'Cohort retention', 'Growth', 'Top use cases', 'Credit exhaustion', 'Top blockers', 'Feature requests']) expect(md).toContain(h);
    expect(md).toContain('| Active users | 67 | 54 | +24.1% |');
    expect(md).toContain('| Day-7 retention (> 40%) | 43.3% | > 40% | Strong signal |');
    expect(md).toContain(`**PMF verdict: ${data.pmfOverall.word}**`);
    expect(md).toContain('| 2026-11-02 | 25 | 100% | 48% | 32%* |');
    expect(md).toContain('| Created Content | 23 | 51.1% | 23% |');
    expect(md).toContain('| 1 | Marketing content | 306 | 40 | 34% |');
    expect(md).toContain('**5** of 100 users (5%) used up their free credits.');
    expect(md).toContain('1. can you add vertical 9:16 export (14 mentions, 9 users)');
  });

  it('HTML escapes user text, embeds no remote resource, and draws four charts', () => {
    const evil = '<script>alert(1)</script>';
    const html = renderReportHtml({
      ...data,
      company: { name: 'A&B <Labs>', logoDataUrl: 'https://evil.example/logo.png' },
      // A use case, a question (feature request), a tool name in a blocker, the narrative and the workspace: all user text.
      useCases: [{ ...data.useCases[0], useCase: `ads_${evil}` }, ...data.useCases.slice(1)],
      featureRequests: [{ text: `can you ${evil}?`, count: 3, users: 2 }],
      blockers: [{ text: `tool ${evil}" onmouseover="x`, count: 2, users: 1 }, ...data.blockers],
      narrative: { text: `Growth ${evil}`, model: `m${evil}` },
      workspace: `ws${evil}`,
    });
    expect(html).toContain('video_gen timeout &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('can you &lt;script&gt;alert(1)&lt;/script&gt;?');
    expect(html).toContain('tool &lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x');
    expect(html).toContain('Growth &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('from the ws&lt;script&gt;alert(1)&lt;/script&gt; workspace');
    // The chart labels carry the use case as JSON inside a <script>: "<" is escaped there, so it cannot close it.
    expect(html).toContain('\\u003cscript>alert(1)\\u003c/script>');
    expect(html).not.toContain('<script>alert(1)');
    expect(html.match(/<script/g)).toHaveLength(3); // the chart data, Chart.js and the chart script; nothing else
    expect(html).toContain('A&amp;B &lt;Labs&gt;');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html.match(/<canvas id="chart-/g)).toHaveLength(4);
    expect(html).toContain(pct(data.retention.day7));
  });
});

describe('atomic write', () => {
  it('a failed render leaves no file and keeps the previous one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-report-'));
    const out = path.join(dir, 'report.pdf');
    await expect(writeFileAtomic(out, async () => { throw new Error('chromium crashed'); })).rejects.toThrow('chromium crashed');
    expect(fs.readdirSync(dir)).toEqual([]);
    fs.writeFileSync(out, 'old');
    const ac = new AbortController();
    await expect(writeFileAtomic(out, async () => { ac.abort(); return Buffer.from('new'); }, ac.signal)).rejects.toThrow('cancelled');
    expect(fs.readdirSync(dir)).toEqual(['report.pdf']);
    expect(fs.readFileSync(out, 'utf8')).toBe('old');
    await writeFileAtomic(out, Buffer.from('new'));
    expect(fs.readFileSync(out, 'utf8')).toBe('new');
    fs.rmSync(dir, { recursive: true });
  });
});

describe('Electron printer hook', () => {
  it('prints in a hidden sandboxed window once the charts are drawn, then destroys it', async () => {
    const calls: string[] = [];
    let polls = 0;
    let windowOptions: Record<string, unknown> = {};
    let printOptions: Record<string, unknown> = {};
    const printer = electronPdfPrinter((opts) => {
      windowOptions = opts;
      return {
        loadURL: async (url: string) => void calls.push(url.startsWith('data:text/html;charset=utf-8;base64,') ? 'load data url' : 'load other'),
        webContents: {
          // The page reports ready on the third poll, as a page drawing its charts would.
          executeJavaScript: async () => ++polls >= 3,
          printToPDF: async (o: Record<string, unknown>) => {
            printOptions = o;
            calls.push('print');
            return Buffer.from('%PDF-1.7');
          },
          // The lock-down (navigation, network, permissions) is pinned in tests/unit/electron.test.ts.
          on: () => {},
          setWindowOpenHandler: () => {},
          session: { webRequest: { onBeforeRequest: () => {} }, setPermissionRequestHandler: () => {}, setPermissionCheckHandler: () => {} },
        },
        destroy: () => void calls.push('destroy'),
      };
    });
    const pdf = await printer(renderReportHtml(data), { footerLeft: 'Latent Labs · Investor update' });
    expect(pdf.toString()).toBe('%PDF-1.7');
    expect(calls).toEqual(['load data url', 'print', 'destroy']);
    expect(polls).toBe(3);
    expect(windowOptions).toMatchObject({ show: false, webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false } });
    expect(printOptions).toMatchObject({ pageSize: 'A4', printBackground: true, displayHeaderFooter: true });
    expect(String(printOptions.footerTemplate)).toContain('Latent Labs');
  });
});
