import { LineChart } from '../components/charts.js';
import { Heatmap } from '../components/Heatmap.js';
import { Card, Info, PageHeader, ShareBar, Tile } from '../components/ui.js';
import { WithDashboard } from '../components/WithDashboard.js';
import { day, int, label, pct, ratioText, countOf } from '../../../shared/format.js';
import { METRIC_DEFINITIONS } from '../../../shared/metric-definitions.js';

export default function RetentionPage() {
  return (
    <>
      <PageHeader title="Retention" subtitle="Do users come back after their first week?" />
      <WithDashboard>
        {(d) => {
          const r = d.retention;
          const weeks = Array.from({ length: r.weeks }, (_, k) => `Week ${k}`);
          // Average curve: retained / eligible summed over cohorts whose window has closed.
          const average = weeks.map((_, k) => {
            let retained = 0;
            let eligible = 0;
            for (const c of r.cohorts) {
              const cell = c.cells[k];
              if (cell && !cell.partial) {
                retained += cell.retained;
                eligible += cell.eligible;
              }
            }
            return eligible ? retained / eligible : null;
          });
          const recent = r.cohorts.slice(-6);
          const statusTotal = Object.values(r.retentionCohorts).reduce((a, b) => a + b, 0);
          const activationTotal = Object.values(r.activationStatuses).reduce((a, b) => a + b, 0);
          return (
            <>
              <div className="tiles">
                <Tile testId="tile-day1" label="Day-1 retention" definition={METRIC_DEFINITIONS.day1Retention.rule} value={pct(r.day1.rate)} sub={`${ratioText(r.day1)} users`} />
                <Tile testId="tile-day7" label="Day-7 retention" definition={METRIC_DEFINITIONS.day7Retention.rule} value={pct(r.day7.rate)} sub={`${ratioText(r.day7)} users`} />
                <Tile
                  testId="tile-week1"
                  label="Week-1 retention"
                  definition={METRIC_DEFINITIONS.week1Retention.rule}
                  value={pct(d.summary.week1Retention.rate)}
                  sub={`${ratioText(d.summary.week1Retention)} users`}
                />
                <Tile testId="tile-cohorts" label="Signup cohorts" value={int(r.cohorts.length)} sub={countOf(r.cohorts.reduce((a, c) => a + c.size, 0), 'user')} />
              </div>
              <Card title="Cohort retention" subtitle="Share of each signup week active in week k after signup (lighter = window still open)" actions={<Info text={METRIC_DEFINITIONS.retentionTriangle.rule} />}>
                <Heatmap
                  label="Retention triangle"
                  rowHeader="Signup week"
                  columns={weeks}
                  rows={r.cohorts.map((c) => ({
                    label: `Week of ${day(c.cohort)}`,
                    sub: countOf(c.size, 'user'),
                    cells: c.cells.map((cell) => (cell ? { rate: cell.rate, partial: cell.partial, title: `${int(cell.retained)} of ${int(cell.eligible)}${cell.partial ? ' (window still open)' : ''}` } : null)),
                  }))}
                />
              </Card>
              <div className="grid grid-main">
                <Card title="Retention curves" subtitle="Recent cohorts and the average of closed windows">
                  <LineChart
                    percent
                    label="Retention curves by cohort"
                    labels={weeks}
                    series={[
                      { label: 'Average', data: average, color: '#6366f1', fill: true },
                      ...recent.map((c, i) => ({
                        label: `Week of ${day(c.cohort)}`,
                        data: c.cells.map((cell) => (cell ? cell.rate : null)),
                        color: ['#14b8a6', '#f59e0b', '#ef4444', '#8b5cf6', '#0ea5e9', '#84cc16'][i % 6],
                      })),
                    ]}
                  />
                </Card>
                <Card title="Where users are now" subtitle="Per-user retention cohort and activation status">
                  <h3 className="mini-title">
                    Retention cohort <Info text={METRIC_DEFINITIONS.retentionCohort.rule} />
                  </h3>
                  {Object.entries(r.retentionCohorts).map(([k, v]) => (
                    <div key={k} className="dist-row">
                      <span>{label(k)}</span>
                      <ShareBar value={statusTotal ? v / statusTotal : 0} tone={k === 'churned' ? 'bad' : 'accent'} />
                      <span className="num">{int(v)}</span>
                    </div>
                  ))}
                  <h3 className="mini-title">
                    Activation status <Info text={METRIC_DEFINITIONS.activationStatus.rule} />
                  </h3>
                  {Object.entries(r.activationStatuses).map(([k, v]) => (
                    <div key={k} className="dist-row">
                      <span>{label(k)}</span>
                      <ShareBar value={activationTotal ? v / activationTotal : 0} tone={k === 'dormant' ? 'bad' : k === 'power_user' ? 'good' : 'accent'} />
                      <span className="num">{int(v)}</span>
                    </div>
                  ))}
                </Card>
              </div>
            </>
          );
        }}
      </WithDashboard>
    </>
  );
}
