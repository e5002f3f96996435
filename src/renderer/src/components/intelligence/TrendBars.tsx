/** A tiny inline bar chart (weekly counts) that fits a table cell; the full numbers are in the tooltip. */
export function TrendBars({ points }: { points: Array<{ label: string; value: number }> }) {
  if (!points.length) return <span className="muted">—</span>;
  const max = Math.max(1, ...points.map((p) => p.value));
  const shown = points.slice(-12);
  return (
    <span
      role="img"
      aria-label={shown.map((p) => `week of ${p.label}: ${p.value}`).join(', ')}
      title={shown.map((p) => `${p.label}: ${p.value}`).join('\n')}
      style={{ display: 'inline-flex', alignItems: 'flex-end', gap: 2, height: 22 }}
    >
      {shown.map((p) => (
        <span key={p.label} style={{ width: 6, height: `${Math.max(2, Math.round((p.value / max) * 22))}px`, background: 'var(--accent)', borderRadius: 1, opacity: 0.85 }} />
      ))}
    </span>
  );
}
