import { pct } from '../../../shared/format.js';

export interface HeatCell {
  rate: number | null;
  /** Tooltip: the counts behind the rate. */
  title?: string;
  partial?: boolean;
}

/** Rows × columns of rates (0..1) as coloured cells; empty cells (window not started) stay blank. */
export function Heatmap({ rows, columns, label, rowHeader }: { rows: Array<{ label: string; sub?: string; cells: Array<HeatCell | null> }>; columns: string[]; label: string; rowHeader: string }) {
  return (
    <div className="heatmap-wrap">
      <table className="heatmap" aria-label={label}>
        <thead>
          <tr>
            <th>{rowHeader}</th>
            {columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.label}>
              <th scope="row">
                {r.label}
                {r.sub && <span className="heat-sub">{r.sub}</span>}
              </th>
              {columns.map((c, i) => {
                const cell = r.cells[i];
                if (!cell || cell.rate === null) return <td key={c} className="heat-empty" />;
                const alpha = 0.08 + 0.82 * Math.min(1, Math.max(0, cell.rate));
                return (
                  <td
                    key={c}
                    title={cell.title}
                    className={`heat-cell ${cell.partial ? 'partial' : ''} ${alpha > 0.5 ? 'strong' : ''}`}
                    style={{ background: `rgba(99, 102, 241, ${alpha.toFixed(3)})` }}
                  >
                    {pct(cell.rate)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
