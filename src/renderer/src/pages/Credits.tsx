import { Fragment, useState } from 'react';
import { useRpc } from '../api/hooks.js';
import { LineChart } from '../components/charts.js';
import { ExhaustionTrend } from '../components/Trends.js';
import { Card, Info, Loading, PageHeader, Tile } from '../components/ui.js';
import { rangeText, WithDashboard } from '../components/WithDashboard.js';
import { dateTime, day, hours, int, pct } from '../../../shared/format.js';
import { hrefTo } from '../router.js';
import { CREDIT_ALLOWANCE, CREDIT_EXHAUSTION_ERRORS, HIGH_USAGE_CREDITS, METRIC_DEFINITIONS } from '../../../shared/metric-definitions.js';
import type { UserDetail } from '../../../shared/metrics.js';
import { pmfBadge } from '../../../shared/pmf.js';

/** The events a user had just before running out: the last few before the first exhaustion event. */
function beforeExhaustion(detail: UserDetail) {
  const events = detail.conversations.flatMap((c) => c.events).sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  const hit = events.findIndex(
    (e) => e.completionStatus === 'blocked_by_credits' || (e.errorType !== null && (CREDIT_EXHAUSTION_ERRORS as readonly string[]).includes(e.errorType)),
  );
  const end = hit >= 0 ? hit + 1 : events.length;
  return { events: events.slice(Math.max(0, end - 8), end), hitAt: hit >= 0 ? events[hit].timestamp : null };
}

function LeadUp({ userId }: { userId: string }) {
  const { data, error } = useRpc('analytics.user', { userId });
  if (error) return <div className="muted">{error.message}</div>;
  if (!data) return <Loading rows={2} />;
  const { events, hitAt } = beforeExhaustion(data);
  return (
    <div className="leadup">
      <div className="muted small">{hitAt ? `Ran out at ${dateTime(hitAt)}. The moments before:` : 'No exhaustion event recorded: last activity:'}</div>
      <ol className="mini-timeline">
        {events.map((e) => (
          <li key={e.id} className={e.success === false ? 'bad' : ''}>
            <span className="muted small nowrap">{dateTime(e.timestamp)}</span>
            <span className="badge">{e.eventType}</span>
            {e.toolName && <span className="badge accent">{e.toolName}</span>}
            <span className="ellipsis">{e.message ?? e.errorType ?? e.completionStatus ?? ''}</span>
            {e.creditsConsumed > 0 && <span className="muted small">−{e.creditsConsumed} cr</span>}
          </li>
        ))}
      </ol>
    </div>
  );
}

export default function CreditsPage() {
  const [open, setOpen] = useState<string | null>(null);
  return (
    <>
      <PageHeader title="Credits" subtitle={`Who runs out of the ${CREDIT_ALLOWANCE} free credits, how fast, and what they were doing`} />
      <WithDashboard>
        {(d) => {
          const s = d.summary;
          const u = d.usageHealth;
          const ts = d.timeseries.days;
          return (
            <>
              <div className="tiles">
                <Tile testId="tile-exhausted" label="Users who ran out of credits" definition={METRIC_DEFINITIONS.ranOut.rule} value={int(s.ranOut.count)} sub={`${pct(s.ranOut.rate)} of ${int(s.ranOut.total)} users`} badge={pmfBadge(d.pmfSignals, 'credit_exhaustion')} />
                <Tile testId="tile-time-to-exhaustion" label="Time to running out" definition={METRIC_DEFINITIONS.timeToCreditExhaustion.rule} value={hours(u.timeToCreditExhaustion.medianHours)} sub={`median · p90 ${hours(u.timeToCreditExhaustion.p90Hours)}`} />
                <Tile testId="tile-high-usage" label={`High usage (≥ ${HIGH_USAGE_CREDITS} credits)`} definition={METRIC_DEFINITIONS.highUsage.rule} value={int(s.highUsage.count)} sub="users (seed query 4)" />
                <Tile testId="tile-credits-used" label="Credits used" value={int(s.totals.creditsUsed)} sub={rangeText(d)} />
              </div>
              <div className="grid grid-2">
                <Card title="Exhaustion rate over time" subtitle="Share of each week's active users who ran out of credits that week">
                  <ExhaustionTrend />
                </Card>
                <Card title="Credits used per day" subtitle="All users in the segment">
                  <LineChart label="Credits used per day" labels={ts.map((p) => day(p.day))} series={[{ label: 'Credits used', data: ts.map((p) => p.creditsUsed), fill: true, color: '#f59e0b' }]} height={220} />
                </Card>
              </div>
              <Card
                title="Who ran out"
                subtitle={
                  d.ranOutUsers.truncated
                    ? `The ${int(d.ranOutUsers.rows.length)} with the most episodes, of ${int(s.ranOut.count)} (the report's CSV export lists all). Click a row to see what they did just before`
                    : 'Click a row to see what they did just before'
                }
                actions={<Info text={METRIC_DEFINITIONS.ranOutUsers.rule} />}>
                <table className="data clickable" data-testid="credit-exhaustion">
                  <thead>
                    <tr>
                      <th>User</th>
                      <th>Email</th>
                      <th className="num">Credits used</th>
                      <th className="num">Times hit limit</th>
                      <th>Last ran out</th>
                      <th>Last active</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.ranOutUsers.rows.map((r) => (
                      <Fragment key={r.userId}>
                        <tr onClick={() => setOpen(open === r.userId ? null : r.userId)} aria-expanded={open === r.userId} tabIndex={0} onKeyDown={(e) => e.key === 'Enter' && setOpen(open === r.userId ? null : r.userId)}>
                          <td>
                            <a href={hrefTo('users', r.userId)} onClick={(e) => e.stopPropagation()}>
                              {r.userId}
                            </a>
                          </td>
                          <td className="muted">{r.email ?? '—'}</td>
                          <td className="num">{int(r.totalCreditsUsed)}</td>
                          <td className="num">{int(r.episodes)}</td>
                          <td className="nowrap">{dateTime(r.lastRanOutAt)}</td>
                          <td className="nowrap">{dateTime(r.lastActiveAt)}</td>
                        </tr>
                        {open === r.userId && (
                          <tr className="expanded">
                            <td colSpan={6}>
                              <LeadUp userId={r.userId} />
                            </td>
                          </tr>
                        )}
                      </Fragment>
                    ))}
                    {d.ranOutUsers.rows.length === 0 && (
                      <tr>
                        <td colSpan={6} className="muted">
                          Nobody ran out of credits by the end of this range.
                        </td>
                      </tr>
                    )}
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
