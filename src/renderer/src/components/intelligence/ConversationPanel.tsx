import { useEffect, useRef } from 'react';
import { useRpc } from '../../api/hooks.js';
import { dateTime, label } from '../../../../shared/format.js';
import { hrefTo } from '../../router.js';
import { Card, ErrorState, Loading } from '../ui.js';

/** Click-through from a cluster, a request or a "worth reading" row: the conversation and its analysis. */
export function ConversationPanel({ conversationId, onClose }: { conversationId: string; onClose: () => void }) {
  const { data, error, loading, reload } = useRpc('intelligence.conversation', { conversationId });
  const anchor = useRef<HTMLDivElement>(null);
  // Opened from further down the page: bring it into view.
  useEffect(() => anchor.current?.scrollIntoView({ behavior: 'smooth', block: 'start' }), [conversationId]);
  return (
    <div ref={anchor}>
      <Card
        title="Conversation"
        subtitle={conversationId}
        actions={
          <button className="btn" onClick={onClose} aria-label="Close conversation">
            Close
          </button>
        }
      >
        {loading && !data && <Loading />}
        {error && <ErrorState error={error} onRetry={reload} />}
        {data && (
          <div data-testid="conversation-panel">
            <p className="small">
              User <a href={hrefTo('users', data.userId)}>{data.userId}</a> · outcome {label(data.completionStatus)}
              {data.analysis && (
                <>
                  {' '}
                  · {label(data.analysis.use_case)} · satisfaction <strong>{data.analysis.satisfaction_signal}/10</strong> ({data.analysis.source === 'llm' ? 'LLM' : 'local analyzer'})
                </>
              )}
            </p>
            {data.analysis && (data.analysis.blockers.length > 0 || data.analysis.feature_requests.length > 0) && (
              <p className="small">
                {data.analysis.blockers.map((b) => (
                  <span key={b} className="badge bad">
                    {b}
                  </span>
                ))}{' '}
                {data.analysis.feature_requests.map((f) => (
                  <span key={f} className="badge warn">
                    asks: {f}
                  </span>
                ))}
              </p>
            )}
            <ul style={{ maxHeight: 320, overflow: 'auto', listStyle: 'none', paddingLeft: 0, display: 'flex', flexDirection: 'column', gap: 4 }}>
              {data.events.map((e, i) => (
                <li key={i} className="small" title={dateTime(e.ts)}>
                  {e.eventType === 'message' ? (
                    <>
                      <strong>{e.role ?? 'user'}:</strong> {e.message}
                    </>
                  ) : e.eventType === 'tool_call' ? (
                    <span className={e.success === false ? 'warn-text' : 'muted'}>
                      ⚙ {e.toolName} {e.success === false ? `failed (${e.errorType ?? 'error'})` : 'ok'}
                    </span>
                  ) : (
                    <span className="muted">
                      {e.eventType} {e.errorType ?? ''}
                    </span>
                  )}
                </li>
              ))}
            </ul>
          </div>
        )}
      </Card>
    </div>
  );
}
