import { LineChart } from '../components/charts.js';
import { Card, Info, PageHeader, ShareBar, Tile } from '../components/ui.js';
import { rangeText, WithDashboard } from '../components/WithDashboard.js';
import { day, int, label, minutes, pct, ratioText, countOf } from '../../../shared/format.js';
import { hrefTo } from '../router.js';
import { METRIC_DEFINITIONS, PMF_SIGNAL_DEFINITIONS } from '../../../shared/metric-definitions.js';
import type { Dashboard, PmfSignal } from '../../../shared/metrics.js';
import { pmfBadge, pmfOverall, pmfVerdictTone, pmfVerdictWord } from '../../../shared/pmf.js';
import { useState } from 'react';

const GROUPS: Array<{ id: PmfSignal['group']; title: string; blurb: string }> = [
  { id: 'strong', title: 'Strong PMF signals', blurb: 'Present = users want more' },
  { id: 'weak', title: 'Weak PMF signals', blurb: 'Present = interest without habit' },
  { id: 'pivot', title: 'Pivot signals', blurb: 'Present = users want something else' },
];

function signalValue(s: PmfSignal): string {
  if (s.value === null) return '—';
  // One decimal: a value just under its threshold must not read as equal to it.
  return s.unit === 'rate' ? pct(s.value) : int(s.value);
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
  const o = pmfOverall(d.pmfSignals);
  return (
    <div className={`verdict ${o.tone}`} data-testid="pmf-verdict" data-verdict={o.verdict}>
      <div>
        <div className="verdict-title">{o.word}</div>
        <div className="muted small">{o.summary}</div>
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
                  value={countOf(s.ranOut.count, 'user')}
                  sub={`${pct(s.ranOut.rate)} of ${int(s.ranOut.total)}`}
                  badge={pmfBadge(d.pmfSignals, 'credit_exhaustion')}
                />
                <Tile
                  testId="tile-session"
                  label="Avg session length"
                  definition={METRIC_DEFINITIONS.averageSessionMinutes.rule}
                  value={minutes(s.averageSessionMinutes)}
                  sub={countOf(s.totals.conversations, 'conversation')}
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
                          const def = PMF_SIGNAL_DEFINITIONS.find((p) => p.id === x.id);
                          return (
                            <div key={x.id} className="signal" data-testid={`signal-${x.id}`}>
                              <div className="row">
                                <span className="signal-label" title={def?.rule}>
                                  {x.label}
                                </span>
                                <span className="spacer" />
                                <span className={`badge ${pmfVerdictTone(x.verdict)}`} data-testid={`signal-${x.id}-verdict`}>
                                  {pmfVerdictWord(x.verdict)}
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
