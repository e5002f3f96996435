import { LineChart } from '../components/charts.js';
import { Card, Info, PageHeader, ShareBar, Tile } from '../components/ui.js';
import { rangeText, WithDashboard } from '../components/WithDashboard.js';
import { day, int, label, minutes, pct, pct1, ratioText } from '../format.js';
import { hrefTo } from '../router.js';
import { METRIC_DEFINITIONS, PMF_SIGNAL_DEFINITIONS } from '../../../shared/metric-definitions.js';
import type { Dashboard, PmfSignal } from '../../../shared/metrics.js';
import { useState } from 'react';

const VERDICT: Record<PmfSignal['verdict'], { text: string; tone: string }> = {
  strong: { text: 'Strong signal', tone: 'good' },
  weak: { text: 'Weak signal', tone: 'warn' },
  pivot: { text: 'Pivot signal', tone: 'bad' },
  not_seen: { text: 'Not seen', tone: '' },
  not_enough_data: { text: 'Not enough data', tone: '' },
};
const GROUPS: Array<{ id: PmfSignal['group']; title: string; blurb: string }> = [
  { id: 'strong', title: 'Strong PMF signals', blurb: 'Present = users want more' },
  { id: 'weak', title: 'Weak PMF signals', blurb: 'Present = interest without habit' },
  { id: 'pivot', title: 'Pivot signals', blurb: 'Present = users want something else' },
];

function signalValue(s: PmfSignal): string {
  if (s.value === null) return '—';
  // One decimal: a value just under its threshold must not read as equal to it.
  return s.unit === 'rate' ? pct1(s.value) : int(s.value);
}

function Evidence({ s }: { s: PmfSignal }) {
  const [open, setOpen] = useState(false);
  if (s.evidence.total === 0) return null;
  const noun = s.evidence.kind === 'users' ? 'user' : 'conversation';
  return (
    <div className="evidence">
      <button className="link-btn" onClick={() => setOpen(!open)} aria-expanded={open}>
        {int(s.evidence.total)} {noun}
        {s.evidence.total === 1 ? '' : 's'} {open ? '▴' : '▾'}
      </button>
      {open && (
        <div className="evidence-list">
          {s.evidence.ids.slice(0, 12).map((id) =>
            s.evidence.kind === 'users' ? (
              <a key={id} href={hrefTo('users', id)} className="chip">
                {id}
              </a>
            ) : (
              <span key={id} className="chip mono" title="Conversation id">
                {id.slice(0, 8)}
              </span>
            ),
          )}
          {s.evidence.total > 12 && <span className="muted small">+{int(s.evidence.total - 12)} more</span>}
        </div>
      )}
    </div>
  );
}

function PmfVerdict({ d }: { d: Dashboard }) {
  const present = (g: PmfSignal['group']) => d.pmfSignals.filter((s) => s.group === g && s.verdict === g).length;
  const strong = present('strong');
  const weak = present('weak');
  const pivot = present('pivot');
  const tone = strong >= 2 && strong > weak ? 'good' : pivot >= 2 ? 'bad' : 'warn';
  const headline =
    tone === 'good' ? 'Signs of product-market fit' : tone === 'bad' ? 'Users are pulling toward something else' : 'Interest, not yet a habit';
  return (
    <div className={`verdict ${tone}`} data-testid="pmf-verdict">
      <div>
        <div className="verdict-title">{headline}</div>
        <div className="muted small">
          {strong} strong · {weak} weak · {pivot} pivot signals present, of {d.pmfSignals.length} checks
        </div>
      </div>
    </div>
  );
}

export default function OverviewPage() {
  return (
    <>
      <PageHeader title="Overview" subtitle="Do we have product-market fit, and why?" />
      <WithDashboard>
        {(d) => {
          const s = d.summary;
          const ts = d.timeseries.days;
          return (
            <>
              <div className="tiles" data-testid="summary-tiles">
                <Tile
                  testId="tile-dau"
                  label="Daily active users"
                  definition={METRIC_DEFINITIONS.dailyActiveUsers.rule}
                  value={`${ratioText(s.dailyActiveUsers)}`}
                  sub={`${pct(s.dailyActiveUsers.rate)} on ${day(s.dailyActiveUsers.day)} · avg ${int(s.averageDailyActiveUsers)}/day`}
                />
                <Tile
                  testId="tile-week1"
                  label="Week-1 retention"
                  definition={METRIC_DEFINITIONS.week1Retention.rule}
                  value={pct(s.week1Retention.rate)}
                  sub={`${ratioText(s.week1Retention)} users`}
                />
                <Tile
                  testId="tile-exhausted"
                  label="Ran out of credits"
                  definition={METRIC_DEFINITIONS.ranOut.rule}
                  value={`${int(s.ranOut.count)} users`}
                  sub={`${pct(s.ranOut.rate)} of ${int(s.ranOut.total)}`}
                  hot={s.ranOut.count > 0 ? 'Hot signal' : undefined}
                />
                <Tile
                  testId="tile-session"
                  label="Avg session length"
                  definition={METRIC_DEFINITIONS.averageSessionMinutes.rule}
                  value={minutes(s.averageSessionMinutes)}
                  sub={`${int(s.totals.conversations)} conversations`}
                />
                <Tile
                  testId="tile-users"
                  label="Users"
                  value={int(s.totals.users)}
                  sub={`${int(s.totals.newUsers)} new · ${int(s.totals.activeUsers)} active`}
                />
              </div>

              <div className="grid grid-main">
                <Card title="Active users and signups" subtitle={`Per UTC day · ${rangeText(d)}`}>
                  <LineChart
                    label="Daily active users and signups"
                    labels={ts.map((p) => day(p.day))}
                    series={[
                      { label: 'Active users', data: ts.map((p) => p.activeUsers), fill: true },
                      { label: 'Signups', data: ts.map((p) => p.signups), axis: 'y2' },
                    ]}
                  />
                </Card>
                <Card title="Top use cases" subtitle="Share of conversations" actions={<Info text={METRIC_DEFINITIONS.topUseCases.rule} />}>
                  <ol className="usecases" data-testid="top-use-cases">
                    {s.topUseCases.slice(0, 6).map((u) => (
                      <li key={u.useCase}>
                        <div className="row">
                          <span>{label(u.useCase)}</span>
                          <span className="spacer" />
                          <strong>{pct(u.share)}</strong>
                        </div>
                        <ShareBar value={u.share} />
                      </li>
                    ))}
                    {s.topUseCases.length === 0 && <li className="muted">No conversations in range</li>}
                  </ol>
                </Card>
              </div>

              <Card title="PMF signals" subtitle="Each check of the seed, measured on this data" actions={<PmfVerdict d={d} />}>
                <div className="grid grid-3 signals" data-testid="pmf-signals">
                  {GROUPS.map((g) => (
                    <div key={g.id} className="signal-group">
                      <div className="signal-group-head">
                        <h3>{g.title}</h3>
                        <span className="muted small">{g.blurb}</span>
                      </div>
                      {d.pmfSignals
                        .filter((x) => x.group === g.id)
                        .map((x) => {
                          const v = VERDICT[x.verdict];
                          const def = PMF_SIGNAL_DEFINITIONS.find((p) => p.id === x.id);
                          return (
                            <div key={x.id} className="signal" data-testid={`signal-${x.id}`}>
                              <div className="row">
                                <span className="signal-label" title={def?.rule}>
                                  {x.label}
                                </span>
                                <span className="spacer" />
                                <span className={`badge ${v.tone}`} data-testid={`signal-${x.id}-verdict`}>
                                  {v.text}
                                </span>
                              </div>
                              <div className="signal-value">
                                <strong data-testid={`signal-${x.id}-value`}>{signalValue(x)}</strong>
                                <span className="muted small">
                                  {' '}
                                  threshold {x.unit === 'rate' ? pct(x.threshold) : int(x.threshold)}
                                </span>
                              </div>
                              <div className="muted small">{x.detail}</div>
                              <Evidence s={x} />
                            </div>
                          );
                        })}
                    </div>
                  ))}
                </div>
              </Card>
            </>
          );
        }}
      </WithDashboard>
    </>
  );
}
