import { useState } from 'react';
import { useRpc } from '../api/hooks.js';
import { Card, EmptyState, ErrorState, Loading, PageHeader, Tile } from '../components/ui.js';
import { dateTime, dayYear, int, label, minutes, pct } from '../format.js';
import { hrefTo } from '../router.js';
import { useWorkspace } from '../state/workspace.js';
import { CREDIT_ALLOWANCE } from '../../../shared/metric-definitions.js';
import type { UserDetail } from '../../../shared/metrics.js';

type Conversation = UserDetail['conversations'][number];
type TimelineEvent = Conversation['events'][number];

function EventLine({ e }: { e: TimelineEvent }) {
  if (e.eventType === 'message') {
    return (
      <div className={`bubble ${e.role === 'assistant' ? 'assistant' : 'user'}`}>
        <div className="bubble-meta">
          {e.role ?? 'user'} · {dateTime(e.timestamp)}
          {e.signals.map((s) => (
            <span key={s} className="badge accent">
              {label(s)}
            </span>
          ))}
        </div>
        <div>{e.message}</div>
      </div>
    );
  }
  const failed = e.success === false || e.eventType === 'error';
  return (
    <div className={`event-line ${failed ? 'bad' : ''}`}>
      <span className={`badge ${failed ? 'bad' : e.eventType === 'completion' ? 'good' : 'accent'}`}>{e.eventType.replace('_', ' ')}</span>
      {e.toolName && <strong>{e.toolName}</strong>}
      {e.params && Object.keys(e.params).length > 0 && <span className="muted small ellipsis">{JSON.stringify(e.params)}</span>}
      {e.errorType && <span className="badge bad">{e.errorType}</span>}
      {e.completionStatus && <span className="badge">{label(e.completionStatus)}</span>}
      <span className="spacer" />
      {e.creditsConsumed > 0 && <span className="credits">−{e.creditsConsumed} cr</span>}
      <span className="muted small nowrap">{dateTime(e.timestamp)}</span>
    </div>
  );
}

function ConversationCard({ c, initiallyOpen }: { c: Conversation; initiallyOpen: boolean }) {
  const [open, setOpen] = useState(initiallyOpen);
  const tone = c.completionStatus === 'completed' ? 'good' : c.completionStatus === 'blocked_by_credits' ? 'warn' : c.completionStatus === 'abandoned' ? 'bad' : '';
  return (
    <div className="conversation" data-testid="conversation">
      <button className="conversation-head" onClick={() => setOpen(!open)} aria-expanded={open}>
        <span className="caret">{open ? '▾' : '▸'}</span>
        <span className="conversation-title">{c.firstIntent ?? 'Conversation'}</span>
        <span className="spacer" />
        <span className="badge">{label(c.useCase)}</span>
        {c.completionStatus && <span className={`badge ${tone}`}>{label(c.completionStatus)}</span>}
        <span className="muted small nowrap">
          {int(c.messageCount)} msgs · {int(c.creditsUsed)} cr · {dateTime(c.startedAt)}
        </span>
      </button>
      {open && (
        <div className="conversation-body">
          {c.blocker && <div className="banner warn">Blocker: {c.blocker}</div>}
          {c.events.map((e) => (
            <EventLine key={e.id} e={e} />
          ))}
        </div>
      )}
    </div>
  );
}

export function UserDetailPage({ userId }: { userId: string }) {
  const { version } = useWorkspace();
  const { data, error, loading, reload } = useRpc('analytics.user', { userId }, [version]);
  const back = (
    <a className="btn" href={hrefTo('users')}>
      ← All users
    </a>
  );
  if (!data && loading) return <Loading rows={6} />;
  if (error && error.code === 'not_found') return <EmptyState title="User not found" body={error.message} action={back} />;
  if (!data && error) return <ErrorState error={error} onRetry={reload} />;
  if (!data) return null;
  const p = data.profile;
  const m = data.memory;
  const prefs = m.preferences && typeof m.preferences === 'object' ? Object.entries(m.preferences as Record<string, unknown>) : [];
  return (
    <>
      <PageHeader title={p.userId} subtitle={p.email ?? 'No email'} actions={back} />
      <div className="row badges-row" data-testid="user-badges">
        <span className="badge accent">{label(p.activationStatus)}</span>
        <span className="badge">{label(p.retentionCohort)}</span>
        {p.ranOut && <span className="badge warn">Ran out of credits</span>}
        <span className="muted small">
          Signed up {dayYear(p.signedUpAt)} · last active {dateTime(p.lastActiveAt)}
        </span>
      </div>
      <div className="tiles">
        <Tile testId="user-conversations" label="Conversations" value={int(p.conversations)} sub={`${int(p.messages)} messages`} />
        <Tile testId="user-credits" label="Credits used" value={`${int(p.creditsUsed)} / ${CREDIT_ALLOWANCE}`} sub={`${int(data.pmf.creditsRemaining)} left · hit the limit in ${int(data.pmf.creditExhaustionEpisodes)} conversation${data.pmf.creditExhaustionEpisodes === 1 ? '' : 's'}`} />
        <Tile testId="user-creations" label="Creations" value={int(data.pmf.creations)} sub={data.pmf.firstCreationAt ? `first ${dateTime(data.pmf.firstCreationAt)}` : 'none yet'} />
        <Tile testId="user-active-days" label="Active days" value={int(data.pmf.activeDays)} sub={`completion ${pct(data.pmf.completionRate)} · sessions ${minutes(data.pmf.averageSessionMinutes)}`} />
      </div>
      <div className="grid grid-2">
        <Card title="Memory" subtitle="What the chat service knows before it replies">
          <dl className="facts">
            <dt>Summary</dt>
            <dd>{m.contextSummary ?? <span className="muted">No summary yet</span>}</dd>
            <dt>Preferences</dt>
            <dd>
              {prefs.length === 0 && m.statedPreferences.length === 0 && <span className="muted">None stated</span>}
              {prefs.map(([k, v]) => (
                <span key={k} className="chip">
                  {label(k)}: {typeof v === 'string' ? v : JSON.stringify(v)}
                </span>
              ))}
              {m.statedPreferences.map((s) => (
                <div key={s} className="quote">
                  “{s}”
                </div>
              ))}
            </dd>
            <dt>Frequent prompts</dt>
            <dd>
              {m.frequentlyUsedPrompts.length === 0 ? (
                <span className="muted">None yet</span>
              ) : (
                <ol className="plain">
                  {m.frequentlyUsedPrompts.map((x) => (
                    <li key={x}>{x}</li>
                  ))}
                </ol>
              )}
            </dd>
            <dt>Top tool · use case</dt>
            <dd>
              {p.topTool ?? '—'} · {label(p.primaryUseCase)}
            </dd>
          </dl>
        </Card>
        <Card title="PMF signals from this user">
          <dl className="facts">
            <dt>Asked for</dt>
            <dd>{data.pmf.featureRequests.length ? data.pmf.featureRequests.map((x) => <div key={x} className="quote">“{x}”</div>) : <span className="muted">No feature requests</span>}</dd>
            <dt>Praise</dt>
            <dd>{data.pmf.praise.length ? data.pmf.praise.map((x) => <div key={x} className="quote">“{x}”</div>) : <span className="muted">None</span>}</dd>
            <dt>Blockers</dt>
            <dd data-testid="user-blockers">
              {data.pmf.blockers.length ? data.pmf.blockers.map((b) => <div key={b.blocker}>{label(b.blocker)} <span className="muted">({int(b.conversations)} conversation{b.conversations === 1 ? '' : 's'})</span></div>) : <span className="muted">None</span>}
            </dd>
            <dt>Said something is not working</dt>
            <dd>{data.pmf.blockerMessages.length ? data.pmf.blockerMessages.map((x) => <div key={x} className="quote bad">“{x}”</div>) : <span className="muted">Nothing</span>}</dd>
          </dl>
        </Card>
      </div>
      <Card title="Timeline" subtitle={`${int(data.conversations.length)} conversations${data.truncated ? ' (most recent shown)' : ''}`}>
        <div className="timeline" data-testid="timeline">
          {data.conversations.map((c, i) => (
            <ConversationCard key={c.id} c={c} initiallyOpen={i === 0} />
          ))}
          {data.conversations.length === 0 && <EmptyState title="No conversations yet" />}
        </div>
      </Card>
    </>
  );
}
