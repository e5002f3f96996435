/** Events per second over the last minute: a tiny SVG (redrawn every batch, so no chart library). */
export function Sparkline({ values, width = 240, height = 44, label }: { values: number[]; width?: number; height?: number; label: string }) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 6)).toFixed(1)}`).join(' ');
  return (
    <svg className="live-spark" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <polyline points={`0,${height} ${points} ${width},${height}`} className="live-spark-area" />
      <polyline points={points} className="live-spark-line" />
    </svg>
  );
}
