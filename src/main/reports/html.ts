import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pmfVerdictTone, pmfVerdictWord } from '../../shared/pmf.js';
import {
  formatChange,
  formatValue,
  humanizeKey,
  type PmfRow,
  type RankedText,
  type ReportData,
} from '../../shared/report.js';
import { int, pct } from '../../shared/format.js';

/**
 * The one HTML template behind the HTML export, the PDF (headless Chromium or Electron printToPDF) and the workbench
 * preview. Self-contained: Chart.js is inlined and the charts draw from data embedded in the page, so it renders offline
 * with every network request blocked. When the charts are drawn the page sets <html data-charts-ready="1">.
 */

let chartJsSource: string | null = null;
function chartJs(): string {
  if (chartJsSource == null) {
    const require = createRequire(import.meta.url);
    const main = require.resolve('chart.js'); // dist/chart.cjs; the UMD build sits next to it
    chartJsSource = readFileSync(path.join(path.dirname(main), 'chart.umd.min.js'), 'utf8');
  }
  return chartJsSource;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON inside <script>: "<" escaped so user text (blocker labels) can never close the script element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const SAFE_LOGO = /^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$/;

export function formatDateLong(iso: string): string {
  return new Date(`${iso.slice(0, 10)}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

function changeBadge(value: number | null, previous: number | null, unit: Parameters<typeof formatChange>[2], higherIsBetter = true): string {
  const text = formatChange(value, previous, unit);
  if (text == null || text === 'new') return '<span class="chg flat">no data for the previous period</span>';
  const diff = (value ?? 0) - (previous ?? 0);
  const cls = diff === 0 ? 'flat' : diff > 0 === higherIsBetter ? 'up' : 'down';
  return `<span class="chg ${cls}">${escapeHtml(text)} vs previous</span>`;
}

function verdictPill(p: PmfRow): string {
  return `<span class="pill ${pmfVerdictTone(p.verdict)}">${escapeHtml(pmfVerdictWord(p.verdict))}</span>`;
}

function rankedTable(rows: RankedText[], header: string, countHeader: string, empty: string): string {
  if (!rows.length) return `<p class="empty">${escapeHtml(empty)}</p>`;
  return `<table class="data"><thead><tr><th class="rank">#</th><th>${escapeHtml(header)}</th><th class="num">${escapeHtml(countHeader)}</th><th class="num">Users</th></tr></thead><tbody>${rows
    .slice(0, 10)
    .map((r, i) => `<tr><td class="rank">${i + 1}</td><td>${escapeHtml(r.text)}</td><td class="num">${int(r.count)}</td><td class="num">${int(r.users)}</td></tr>`)
    .join('')}</tbody></table>`;
}

function heatColor(rate: number | null): string {
  if (rate == null) return 'transparent';
  // White → indigo; alpha grows with the rate so 0% stays readable.
  const a = Math.min(1, Math.max(0.04, rate));
  return `rgba(67, 56, 202, ${a.toFixed(3)})`;
}

function cohortHeatmap(d: ReportData): string {
  const cohorts = d.retention.cohorts;
  if (!cohorts.length) return '<p class="empty">No cohorts in this period.</p>';
  const width = Math.max(...cohorts.map((c) => c.cells.length));
  const unit = 'Week';
  const head = Array.from({ length: width }, (_, i) => `<th class="num">${unit} ${i}</th>`).join('');
  const body = cohorts
    .map((c) => {
      const cells = Array.from({ length: width }, (_, i) => {
        const r = c.cells[i] ?? null;
        const dark = r != null && r > 0.45;
        // An open week is shaded like the screen's: its rate so far, hatched.
        const open = r != null && c.open[i] === true;
        return `<td class="heat${dark ? ' dark' : ''}${open ? ' open' : ''}" style="background-color:${heatColor(r)}">${r == null ? '' : pct(r)}</td>`;
      }).join('');
      return `<tr><td class="cohort">${escapeHtml(c.cohort)}</td><td class="num">${int(c.size)}</td>${cells}</tr>`;
    })
    .join('');
  return `<table class="data heatmap"><thead><tr><th>Cohort</th><th class="num">Users</th>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Investor documents do not carry customers' addresses: "mia.smith32@example.com" → "m***@example.com". */
export function maskedUser(u: { email: string | null; userId: string }): string {
  if (!u.email) return u.userId;
  const at = u.email.indexOf('@');
  return at > 0 ? `${u.email[0]}***${u.email.slice(at)}` : '***';
}

/** One line under the key numbers: the overall PMF verdict, as Overview states it, and the tally behind it. */
export function pmfTally(d: ReportData): string {
  return `PMF verdict: ${d.pmfOverall.word} (${d.pmfOverall.summary}).`;
}

/** Said once under the key numbers when the previous period has no events (instead of on every number). */
export function noPreviousNote(d: ReportData): string {
  return `No data for the previous period (${formatDateLong(d.previousPeriod.since)} – ${formatDateLong(d.previousPeriod.until)}), so no changes are shown.`;
}

export interface RenderOptions {
  /** Inline Chart.js and draw the charts (default). Off for the workbench's sandboxed preview. */
  charts?: boolean;
}

export function renderReportHtml(d: ReportData, opts: RenderOptions = {}): string {
  const charts = opts.charts !== false;
  const periodText = `${formatDateLong(d.period.since)} – ${formatDateLong(d.period.until)}`;
  const prevText = `${formatDateLong(d.previousPeriod.since)} – ${formatDateLong(d.previousPeriod.until)}`;
  const logo = d.company.logoDataUrl && SAFE_LOGO.test(d.company.logoDataUrl) ? `<img class="logo" src="${d.company.logoDataUrl}" alt="">` : '';
  const lowerIsBetter = new Set(['error_rate', 'single_session_share']);

  const kpiCards = d.kpis
    .map(
      (k) =>
        `<div class="kpi"><div class="kpi-label">${escapeHtml(k.label)}</div><div class="kpi-value">${escapeHtml(formatValue(k.value, k.unit))}</div>${
          d.previousHasData ? `${changeBadge(k.value, k.previous, k.unit, !lowerIsBetter.has(k.key))}<div class="kpi-prev">previous: ${escapeHtml(formatValue(k.previous, k.unit))}</div>` : ''
        }</div>`,
    )
    .join('');

  const pmfRows = d.pmf
    .map(
      (p) =>
        `<tr><td>${escapeHtml(p.label)}<div class="sub">${escapeHtml({ strong: 'Strong-PMF test', weak: 'Weak-PMF test', pivot: 'Pivot test' }[p.kind])}${p.detail ? ' · ' + escapeHtml(p.detail) : ''}</div></td><td class="num">${escapeHtml(formatValue(p.value, p.unit))}</td><td class="num">${escapeHtml(p.threshold)}</td><td>${verdictPill(p)}</td></tr>`,
    )
    .join('');

  const journeyRows = d.journey
    .map((s, i) => `<tr><td>${escapeHtml(s.step)}</td><td class="num">${int(s.users)}</td><td class="num">${i === 0 ? '' : pct(s.fromPrevious)}</td><td class="num">${pct(s.ofFirst)}</td></tr>`)
    .join('');

  const curvePoints = d.retention.curve.slice(0, 9);
  const curveRow = curvePoints.length
    ? `<table class="data compact"><thead><tr><th></th>${curvePoints.map((p) => `<th class="num">Week ${p.week}</th>`).join('')}</tr></thead><tbody><tr><td>Retained</td>${curvePoints
        .map((p) => `<td class="num">${pct(p.rate)}</td>`)
        .join('')}</tr><tr><td class="sub">of users</td>${curvePoints.map((p) => `<td class="num sub">${int(p.eligible)}</td>`).join('')}</tr></tbody></table>`
    : '';

  const useCaseRows = d.useCases
    .slice(0, 8)
    .map((u, i) => `<tr><td class="rank">${i + 1}</td><td>${escapeHtml(humanizeKey(u.useCase))}</td><td class="num">${int(u.conversations)}</td><td class="num">${pct(u.share)}</td></tr>`)
    .join('');

  const ce = d.creditExhaustion;
  const exhaustedRows = ce.users
    .slice(0, 12)
    .map(
      (u) =>
        `<tr><td>${escapeHtml(maskedUser(u))}</td><td class="num">${int(u.creditsUsed)}</td><td class="num">${int(u.exhaustionCount)}</td><td>${u.lastActiveAt ? escapeHtml(formatDateLong(u.lastActiveAt)) : '–'}</td></tr>`,
    )
    .join('');

  const lastGrowth = d.growth.at(-1);
  const firstGrowth = d.growth[0];

  const chartData = {
    journey: { labels: d.journey.map((s) => s.step), values: d.journey.map((s) => s.users) },
    curve: { labels: d.retention.curve.map((p) => `Week ${p.week}`), values: d.retention.curve.map((p) => (p.rate == null ? null : Math.round(p.rate * 1000) / 10)) },
    growth: { labels: d.growth.map((g) => g.date.slice(5)), dau: d.growth.map((g) => g.dau), wau: d.growth.map((g) => g.wau) },
    useCases: { labels: d.useCases.slice(0, 8).map((u) => humanizeKey(u.useCase)), values: d.useCases.slice(0, 8).map((u) => Math.round(u.share * 1000) / 10) },
  };

  return `<!doctype html>
<html lang="en"${charts ? '' : ' data-charts-ready="1"'}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(d.title)} · ${escapeHtml(d.company.name)} · ${escapeHtml(periodText)}</title>
<style>
  @page { size: A4; margin: 16mm 14mm 18mm 14mm; }
  :root { --ink:#111827; --muted:#6b7280; --line:#e5e7eb; --accent:#4338ca; --good:#047857; --bad:#b91c1c; }
  * { box-sizing: border-box; }
  html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 0 auto; max-width: 182mm; font-size: 10.5pt; line-height: 1.45; }
  h1 { font-size: 30pt; margin: 0 0 4mm; letter-spacing: -0.5px; }
  h2 { font-size: 15pt; margin: 0 0 3mm; padding-bottom: 1.5mm; border-bottom: 2px solid var(--accent); }
  h3 { font-size: 11pt; margin: 5mm 0 2mm; color: var(--muted); text-transform: uppercase; letter-spacing: .5px; }
  /* Sections flow across pages (long tables split between rows); headings stay with what follows, charts stay whole. */
  section { margin: 0 0 9mm; }
  h2, h3, .lead { break-after: avoid; }
  .chart, .kpis, .two, .narrative { break-inside: avoid; }
  .page-break { break-before: page; }
  .cover { height: 250mm; display: flex; flex-direction: column; justify-content: center; }
  .cover .logo { max-height: 28mm; max-width: 80mm; margin-bottom: 10mm; align-self: flex-start; }
  .cover .company { font-size: 14pt; color: var(--accent); font-weight: 700; text-transform: uppercase; letter-spacing: 2px; margin-bottom: 3mm; }
  .cover .period { font-size: 16pt; margin-bottom: 2mm; }
  .cover .meta { color: var(--muted); margin-top: 12mm; font-size: 9.5pt; }
  .kpis { display: grid; grid-template-columns: repeat(3, 1fr); gap: 3mm; }
  .kpi { border: 1px solid var(--line); border-radius: 2mm; padding: 3mm 3.5mm; break-inside: avoid; }
  .kpi-label { color: var(--muted); font-size: 8.5pt; text-transform: uppercase; letter-spacing: .4px; }
  .kpi-value { font-size: 20pt; font-weight: 700; margin: 1mm 0; }
  .kpi-prev { color: var(--muted); font-size: 8.5pt; }
  .chg { font-size: 9pt; font-weight: 600; }
  .chg.up { color: var(--good); } .chg.down { color: var(--bad); } .chg.flat { color: var(--muted); font-weight: 400; }
  .narrative { background: #f5f5ff; border-left: 3px solid var(--accent); padding: 3mm 4mm; margin: 0 0 5mm; }
  .narrative .by { color: var(--muted); font-size: 8pt; margin-top: 1.5mm; }
  table.data { width: 100%; border-collapse: collapse; margin: 2mm 0; font-size: 9.5pt; }
  table.data th { text-align: left; color: var(--muted); font-weight: 600; font-size: 8.5pt; border-bottom: 1px solid var(--ink); padding: 1.2mm 1.5mm; }
  table.data td { border-bottom: 1px solid var(--line); padding: 1.2mm 1.5mm; vertical-align: top; }
  table.data tr { break-inside: avoid; }
  .num { text-align: right !important; font-variant-numeric: tabular-nums; white-space: nowrap; }
  .rank { width: 7mm; color: var(--muted); }
  .sub { color: var(--muted); font-size: 8pt; }
  .pill { display: inline-block; border-radius: 10px; padding: .3mm 2.5mm; font-size: 8.5pt; font-weight: 600; white-space: nowrap; }
  .pill.good { background: #d1fae5; color: var(--good); } .pill.bad { background: #fee2e2; color: var(--bad); }
  .pill.warn { background: #fef3c7; color: #92400e; }
  .pill.neutral { background: #f3f4f6; color: #374151; } .pill.muted { background: #f9fafb; color: var(--muted); font-weight: 400; }
  .verdict { font-size: 13pt; margin: 0 0 4mm; padding: 2.5mm 4mm; border-radius: 2mm; background: #f3f4f6; }
  .verdict.fit { background: #d1fae5; } .verdict.interest { background: #fef3c7; } .verdict.pivot { background: #fee2e2; }
  .heatmap td.heat { text-align: center; font-size: 8pt; min-width: 11mm; }
  .heatmap td.heat.dark { color: #fff; }
  .heatmap td.heat.open { background-image: repeating-linear-gradient(45deg, transparent 0 1.5mm, rgba(255, 255, 255, 0.55) 1.5mm 3mm); font-style: italic; }
  .heatmap td.cohort { white-space: nowrap; }
  .chart { position: relative; width: 100%; height: 62mm; margin: 2mm 0; }
  .chart canvas { width: 100% !important; height: 100% !important; }
  .two { display: grid; grid-template-columns: 1fr 1fr; gap: 6mm; }
  .empty { color: var(--muted); font-style: italic; }
  .lead { font-size: 11pt; margin: 0 0 3mm; }
  .note { color: var(--muted); font-size: 8.5pt; }
  /* On screen the content box keeps the print width (182mm) so charts drawn on screen print undistorted. */
  @media screen { body { max-width: 194mm; padding: 10mm 6mm; } .cover { height: auto; min-height: 70vh; } }
</style>
</head>
<body>
<section class="cover">
  ${logo}
  <div class="company">${escapeHtml(d.company.name)}</div>
  <h1>${escapeHtml(d.title)}</h1>
  <div class="period">${escapeHtml(periodText)}</div>
  <div class="meta">Compared with the previous ${d.period.days} days (${escapeHtml(prevText)}).<br>Generated ${escapeHtml(formatDateLong(d.generatedAt))} from the ${escapeHtml(d.workspace)} workspace.</div>
</section>

<section class="page-break" id="summary">
  <h2>Executive summary</h2>
  ${d.narrative ? `<div class="narrative"><div>${escapeHtml(d.narrative.text)}</div><div class="by">Written by ${escapeHtml(d.narrative.model)} from the numbers in this report; every number it states was checked against them.</div></div>` : ''}
  <p class="verdict ${escapeHtml(d.pmfOverall.verdict)}" id="pmf-overall">PMF verdict: <strong>${escapeHtml(d.pmfOverall.word)}</strong><span class="sub"> · ${escapeHtml(d.pmfOverall.summary)}</span></p>
  <div class="kpis">${kpiCards}</div>
  ${d.previousHasData ? '' : `<p class="note">${escapeHtml(noPreviousNote(d))}</p>`}
</section>

<section class="page-break" id="pmf">
  <h2>PMF scorecard</h2>
  <p class="lead">${escapeHtml(pmfTally(d))}</p>
  <table class="data"><thead><tr><th>Signal</th><th class="num">Value</th><th class="num">Threshold</th><th>Verdict</th></tr></thead><tbody>${pmfRows}</tbody></table>
</section>

<section id="journey">
  <h2>Activation journey</h2>
  <p class="lead">Users who signed up in the period and how far they got.</p>
  ${charts ? '<div class="chart"><canvas id="chart-journey"></canvas></div>' : ''}
  <table class="data"><thead><tr><th>Step</th><th class="num">Users</th><th class="num">From previous step</th><th class="num">Of signed up</th></tr></thead><tbody>${journeyRows}</tbody></table>
</section>

<section id="retention">
  <h2>Retention</h2>
  <p class="lead">Day-1 retention ${pct(d.retention.day1)}, day-7 retention ${pct(d.retention.day7)}. The curve pools every signup cohort: the share of users active in each week after their signup.</p>
  ${charts ? '<div class="chart"><canvas id="chart-curve"></canvas></div>' : ''}
  ${curveRow}
</section>

<section id="cohorts">
  <h3>Cohort retention (weekly signup cohorts)</h3>
  ${cohortHeatmap(d)}
  <p class="note">Each row is the users who signed up that week (Monday, UTC); a cell is the share of them active in that week after signup. Hatched: the week has not finished yet (the share so far). Blank: the week has not started.</p>
</section>

<section id="growth">
  <h2>Growth: daily and weekly active users</h2>
  ${firstGrowth && lastGrowth ? `<p class="lead">DAU ${int(firstGrowth.dau)} → ${int(lastGrowth.dau)}, WAU ${int(firstGrowth.wau)} → ${int(lastGrowth.wau)} from ${escapeHtml(formatDateLong(firstGrowth.date))} to ${escapeHtml(formatDateLong(lastGrowth.date))}.</p>` : '<p class="empty">No activity in this period.</p>'}
  ${charts ? '<div class="chart"><canvas id="chart-growth"></canvas></div>' : ''}
</section>

<section id="use-cases">
  <h2>Top use cases</h2>
  ${
    d.useCases.length
      ? `<div class="two"><div>${charts ? '<div class="chart"><canvas id="chart-usecases"></canvas></div>' : ''}</div><div><table class="data"><thead><tr><th class="rank">#</th><th>Use case</th><th class="num">Conversations</th><th class="num">Share</th></tr></thead><tbody>${useCaseRows}</tbody></table></div></div>`
      : '<p class="empty">No use cases classified yet.</p>'
  }
</section>

<section id="credits">
  <h2>Credit exhaustion</h2>
  <p class="lead"><strong>${int(ce.exhaustedUsers)}</strong> of ${int(ce.activeUsers)} users (${pct(ce.rate)}) used up their free credits: they want more than the free tier gives.</p>
  ${exhaustedRows ? `<table class="data"><thead><tr><th>User (e-mail masked; full list in the CSV export)</th><th class="num">Credits used</th><th class="num">Times hit limit</th><th>Last active</th></tr></thead><tbody>${exhaustedRows}</tbody></table>${ce.users.length > 12 ? `<p class="note">Top 12 of ${int(ce.users.length)}; the CSV export has all.</p>` : ''}` : ''}
</section>

<section id="blockers">
  <h2>Top blockers</h2>
  ${rankedTable(d.blockers, 'Blocker', 'Conversations', 'No blockers recorded in this period.')}
</section>

<section id="requests">
  <h2>Feature requests</h2>
  ${rankedTable(d.featureRequests, 'Request', 'Mentions', 'No feature requests recorded in this period.')}
  <p class="note">Source: ${escapeHtml(d.insightsSource)}.</p>
</section>
${
  charts
    ? `<script type="application/json" id="report-charts">${scriptJson(chartData)}</script>
<script>${chartJs()}</script>
<script>${CHART_INIT}</script>`
    : ''
}
</body>
</html>`;
}

/** Runs in the page: draws the four charts without animation, then flags readiness for the PDF printer. */
const CHART_INIT = `
(function () {
  var data = JSON.parse(document.getElementById('report-charts').textContent);
  var accent = '#4338ca', soft = 'rgba(67,56,202,0.15)', grid = '#eef0f3';
  Chart.defaults.font.family = '"DejaVu Sans", Arial, sans-serif';
  Chart.defaults.font.size = 11;
  Chart.defaults.color = '#374151';
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.devicePixelRatio = 2;
  function make(id, cfg) { var el = document.getElementById(id); if (el) new Chart(el, cfg); }
  var scales = function (pct) { return { x: { grid: { display: false } }, y: { beginAtZero: true, grid: { color: grid }, ticks: pct ? { callback: function (v) { return v + '%'; } } : { precision: 0 } } }; };
  make('chart-journey', { type: 'bar', data: { labels: data.journey.labels, datasets: [{ label: 'Users', data: data.journey.values, backgroundColor: accent, borderRadius: 3 }] }, options: { plugins: { legend: { display: false } }, scales: scales(false) } });
  make('chart-curve', { type: 'line', data: { labels: data.curve.labels, datasets: [{ label: 'Retained', data: data.curve.values, borderColor: accent, backgroundColor: soft, fill: true, tension: 0.25, pointRadius: 2, spanGaps: true }] }, options: { plugins: { legend: { display: false } }, scales: Object.assign(scales(true), { y: { beginAtZero: true, max: 100, grid: { color: grid }, ticks: { callback: function (v) { return v + '%'; } } } }) } });
  make('chart-growth', { type: 'line', data: { labels: data.growth.labels, datasets: [{ label: 'DAU', data: data.growth.dau, borderColor: accent, backgroundColor: accent, pointRadius: 0, tension: 0.2 }, { label: 'WAU', data: data.growth.wau, borderColor: '#0d9488', backgroundColor: '#0d9488', pointRadius: 0, tension: 0.2 }] }, options: { plugins: { legend: { position: 'top', align: 'end' } }, scales: Object.assign(scales(false), { x: { grid: { display: false }, ticks: { maxTicksLimit: 10 } } }) } });
  make('chart-usecases', { type: 'bar', data: { labels: data.useCases.labels, datasets: [{ label: 'Share of conversations', data: data.useCases.values, backgroundColor: accent, borderRadius: 3 }] }, options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, grid: { color: grid }, ticks: { callback: function (v) { return v + '%'; } } }, y: { grid: { display: false } } } } });
  document.documentElement.dataset.chartsReady = '1';
})();
`;
