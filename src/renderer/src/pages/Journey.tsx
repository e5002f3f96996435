import { Heatmap } from '../components/Heatmap.js';
import { Card, Info, PageHeader } from '../components/ui.js';
import { rangeText, WithDashboard } from '../components/WithDashboard.js';
import { day, int, pct, countOf } from '../../../shared/format.js';
import { METRIC_DEFINITIONS } from '../../../shared/metric-definitions.js';

export default function JourneyPage() {
  return (
    <>
      <PageHeader title="Journey" subtitle="Where new users drop off between signing up and running out of credits" />
      <WithDashboard>
        {(d) => {
          const steps = d.journey.steps;
          const first = steps[0]?.count ?? 0;
          return (
            <>
              <Card title="Activation funnel" subtitle={rangeText(d)} actions={<Info text={METRIC_DEFINITIONS.journey.rule} />}>
                <div className="funnel" data-testid="funnel">
                  {steps.map((s, i) => (
                    <div key={s.id} className="funnel-step" data-testid={`funnel-${s.id}`}>
                      {i > 0 && (
                        <div className="funnel-arrow" title="Step conversion: this step / previous step">
                          <span data-testid={`funnel-${s.id}-step`}>{pct(s.stepConversion)}</span>
                          <span aria-hidden>→</span>
                        </div>
                      )}
                      <div className="funnel-box">
                        <div className="funnel-label">{s.label}</div>
                        <div className="funnel-count" data-testid={`funnel-${s.id}-count`}>
                          {int(s.count)}
                        </div>
                        <div className="funnel-bar">
                          <div style={{ height: `${first ? Math.max(2, (s.count / first) * 100) : 0}%` }} />
                        </div>
                        <div className="muted small" data-testid={`funnel-${s.id}-overall`}>
                          {pct(s.overallConversion)} of signups
                        </div>
                      </div>
                    </div>
                  ))}
                </div>
              </Card>

              <Card
                title="Conversion by signup week"
                subtitle="Share of each weekly cohort that reached the step (overall conversion)"
                actions={<Info text="Rows: users who signed up in that week (Monday, UTC). Cells: step count / cohort size." />}
              >
                <Heatmap
                  label="Conversion by signup cohort and step"
                  rowHeader="Signup week"
                  columns={steps.map((s) => s.label)}
                  rows={d.journey.byCohort.map((c) => ({
                    label: `Week of ${day(c.cohort)}`,
                    sub: countOf(c.steps[0]?.count ?? 0, 'user'),
                    cells: c.steps.map((s) => ({ rate: s.overallConversion, title: `${countOf(s.count, 'user')} · step conversion ${pct(s.stepConversion)}` })),
                  }))}
                />
              </Card>

              <Card title="Seed funnel query" subtitle="The seed's activation-funnel SQL as written, with its own definitions (not the journey's: created content above is a successful creation-tool call)" actions={<Info text={METRIC_DEFINITIONS.seedFunnel.rule} />}>
                <table className="data" data-testid="seed-funnel">
                  <thead>
                    <tr>
                      <th className="num">Users with conversations</th>
                      <th className="num">Day-1 active</th>
                      <th className="num">Had a video_gen call (seed)</th>
                      <th className="num">High usage (≥ 90 credits)</th>
                      <th className="num">Successful users</th>
                    </tr>
                  </thead>
                  <tbody>
                    <tr>
                      <td className="num">{int(d.seedFunnel.total_users)}</td>
                      <td className="num">{int(d.seedFunnel.day_1_active)}</td>
                      <td className="num">{int(d.seedFunnel.created_content)}</td>
                      <td className="num">{int(d.seedFunnel.high_usage)}</td>
                      <td className="num">{int(d.seedFunnel.successful_users)}</td>
                    </tr>
                  </tbody>
                </table>
              </Card>
            </>
          );
        }}
      </WithDashboard>
    </>
  );
}
