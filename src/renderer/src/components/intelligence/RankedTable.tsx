import type { RankedItem } from '../../../../shared/intelligence.js';
import { day, int } from '../../../../shared/format.js';
import { hrefTo } from '../../router.js';
import { EmptyState, ShareBar } from '../ui.js';
import { TrendBars } from './TrendBars.js';

/** Feature requests or blockers: de-duplicated, counted, trending, linked to the users concerned. */
export function RankedTable({ items, empty, testId, tone }: { items: RankedItem[]; empty: string; testId: string; tone: 'accent' | 'bad' }) {
  if (!items.length) return <EmptyState title={empty} />;
  const max = Math.max(...items.map((i) => i.count));
  return (
    <table className="data" data-testid={testId}>
      <thead>
        <tr>
          <th>What</th>
          <th className="num">Times</th>
          <th className="num">Users</th>
          <th>Trend (weekly)</th>
          <th>Who</th>
        </tr>
      </thead>
      <tbody>
        {items.slice(0, 10).map((item) => (
          <tr key={item.text}>
            <td>
              <div className="strong">{item.text}</div>
              <ShareBar value={item.count / max} tone={tone} />
            </td>
            <td className="num">{int(item.count)}</td>
            <td className="num">{int(item.userCount)}</td>
            <td title={item.lastSeen ? `last seen ${day(item.lastSeen)}` : undefined}>
              <TrendBars points={item.trend.map((t) => ({ label: t.week, value: t.count }))} />
            </td>
            <td>
              {item.users.slice(0, 2).map((u) => (
                <a key={u} className="chip" href={hrefTo('users', u)}>
                  {u}
                </a>
              ))}
              {item.userCount > 2 && <span className="muted small">+{item.userCount - 2}</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
