import { Fragment, useState } from 'react';
import type { IntentClustersView } from '../../../../shared/intelligence.js';
import { dec, int, pct } from '../../../../shared/format.js';
import { EmptyState, ShareBar } from '../ui.js';
import { TrendBars } from './TrendBars.js';

/** Intent clusters with size, share, weekly trend and business outcome; a row opens its examples and conversations. */
export function ClusterTable({ view, onOpenConversation }: { view: IntentClustersView; onOpenConversation: (id: string) => void }) {
  const [open, setOpen] = useState<number | null>(null);
  if (!view.clusters.length) return <EmptyState title="No cluster large enough to show" body={`Groups with fewer than ${view.minUsers} users are hidden so no cluster exposes one person.`} />;
  return (
    <table className="data" data-testid="intent-clusters">
      <thead>
        <tr>
          <th>Intent</th>
          <th>Share</th>
          <th className="num">Messages</th>
          <th className="num">Users</th>
          <th>Trend</th>
          <th className="num" title="Share of the cluster's users who created something">Activation</th>
          <th className="num" title="Share of the cluster's users active exactly 7 days after signup">Day-7</th>
          <th className="num">Credits / conv.</th>
          <th className="num" title="Failed tool calls / tool calls in these conversations">Error rate</th>
        </tr>
      </thead>
      <tbody>
        {view.clusters.map((c) => (
          <Fragment key={c.id}>
            <tr onClick={() => setOpen(open === c.id ? null : c.id)} style={{ cursor: 'pointer' }} aria-expanded={open === c.id} data-testid="intent-row">
              <td>
                <span className="caret">{open === c.id ? '▾' : '▸'}</span> <span className="strong">{c.label}</span>
                <div className="muted small">{c.topTerms.join(', ')}</div>
              </td>
              <td style={{ minWidth: 90 }}>
                {pct(c.share)}
                <ShareBar value={c.share} />
              </td>
              <td className="num">{int(c.messages)}</td>
              <td className="num">{int(c.users)}</td>
              <td>
                <TrendBars points={c.trend.map((t) => ({ label: t.week, value: t.messages }))} />
              </td>
              <td className="num">{pct(c.outcome.activationRate)}</td>
              <td className="num">{pct(c.outcome.day7Retention)}</td>
              <td className="num">{dec(c.outcome.creditsPerConversation)}</td>
              <td className={`num ${c.outcome.errorRate !== null && c.outcome.errorRate > 0.15 ? 'warn-text' : ''}`}>{pct(c.outcome.errorRate)}</td>
            </tr>
            {open === c.id && (
              <tr>
                <td colSpan={9}>
                  <div className="small">
                    <strong>Examples</strong>
                    <ul>
                      {c.examples.map((e) => (
                        <li key={e}>“{e}”</li>
                      ))}
                    </ul>
                    <strong>Conversations</strong>{' '}
                    {c.conversationIds.slice(0, 12).map((id) => (
                      <button key={id} className="chip" onClick={() => onOpenConversation(id)} data-testid="conversation-chip">
                        {id.slice(0, 8)}
                      </button>
                    ))}
                    {c.conversationIds.length > 12 && <span className="muted"> +{c.conversationIds.length - 12}</span>}
                  </div>
                </td>
              </tr>
            )}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}
