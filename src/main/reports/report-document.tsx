import type { ReactNode } from 'react';
import { int, NONE, pct } from '../../shared/format.js';
import { pmfVerdictTone, pmfVerdictWord } from '../../shared/pmf.js';
import { formatChange, formatValue, humanizeKey, type PmfRow, type RankedText, type ReportData, type Unit } from '../../shared/report.js';

/**
 * The investor report as React components, rendered to static markup on the server (src/main/reports/html.ts): React
 * escapes every text and attribute, so no piece of user data (a tool name, a use case, a question, the company name)
 * can become markup. Raw HTML is written in one place only, <RawScript>/<style> in ReportDocument, for the inlined
 * CSS and scripts that the server itself reads from files.
 */

const SAFE_LOGO = /^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$/;
const LOWER_IS_BETTER = new Set(['error_rate', 'single_session_share']);
const KIND_WORD = { strong: 'Strong-PMF test', weak: 'Weak-PMF test', pivot: 'Pivot test' } as const;

export function formatDateLong(iso: string): string {
  return new Date(`${iso.slice(0, 10)}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
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

/** What the page's chart script (assets/report-charts.js) draws from. */
export function chartData(d: ReportData) {
  return {
    journey: { labels: d.journey.map((s) => s.step), values: d.journey.map((s) => s.users) },
    curve: { labels: d.retention.curve.map((p) => `Week ${p.week}`), values: d.retention.curve.map((p) => (p.rate == null ? null : Math.round(p.rate * 1000) / 10)) },
    growth: { labels: d.growth.map((g) => g.date.slice(5)), dau: d.growth.map((g) => g.dau), wau: d.growth.map((g) => g.wau) },
    useCases: { labels: d.useCases.slice(0, 8).map((u) => humanizeKey(u.useCase)), values: d.useCases.slice(0, 8).map((u) => Math.round(u.share * 1000) / 10) },
  };
}

function ChangeBadge({ value, previous, unit, higherIsBetter }: { value: number | null; previous: number | null; unit: Unit; higherIsBetter: boolean }) {
  const text = formatChange(value, previous, unit);
  if (text == null || text === 'new') return <span className="chg flat">no data for the previous period</span>;
  const diff = (value ?? 0) - (previous ?? 0);
  const cls = diff === 0 ? 'flat' : diff > 0 === higherIsBetter ? 'up' : 'down';
  return <span className={`chg ${cls}`}>{text} vs previous</span>;
}

function VerdictPill({ p }: { p: PmfRow }) {
  return <span className={`pill ${pmfVerdictTone(p.verdict)}`}>{pmfVerdictWord(p.verdict)}</span>;
}

function Chart({ id, show }: { id: string; show: boolean }) {
  return show ? (
    <div className="chart">
      <canvas id={`chart-${id}`} />
    </div>
  ) : null;
}

function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

function RankedTable({ rows, header, countHeader, empty }: { rows: RankedText[]; header: string; countHeader: string; empty: string }) {
  if (!rows.length) return <Empty>{empty}</Empty>;
  return (
    <table className="data">
      <thead>
        <tr>
          <th className="rank">#</th>
          <th>{header}</th>
          <th className="num">{countHeader}</th>
          <th className="num">Users</th>
        </tr>
      </thead>
      <tbody>
        {rows.slice(0, 10).map((r, i) => (
          <tr key={i}>
            <td className="rank">{i + 1}</td>
            <td>{r.text}</td>
            <td className="num">{int(r.count)}</td>
            <td className="num">{int(r.users)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** White → indigo; alpha grows with the rate so 0% stays readable. */
function heatColor(rate: number | null): string {
  if (rate == null) return 'transparent';
  const a = Math.min(1, Math.max(0.04, rate));
  return `rgba(67, 56, 202, ${a.toFixed(3)})`;
}

function CohortHeatmap({ d }: { d: ReportData }) {
  const cohorts = d.retention.cohorts;
  if (!cohorts.length) return <Empty>No cohorts in this period.</Empty>;
  const width = Math.max(...cohorts.map((c) => c.cells.length));
  const weeks = Array.from({ length: width }, (_, i) => i);
  return (
    <table className="data heatmap">
      <thead>
        <tr>
          <th>Cohort</th>
          <th className="num">Users</th>
          {weeks.map((i) => (
            <th key={i} className="num">
              Week {i}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {cohorts.map((c) => (
          <tr key={c.cohort}>
            <td className="cohort">{c.cohort}</td>
            <td className="num">{int(c.size)}</td>
            {weeks.map((i) => {
              const r = c.cells[i] ?? null;
              const dark = r != null && r > 0.45;
              // An open week is shaded like the screen's: its rate so far, hatched.
              const open = r != null && c.open[i] === true;
              return (
                <td key={i} className={`heat${dark ? ' dark' : ''}${open ? ' open' : ''}`} style={{ backgroundColor: heatColor(r) }}>
                  {r == null ? '' : pct(r)}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Cover({ d }: { d: ReportData }) {
  const logo = d.company.logoDataUrl && SAFE_LOGO.test(d.company.logoDataUrl) ? d.company.logoDataUrl : null;
  return (
    <section className="cover">
      {logo && <img className="logo" src={logo} alt="" />}
      <div className="company">{d.company.name}</div>
      <h1>{d.title}</h1>
      <div className="period">{periodText(d.period)}</div>
      <div className="meta">
        Compared with the previous {d.period.days} days ({periodText(d.previousPeriod)}).
        <br />
        Generated {formatDateLong(d.generatedAt)} from the {d.workspace} workspace.
      </div>
    </section>
  );
}

function Summary({ d }: { d: ReportData }) {
  return (
    <section className="page-break" id="summary">
      <h2>Executive summary</h2>
      {d.narrative && (
        <div className="narrative">
          <div>{d.narrative.text}</div>
          <div className="by">Written by {d.narrative.model} from the numbers in this report; every number it states was checked against them.</div>
        </div>
      )}
      <p className={`verdict ${d.pmfOverall.verdict}`} id="pmf-overall">
        PMF verdict: <strong>{d.pmfOverall.word}</strong>
        <span className="sub"> · {d.pmfOverall.summary}</span>
      </p>
      <div className="kpis">
        {d.kpis.map((k) => (
          <div className="kpi" key={k.key}>
            <div className="kpi-label">{k.label}</div>
            <div className="kpi-value">{formatValue(k.value, k.unit)}</div>
            {d.previousHasData && (
              <>
                <ChangeBadge value={k.value} previous={k.previous} unit={k.unit} higherIsBetter={!LOWER_IS_BETTER.has(k.key)} />
                <div className="kpi-prev">previous: {formatValue(k.previous, k.unit)}</div>
              </>
            )}
          </div>
        ))}
      </div>
      {!d.previousHasData && <p className="note">{noPreviousNote(d)}</p>}
    </section>
  );
}

function Scorecard({ d }: { d: ReportData }) {
  return (
    <section className="page-break" id="pmf">
      <h2>PMF scorecard</h2>
      <p className="lead">{pmfTally(d)}</p>
      <table className="data">
        <thead>
          <tr>
            <th>Signal</th>
            <th className="num">Value</th>
            <th className="num">Threshold</th>
            <th>Verdict</th>
          </tr>
        </thead>
        <tbody>
          {d.pmf.map((p) => (
            <tr key={p.key}>
              <td>
                {p.label}
                <div className="sub">
                  {KIND_WORD[p.kind]}
                  {p.detail ? ` · ${p.detail}` : ''}
                </div>
              </td>
              <td className="num">{formatValue(p.value, p.unit)}</td>
              <td className="num">{p.threshold}</td>
              <td>
                <VerdictPill p={p} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Journey({ d, charts }: { d: ReportData; charts: boolean }) {
  return (
    <section id="journey">
      <h2>Activation journey</h2>
      <p className="lead">Users who signed up in the period and how far they got.</p>
      <Chart id="journey" show={charts} />
      <table className="data">
        <thead>
          <tr>
            <th>Step</th>
            <th className="num">Users</th>
            <th className="num">From previous step</th>
            <th className="num">Of signed up</th>
          </tr>
        </thead>
        <tbody>
          {d.journey.map((s, i) => (
            <tr key={i}>
              <td>{s.step}</td>
              <td className="num">{int(s.users)}</td>
              <td className="num">{i === 0 ? '' : pct(s.fromPrevious)}</td>
              <td className="num">{pct(s.ofFirst)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Retention({ d, charts }: { d: ReportData; charts: boolean }) {
  const points = d.retention.curve.slice(0, 9);
  return (
    <>
      <section id="retention">
        <h2>Retention</h2>
        <p className="lead">
          Day-1 retention {pct(d.retention.day1)}, day-7 retention {pct(d.retention.day7)}. The curve pools every signup cohort: the share of users
          active in each week after their signup.
        </p>
        <Chart id="curve" show={charts} />
        {points.length > 0 && (
          <table className="data compact">
            <thead>
              <tr>
                <th />
                {points.map((p) => (
                  <th key={p.week} className="num">
                    Week {p.week}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>Retained</td>
                {points.map((p) => (
                  <td key={p.week} className="num">
                    {pct(p.rate)}
                  </td>
                ))}
              </tr>
              <tr>
                <td className="sub">of users</td>
                {points.map((p) => (
                  <td key={p.week} className="num sub">
                    {int(p.eligible)}
                  </td>
                ))}
              </tr>
            </tbody>
          </table>
        )}
      </section>
      <section id="cohorts">
        <h3>Cohort retention (weekly signup cohorts)</h3>
        <CohortHeatmap d={d} />
        <p className="note">
          Each row is the users who signed up that week (Monday, UTC); a cell is the share of them active in that week after signup. Hatched: the week
          has not finished yet (the share so far). Blank: the week has not started.
        </p>
      </section>
    </>
  );
}

function Growth({ d, charts }: { d: ReportData; charts: boolean }) {
  const first = d.growth[0];
  const last = d.growth.at(-1);
  return (
    <section id="growth">
      <h2>Growth: daily and weekly active users</h2>
      {first && last ? (
        <p className="lead">
          DAU {int(first.dau)} → {int(last.dau)}, WAU {int(first.wau)} → {int(last.wau)} from {formatDateLong(first.date)} to {formatDateLong(last.date)}.
        </p>
      ) : (
        <Empty>No activity in this period.</Empty>
      )}
      <Chart id="growth" show={charts} />
    </section>
  );
}

function UseCases({ d, charts }: { d: ReportData; charts: boolean }) {
  return (
    <section id="use-cases">
      <h2>Top use cases</h2>
      {d.useCases.length ? (
        <div className="two">
          <div>
            <Chart id="usecases" show={charts} />
          </div>
          <div>
            <table className="data">
              <thead>
                <tr>
                  <th className="rank">#</th>
                  <th>Use case</th>
                  <th className="num">Conversations</th>
                  <th className="num">Share</th>
                </tr>
              </thead>
              <tbody>
                {d.useCases.slice(0, 8).map((u, i) => (
                  <tr key={i}>
                    <td className="rank">{i + 1}</td>
                    <td>{humanizeKey(u.useCase)}</td>
                    <td className="num">{int(u.conversations)}</td>
                    <td className="num">{pct(u.share)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ) : (
        <Empty>No use cases classified yet.</Empty>
      )}
    </section>
  );
}

function Credits({ d }: { d: ReportData }) {
  const ce = d.creditExhaustion;
  return (
    <section id="credits">
      <h2>Credit exhaustion</h2>
      <p className="lead">
        <strong>{int(ce.exhaustedUsers)}</strong> of {int(ce.activeUsers)} users ({pct(ce.rate)}) used up their free credits: they want more than the free
        tier gives.
      </p>
      {ce.users.length > 0 && (
        <>
          <table className="data">
            <thead>
              <tr>
                <th>User (e-mail masked; full list in the CSV export)</th>
                <th className="num">Credits used</th>
                <th className="num">Times hit limit</th>
                <th>Last active</th>
              </tr>
            </thead>
            <tbody>
              {ce.users.slice(0, 12).map((u) => (
                <tr key={u.userId}>
                  <td>{maskedUser(u)}</td>
                  <td className="num">{int(u.creditsUsed)}</td>
                  <td className="num">{int(u.exhaustionCount)}</td>
                  <td>{u.lastActiveAt ? formatDateLong(u.lastActiveAt) : NONE}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {ce.users.length > 12 && <p className="note">Top 12 of {int(ce.users.length)}; the CSV export has all.</p>}
        </>
      )}
    </section>
  );
}

function periodText(p: { since: string; until: string }): string {
  return `${formatDateLong(p.since)} – ${formatDateLong(p.until)}`;
}

/** A <script> whose text the server wrote (the chart library, the chart script, the chart data as escaped JSON). */
function RawScript({ id, type, source }: { id?: string; type?: string; source: string }) {
  return <script id={id} type={type} dangerouslySetInnerHTML={{ __html: source }} />;
}

export interface ReportAssets {
  css: string;
  /** Absent: no charts (the workbench's sandboxed preview). */
  scripts?: { chartJs: string; chartData: string; drawCharts: string };
}

export function ReportDocument({ d, assets }: { d: ReportData; assets: ReportAssets }) {
  const charts = assets.scripts !== undefined;
  return (
    <html lang="en" data-charts-ready={charts ? undefined : '1'}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${d.title} · ${d.company.name} · ${periodText(d.period)}`}</title>
        <style dangerouslySetInnerHTML={{ __html: assets.css }} />
      </head>
      <body>
        <Cover d={d} />
        <Summary d={d} />
        <Scorecard d={d} />
        <Journey d={d} charts={charts} />
        <Retention d={d} charts={charts} />
        <Growth d={d} charts={charts} />
        <UseCases d={d} charts={charts} />
        <Credits d={d} />
        <section id="blockers">
          <h2>Top blockers</h2>
          <RankedTable rows={d.blockers} header="Blocker" countHeader="Conversations" empty="No blockers recorded in this period." />
        </section>
        <section id="requests">
          <h2>Feature requests</h2>
          <RankedTable rows={d.featureRequests} header="Request" countHeader="Mentions" empty="No feature requests recorded in this period." />
          <p className="note">Source: {d.insightsSource}.</p>
        </section>
        {assets.scripts && (
          <>
            <RawScript type="application/json" id="report-charts" source={assets.scripts.chartData} />
            <RawScript source={assets.scripts.chartJs} />
            <RawScript source={assets.scripts.drawCharts} />
          </>
        )}
      </body>
    </html>
  );
}
