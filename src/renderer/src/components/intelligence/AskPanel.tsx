import { useState, type FormEvent } from 'react';
import type { AskResult } from '../../../../shared/intelligence.js';
import { invoke, RpcError } from '../../api/client.js';
import { useJob } from '../../api/hooks.js';
import { Card, ErrorState } from '../ui.js';

const EXAMPLES = ['Why did week-2 retention drop?', 'Which tool fails most for power users?', 'How many users ran out of credits last week?'];

/**
 * Ask: the LLM answers by running read-only SQL on the snapshot. The answer is shown with every query it ran and the
 * result tables, and a badge saying whether all its numbers were found in those results. An Ask is a job: it shows
 * what it is doing and can be cancelled (a query is also stopped by itself at the time limit).
 */
export function AskPanel({ llmConfigured }: { llmConfigured: boolean }) {
  const [question, setQuestion] = useState('');
  const [jobId, setJobId] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<RpcError | null>(null);
  const job = useJob(jobId);
  const busy = starting || job?.state === 'running';
  const result = job?.state === 'succeeded' ? (job.result as AskResult) : null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setStarting(true);
    setError(null);
    try {
      setJobId((await invoke('intelligence.ask', { question })).jobId);
    } catch (err) {
      setError(err instanceof RpcError ? err : new RpcError('internal', String(err)));
    } finally {
      setStarting(false);
    }
  }

  async function cancel() {
    if (jobId) await invoke('jobs.cancel', { jobId }).catch(() => {});
  }

  return (
    <Card title="Ask" subtitle="A question in plain words; the AI answers with read-only SQL on this workspace's snapshot and shows its work.">
      {!llmConfigured && (
        <div className="banner info" data-testid="ask-not-configured">
          <span>
            Ask needs an LLM. Set one up in <a href="#/settings">Settings → AI</a> (any OpenAI-compatible server, e.g. a local model, or OpenAI with a key), or set{' '}
            <code>OPENAI_API_KEY</code> / <code>OPENAI_BASE_URL</code> and <code>UIS_MODEL</code> in the environment. Everything else on this page works without one.
          </span>
        </div>
      )}
      <form onSubmit={submit} className="row" style={{ gap: 8 }}>
        <input
          aria-label="Question"
          data-testid="ask-input"
          value={question}
          onChange={(e) => setQuestion(e.target.value)}
          placeholder={EXAMPLES[0]}
          maxLength={2000}
          style={{ flex: 1, minWidth: 0 }}
        />
        {busy ? (
          <button className="btn" type="button" data-testid="ask-cancel" onClick={cancel} disabled={!jobId}>
            Cancel
          </button>
        ) : (
          <button className="btn primary" type="submit" disabled={question.trim().length < 3}>
            Ask
          </button>
        )}
      </form>
      {busy && (
        <p className="small muted" data-testid="ask-progress" role="status">
          {job?.message && job.message !== 'Starting…' ? job.message : 'Thinking…'}
        </p>
      )}
      {job?.state === 'cancelled' && (
        <p className="small muted" data-testid="ask-cancelled" role="status">
          Cancelled: the question was not answered.
        </p>
      )}
      {job?.state === 'failed' && job.error && <ErrorState error={new RpcError(job.error.code, job.error.message)} />}
      <p className="muted small">
        Try:{' '}
        {EXAMPLES.map((q, i) => (
          <span key={q}>
            {i > 0 && ' · '}
            <button type="button" className="link-btn" onClick={() => setQuestion(q)}>
              {q}
            </button>
          </span>
        ))}
      </p>
      {error && <ErrorState error={error} />}
      {result && (
        <div data-testid="ask-result">
          {result.answer === null ? (
            <div className="banner warn">
              <span>{result.message}</span>
            </div>
          ) : (
            <>
              <p className="quote">{result.answer}</p>
              <p className="small">
                {result.verified ? (
                  <span className="badge good">every number comes from the results below</span>
                ) : (
                  <span className="badge warn">
                    {result.unsupportedNumbers.length ? `not found in the results: ${result.unsupportedNumbers.join(', ')}` : 'no query succeeded'}
                  </span>
                )}
              </p>
            </>
          )}
          {result.queries.map((q, i) => (
            <details key={i} open={i === result.queries.length - 1}>
              <summary className="small">
                Query {i + 1}
                {q.timedOut ? ` — ${q.error}` : q.error ? ` — refused: ${q.error}` : ` — ${q.rows.length}${q.truncated ? '+ rows (capped)' : ' rows'}`}
              </summary>
              <pre className="mono small" style={{ whiteSpace: 'pre-wrap' }}>
                {q.sql}
              </pre>
              {!q.error && (
                <div style={{ overflow: 'auto', maxHeight: 240 }}>
                  <table className="data">
                    <thead>
                      <tr>
                        {q.columns.map((c) => (
                          <th key={c}>{c}</th>
                        ))}
                      </tr>
                    </thead>
                    <tbody>
                      {q.rows.slice(0, 50).map((row, r) => (
                        <tr key={r}>
                          {row.map((v, c) => (
                            <td key={c} className={typeof v === 'number' ? 'num' : undefined}>
                              {v === null ? '' : String(v)}
                            </td>
                          ))}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </details>
          ))}
        </div>
      )}
    </Card>
  );
}
