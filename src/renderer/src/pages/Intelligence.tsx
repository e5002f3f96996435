import { useEffect, useState } from 'react';
import { invoke } from '../api/client.js';
import { useJob, useRpc } from '../api/hooks.js';
import { BarChart } from '../components/charts.js';
import { AskPanel } from '../components/intelligence/AskPanel.js';
import { ClusterTable } from '../components/intelligence/ClusterTable.js';
import { ConversationPanel } from '../components/intelligence/ConversationPanel.js';
import { RankedTable } from '../components/intelligence/RankedTable.js';
import { Card, EmptyState, ErrorState, Loading, PageHeader, Tile } from '../components/ui.js';
import { dateTime, dec, int } from '../../../shared/format.js';
import { useFilters } from '../state/filters.js';
import { useWorkspace } from '../state/workspace.js';
import { hiddenMessagesNote } from '../../../shared/intelligence.js';

/**
 * Intelligence: what users try to do (intent clusters with outcomes), where they get stuck (blockers), what they ask
 * for (feature requests), how satisfied they are, the conversations worth reading, and Ask. Works without an LLM
 * (local analyzer); with one, the same page shows the LLM's analysis.
 */
export default function IntelligencePage() {
  const { filters } = useFilters();
  const { version } = useWorkspace();
  const range = { since: filters.since, until: filters.until };
  const overview = useRpc('intelligence.overview', { filters: range }, [version]);
  const [jobId, setJobId] = useState<string | null>(null);
  const job = useJob(jobId);
  const [conversation, setConversation] = useState<string | null>(null);
  const [showSent, setShowSent] = useState(false);
  const sent = useRpc('intelligence.sent', showSent ? { limit: 20 } : null, [showSent, job?.state]);
  const [startError, setStartError] = useState<string | null>(null);
  // With an LLM, a run costs money: show the estimate and ask before sending anything.
  const [estimate, setEstimate] = useState<Awaited<ReturnType<typeof invoke<'intelligence.estimate'>>> | null>(null);
  const running = job?.state === 'running';

  useEffect(() => {
    if (job && job.state !== 'running') overview.reload();
    // Reload once when the job finishes.
  }, [job?.state]);

  // The demo workspace opens with the local analysis already done: a newcomer sees a full page.
  const o = overview.data;
  useEffect(() => {
    if (o && o.source === null && !jobId && !o.llmConfigured) void start();
  }, [o?.source, o?.llmConfigured]);

  async function requestRun() {
    setStartError(null);
    if (!o?.llmConfigured) return start();
    try {
      setEstimate(await invoke('intelligence.estimate', { source: 'auto', filters: range }));
    } catch (err) {
      setStartError((err as Error).message);
    }
  }

  async function start() {
    setStartError(null);
    setEstimate(null);
    try {
      const r = await invoke('intelligence.run', { source: 'auto', filters: range });
      setJobId(r.jobId);
    } catch (err) {
      setStartError((err as Error).message);
    }
  }

  const header = (
    <PageHeader
      title="Intelligence"
      subtitle={
        o?.source === 'llm'
          ? `Conversations analysed by ${o.lastRun?.model ?? 'the LLM'}, clustered into intents.`
          : 'Conversations analysed by the local analyzer (no LLM configured), clustered into intents.'
      }
      actions={
        <div className="row" style={{ gap: 8 }}>
          {running ? (
            <>
              <span className="small muted" data-testid="run-progress">
                {Math.round((job?.progress ?? 0) * 100)}% {job?.message}
              </span>
              <button className="btn" onClick={() => jobId && invoke('jobs.cancel', { jobId })}>
                Cancel
              </button>
            </>
          ) : (
            <button className="btn primary" onClick={requestRun} data-testid="run-analysis">
              {o?.source ? 'Re-run analysis' : 'Run analysis'}
            </button>
          )}
          <button className="btn" onClick={() => setShowSent((s) => !s)} aria-pressed={showSent}>
            What was sent
          </button>
        </div>
      }
    />
  );

  if (overview.error && !o) return (<>{header}<ErrorState error={overview.error} onRetry={overview.reload} /></>);
  if (!o) return (<>{header}<Loading rows={6} /></>);

  const avgSatisfaction = o.analysedConversations ? o.satisfaction.reduce((a, s) => a + s.score * s.conversations, 0) / o.analysedConversations : null;
  return (
    <>
      {header}
      {estimate && (
        <div className="banner info" data-testid="run-estimate">
          <span>
            Send {int(estimate.toAnalyse)} of {int(estimate.conversations)} conversations to {estimate.model} ({int(estimate.cached)} cached, redacted first): about{' '}
            {int(estimate.inputTokens)} input + {int(estimate.outputTokens)} output tokens, {estimate.costUsd === null ? 'unknown price' : `about $${estimate.costUsd.toFixed(4)}`}.
          </span>
          <span className="spacer" />
          <button className="btn primary" onClick={start}>
            Send
          </button>
          <button className="btn" onClick={() => setEstimate(null)}>
            Not now
          </button>
        </div>
      )}
      {startError && (
        <div className="banner bad">
          <span>{startError}</span>
        </div>
      )}
      {job?.state === 'failed' && (
        <div className="banner bad">
          <span>The analysis failed: {job.error?.message}</span>
        </div>
      )}
      {o.source === null && !running ? (
        <EmptyState title="No analysis yet" body="Run the analysis to extract intents, blockers, feature requests and satisfaction from the conversations." />
      ) : (
        <>
          <div className="tiles">
            <Tile label="Conversations analysed" value={int(o.analysedConversations)} sub={o.failedConversations ? `${int(o.failedConversations)} failed (retried on the next run)` : undefined} testId="tile-analysed" />
            <Tile label="Analyzer" value={o.source === 'llm' ? 'LLM' : 'Local'} sub={o.lastRun ? `${o.lastRun.model}, ${dateTime(o.lastRun.finishedAt ?? o.lastRun.startedAt)}` : undefined} />
            <Tile label="Average satisfaction" value={avgSatisfaction === null ? '—' : `${dec(avgSatisfaction)}/10`} definition="0–10 from words (praise, thanks, frustration) and behaviour (failures, abandonment, regenerations)." />
            <Tile label="Intent clusters" value={int(o.intents?.clusters.length ?? 0)} sub={o.intents ? `k=${o.intents.k} (${o.intents.chosenBy === 'given' ? 'given' : 'chosen automatically'})` : undefined} />
            <Tile label="Last run cost" value={o.lastRun?.costUsd ? `$${o.lastRun.costUsd.toFixed(4)}` : '$0'} sub={o.lastRun ? `${int(o.lastRun.requests)} requests, ${int(o.lastRun.cached)} cached` : undefined} />
          </div>

          {conversation && <ConversationPanel conversationId={conversation} onClose={() => setConversation(null)} />}

          <Card
            title="What users are trying to do"
            subtitle={
              o.intents
                ? `First message of each conversation, clustered (${o.intents.method === 'embeddings-spectral' ? 'embeddings' : 'TF-IDF'}), named by ${o.intents.namedBy === 'llm' ? 'the LLM' : 'top terms'}${hiddenMessagesNote(o.intents) ? `; ${hiddenMessagesNote(o.intents)}` : ''}.`
                : undefined
            }
          >
            {o.intents ? <ClusterTable view={o.intents} onOpenConversation={setConversation} /> : <EmptyState title="Intent clusters appear after the next run" />}
          </Card>

          <div className="grid grid-2">
            <Card title="Feature requests" subtitle="What users ask for that may not exist, de-duplicated">
              <RankedTable items={o.featureRequests} empty="No feature requests found" testId="feature-requests" tone="accent" />
            </Card>
            <Card title="Blockers" subtitle="Where conversations got stuck, from the events (credits, failed calls, abandoned)">
              <RankedTable items={o.blockers} empty="No blockers found" testId="blockers" tone="bad" />
            </Card>
          </div>
          <Card title="Problems users mentioned" subtitle="Found in what users wrote (not in the events): pricing questions, “it doesn’t work”…">
            <RankedTable items={o.mentionedProblems} empty="Nothing found in the conversations' words" testId="mentioned-problems" tone="bad" />
          </Card>

          <div className="grid grid-2">
            <Card title="Satisfaction" subtitle="Conversations per score (0 = gave up, 10 = delighted)">
              <BarChart label="Conversations per satisfaction score" labels={o.satisfaction.map((s) => String(s.score))} series={[{ label: 'Conversations', data: o.satisfaction.map((s) => s.conversations) }]} height={220} />
            </Card>
            <Card title="Worth reading" subtitle="Low satisfaction first, then users blocked again and again">
              {o.worthReading.length ? (
                <table className="data" data-testid="worth-reading">
                  <tbody>
                    {o.worthReading.slice(0, 8).map((w) => (
                      <tr key={w.conversationId} onClick={() => setConversation(w.conversationId)} style={{ cursor: 'pointer' }}>
                        <td>
                          <div className="strong">“{w.primaryIntent}”</div>
                          <div className="muted small">
                            {w.userId} · {w.why}
                            {w.blockers[0] ? ` · ${w.blockers[0]}` : ''}
                          </div>
                        </td>
                        <td className="num">{w.satisfaction}/10</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <EmptyState title="Nothing alarming" />
              )}
            </Card>
          </div>
        </>
      )}

      <AskPanel llmConfigured={o.llmConfigured} />

      {showSent && (
        <Card title="What was sent to the LLM" subtitle="Exactly what left this machine, after redaction (e-mails, phones, cards, IBANs, national IDs, keys, IPs, addresses)">
          {sent.loading && !sent.data && <Loading />}
          {sent.data && !sent.data.entries.length && <EmptyState title="Nothing has been sent" body={o.llmConfigured ? 'Run the analysis to send conversations.' : 'No LLM is configured: nothing leaves this machine.'} />}
          {sent.data?.entries.map((e, i) => (
            <details key={i}>
              <summary className="small">
                {dateTime(e.sentAt)} · {e.purpose}
                {e.conversationId ? ` · ${e.conversationId.slice(0, 8)}` : ''} · redacted {Object.entries(e.redactions).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing'}
              </summary>
              <pre className="mono small" style={{ whiteSpace: 'pre-wrap' }}>
                {e.payload}
              </pre>
            </details>
          ))}
        </Card>
      )}
    </>
  );
}
