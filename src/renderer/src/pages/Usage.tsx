import { useState } from 'react';
import { BarChart, LineChart } from '../components/charts.js';
import { ToolUsageTrend } from '../components/Trends.js';
import { Card, Info, PageHeader, ShareBar, Tile } from '../components/ui.js';
import { rangeText, WithDashboard } from '../components/WithDashboard.js';
import { dec, day, hours, int, label, pct, ratioText, countOf } from '../../../shared/format.js';
import { METRIC_DEFINITIONS } from '../../../shared/metric-definitions.js';

export default function UsagePage() {
  // The users' own messages by default; the seed's query 2 as written (assistant replies included) one click away.
  const [allMessages, setAllMessages] = useState(false);
  return (
    <>
      <PageHeader title="Usage & failures" subtitle="How people use the tools, and where they get stuck" />
      <WithDashboard>
        {(d) => {
          const u = d.usageHealth;
          const ts = d.timeseries.days;
          const tools = [...u.errorRateByTool].sort((a, b) => b.calls - a.calls);
          return (
            <>
              <div className="tiles">
                <Tile testId="tile-error-rate" label="Tool error rate" definition={METRIC_DEFINITIONS.errorRateByTool.rule} value={pct(u.overallErrorRate.rate)} sub={`${ratioText(u.overallErrorRate)} tool calls failed`} />
                <Tile testId="tile-completion" label="Completion rate" definition={METRIC_DEFINITIONS.completionRate.rule} value={pct(u.completionRate.rate)} sub={`${ratioText(u.completionRate)} conversations`} />
                <Tile testId="tile-conv-per-user" label="Conversations per user" definition={METRIC_DEFINITIONS.conversationsPerUser.rule} value={dec(u.conversationsPerUser)} sub={`${dec(u.messagesPerConversation)} messages per conversation`} />
                <Tile testId="tile-single-session" label="Single-session users" definition={METRIC_DEFINITIONS.singleSessionUsers.rule} value={pct(u.singleSessionUsers.rate)} sub={`${ratioText(u.singleSessionUsers)} users`} />
                <Tile testId="tile-first-creation" label="Time to first creation" definition={METRIC_DEFINITIONS.timeToFirstCreation.rule} value={hours(u.timeToFirstCreation.medianHours)} sub={`median · p90 ${hours(u.timeToFirstCreation.p90Hours)} · ${countOf(u.timeToFirstCreation.users, 'user')}`} />
              </div>
              <div className="grid grid-2">
                <Card title="Tool usage over time" subtitle="Tool calls per week, by tool">
                  <ToolUsageTrend />
                </Card>
                <Card title="Activity over time" subtitle={`Per UTC day · ${rangeText(d)}`}>
                  <LineChart
                    label="Conversations and events per day"
                    labels={ts.map((p) => day(p.day))}
                    series={[
                      { label: 'Events', data: ts.map((p) => p.events), fill: true },
                      { label: 'Conversations', data: ts.map((p) => p.conversations), axis: 'y2' },
                    ]}
                  />
                </Card>
              </div>
              <div className="grid grid-2">
                <Card title="Tool calls and failures" subtitle="Calls per tool in the range, failed calls stacked">
                  <BarChart
                    stacked
                    label="Tool calls and failures by tool"
                    labels={tools.map((t) => t.tool)}
                    series={[
                      { label: 'Succeeded', data: tools.map((t) => t.calls - t.errors), color: '#6366f1' },
                      { label: 'Failed', data: tools.map((t) => t.errors), color: '#ef4444' },
                    ]}
                  />
                </Card>
                <Card title="Error rate by tool" actions={<Info text={METRIC_DEFINITIONS.errorRateByTool.rule} />}>
                  <table className="data" data-testid="error-rates">
                    <thead>
                      <tr>
                        <th>Tool</th>
                        <th className="num">Calls</th>
                        <th className="num">Errors</th>
                        <th style={{ width: '35%' }}>Error rate</th>
                      </tr>
                    </thead>
                    <tbody>
                      {tools.map((t) => (
                        <tr key={t.tool}>
                          <td>{t.tool}</td>
                          <td className="num">{int(t.calls)}</td>
                          <td className="num">{int(t.errors)}</td>
                          <td>
                            <div className="row nowrap">
                              <ShareBar value={t.rate} tone={(t.rate ?? 0) > 0.15 ? 'bad' : 'warn'} />
                              <span className="num">{pct(t.rate)}</span>
                            </div>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                  <h3 className="mini-title">Conversation outcomes</h3>
                  {Object.entries(u.completionByStatus).map(([k, v]) => {
                    const total = Object.values(u.completionByStatus).reduce((a, b) => a + b, 0);
                    return (
                      <div key={k} className="dist-row">
                        <span>{label(k)}</span>
                        <ShareBar value={total ? v / total : 0} tone={k === 'completed' ? 'good' : k === 'blocked_by_credits' ? 'warn' : 'bad'} />
                        <span className="num">{int(v)}</span>
                      </div>
                    );
                  })}
                </Card>
              </div>
              <Card title="Failure points" subtitle="Failed events by tool and error (seed query 3)" actions={<Info text={METRIC_DEFINITIONS.failurePoints.rule} />}>
                <table className="data" data-testid="failure-points">
                  <thead>
                    <tr>
                      <th>Tool</th>
                      <th>Error</th>
                      <th className="num">Failures</th>
                      <th className="num">Affected users</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.failurePoints.slice(0, 15).map((f, i) => (
                      <tr key={i}>
                        <td>{f.tool ?? '—'}</td>
                        <td>
                          <span className="badge bad">{f.errorType ?? 'unknown'}</span>
                        </td>
                        <td className="num">{int(f.failures)}</td>
                        <td className="num">{int(f.affectedUsers)}</td>
                      </tr>
                    ))}
                    {d.failurePoints.length === 0 && (
                      <tr>
                        <td colSpan={4} className="muted">
                          No failures in this range
                        </td>
                      </tr>
                    )}
                  </tbody>
                </table>
              </Card>
              <Card
                title="Most frequent messages"
                subtitle={
                  allMessages
                    ? "Per day, every message event as the seed's query 2 counts them (assistant replies included)"
                    : "Per day, what users wrote (their own messages only); what they ask for, clustered: Intelligence"
                }
                actions={
                  <>
                    <div className="seg" role="radiogroup" aria-label="Messages counted">
                      <button className={`seg-btn${allMessages ? '' : ' on'}`} role="radio" aria-checked={!allMessages} onClick={() => setAllMessages(false)} data-testid="intents-users">
                        Users' messages
                      </button>
                      <button className={`seg-btn${allMessages ? ' on' : ''}`} role="radio" aria-checked={allMessages} onClick={() => setAllMessages(true)} data-testid="intents-seed">
                        Seed query 2 (all)
                      </button>
                    </div>
                    <Info text={(allMessages ? METRIC_DEFINITIONS.intentFrequency : METRIC_DEFINITIONS.userIntents).rule} />
                  </>
                }
              >
                <table className="data" data-testid="intents">
                  <thead>
                    <tr>
                      <th>Day</th>
                      <th>Message</th>
                      <th className="num">Frequency</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(allMessages ? d.intents : d.userIntents).rows.slice(0, 12).map((r, i) => (
                      <tr key={i}>
                        <td className="nowrap">{day(r.day)}</td>
                        <td>{r.userMessage ?? '—'}</td>
                        <td className="num">{int(r.frequency)}</td>
                      </tr>
                    ))}
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
