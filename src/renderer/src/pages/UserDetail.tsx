import { useState } from 'react';
import { useRpc } from '../api/hooks.js';
import { Card, EmptyState, ErrorState, Loading, PageHeader, Tile } from '../components/ui.js';
import { dateTime, dayYear, int, label, minutes, pct } from '../../../shared/format.js';
import { hrefTo } from '../router.js';
import { useWorkspace } from '../state/workspace.js';
import { CREDIT_ALLOWANCE } from '../../../shared/metric-definitions.js';
import type { UserDetail } from '../../../shared/metrics.js';
import { confidenceLabel } from '../../../shared/profile.js';

type Conversation = UserDetail['conversations'][number];
type TimelineEvent = Conversation['events'][number];

/** Each quote once, with how many times it was said, in first-said order (a user often repeats "I love this"). */
function distinctQuotes(list: string[]): Array<{ text: string; times: number }> {
  const seen = new Map<string, number>();
  for (const q of list) seen.set(q, (seen.get(q) ?? 0) + 1);
  return [...seen].map(([text, times]) => ({ text, times }));
}

function Quotes({ list, empty, tone, testId }: { list: string[]; empty: string; tone?: string; testId: string }) {
  const quotes = distinctQuotes(list);
  if (!quotes.length) return <span className="muted">{empty}</span>;
  return (
    <>
      {quotes.map((q) => (
        <div key={q.text} className={`quote ${tone ?? ''}`} data-testid={testId}>
          “{q.text}”{q.times > 1 && <span className="muted small"> ×{q.times}</span>}
        </div>
      ))}
    </>
  );
}

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
          {c.blocker && <div className="banner warn">Blocker: {label(c.blocker)}</div>}
          {c.events.map((e) => (
            <EventLine key={e.id} e={e} />
          ))}
        </div>
      )}
    </div>
  );
}

type Memory = UserDetail['memory'];
type PreferenceDetail = Memory['preferenceDetails'][number];

/** One current preference, with what it rests on: the user's statements (changes of mind struck through) or choices. */
function PreferenceItem({ p }: { p: PreferenceDetail }) {
  return (
    <div className="memory-pref" data-testid="memory-preference" data-key={p.key}>
      <div className="row memory-pref-head">
        <span className="chip">
          {label(p.key)}: <strong>&nbsp;{p.value}</strong>
        </span>
        <span className={`badge ${p.source === 'stated' ? 'accent' : ''}`}>{p.source}</span>
        <span className="muted small">
          {confidenceLabel(p.confidence)} confidence ·{' '}
          {p.source === 'observed' ? `chosen ${int(p.count)} times, last ${dateTime(p.last_seen)}` : `said ${int(p.count)} time${p.count === 1 ? '' : 's'}, last ${dateTime(p.last_seen)}`}
        </span>
      </div>
      {[...p.history].reverse().map((h) => (
        <div key={h.stated_at + h.value} className={`quote memory-statement${h.superseded_at ? ' superseded' : ''}`} data-testid="memory-statement" data-superseded={h.superseded_at ? 'true' : 'false'}>
          <span className="memory-excerpt">“{h.excerpt}”</span>
          <span className="muted small nowrap">
            {' '}
            → {h.value} · {dateTime(h.stated_at)}
          </span>
          {h.superseded_at && <span className="badge warn">superseded {dateTime(h.superseded_at)}</span>}
        </div>
      ))}
    </div>
  );
}

/** What the chat service knows before it replies: the profile builder's memory of this user. */
function MemoryCard({ memory: m, primaryUseCase }: { memory: Memory; primaryUseCase: string | null }) {
  const tools = Object.entries((m.preferredTools as Record<string, number> | null) ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const toolTotal = tools.reduce((n, [, c]) => n + c, 0);
  return (
    <Card title="Memory" subtitle="What the chat service knows before it replies">
      <dl className="facts" data-testid="memory">
        <dt>Summary</dt>
        <dd data-testid="memory-summary">{m.contextSummary ?? <span className="muted">No summary yet</span>}</dd>
        <dt>Preferences</dt>
        <dd data-testid="memory-preferences">
          {m.preferenceDetails.length === 0 ? <span className="muted">None yet</span> : m.preferenceDetails.map((p) => <PreferenceItem key={p.key} p={p} />)}
        </dd>
        <dt>Frequent prompts</dt>
        <dd data-testid="memory-prompts">
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
        <dt>Favourite tools</dt>
        <dd data-testid="memory-tools">
          {tools.length === 0 ? (
            <span className="muted">None yet</span>
          ) : (
            tools.slice(0, 5).map(([tool, n]) => (
              <span key={tool} className="chip">
                {tool} <span className="muted small">&nbsp;{int(n)} · {pct(n / toolTotal)}</span>
              </span>
            ))
          )}
        </dd>
        <dt>Use case</dt>
        <dd>{label(primaryUseCase)}</dd>
      </dl>
    </Card>
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
        <MemoryCard memory={m} primaryUseCase={p.primaryUseCase} />
        <Card title="PMF signals from this user">
          <dl className="facts">
            <dt>Asked for</dt>
            <dd>
              <Quotes list={data.pmf.featureRequests} empty="No feature requests" testId="user-request" />
            </dd>
            <dt>Praise</dt>
            <dd>
              <Quotes list={data.pmf.praise} empty="None" testId="user-praise" />
            </dd>
            <dt>Blockers</dt>
            <dd data-testid="user-blockers">
              {data.pmf.blockers.length ? (
                data.pmf.blockers.map((b) => (
                  <div key={b.blocker} className="row" data-testid="user-blocker">
                    <span className="badge bad">{label(b.blocker)}</span>
                    <span className="muted small">
                      {int(b.conversations)} conversation{b.conversations === 1 ? '' : 's'}
                    </span>
                  </div>
                ))
              ) : (
                <span className="muted">None</span>
              )}
            </dd>
            <dt>Said something is not working</dt>
            <dd>
              <Quotes list={data.pmf.blockerMessages} empty="Nothing like that" tone="bad" testId="user-blocker-message" />
            </dd>
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
