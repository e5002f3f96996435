import {
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  Filler,
  Legend,
  LinearScale,
  LineElement,
  PointElement,
  Tooltip,
  type ChartData,
  type ChartOptions,
} from 'chart.js';
import { useMemo } from 'react';
import { Bar, Line } from 'react-chartjs-2';
import { cssVar, SERIES, useColorScheme } from '../theme.js';

ChartJS.register(CategoryScale, LinearScale, PointElement, LineElement, BarElement, Tooltip, Legend, Filler);

export interface Series {
  label: string;
  data: Array<number | null>;
  color?: string;
  /** Right-hand axis (e.g. signups beside active users). */
  axis?: 'y' | 'y2';
  fill?: boolean;
}

function useBaseOptions(opts: { percent?: boolean; stacked?: boolean; horizontal?: boolean; y2?: boolean; legend?: boolean; titles?: [string, string] }) {
  const scheme = useColorScheme();
  return useMemo(() => {
    const text = cssVar('--text-2');
    const grid = cssVar('--border');
    const tick = (v: string | number) => (opts.percent ? `${Math.round(Number(v) * 100)}%` : Number(v).toLocaleString('en-US'));
    const valueAxis = { beginAtZero: true, grid: { color: grid }, border: { display: false }, ticks: { color: text, callback: tick, maxTicksLimit: 6 }, stacked: opts.stacked, max: opts.percent ? 1 : undefined };
    const catAxis = { grid: { display: false }, border: { color: grid }, ticks: { color: text, maxRotation: 0, autoSkipPadding: 12 }, stacked: opts.stacked };
    const options: ChartOptions<'line' | 'bar'> = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      indexAxis: opts.horizontal ? 'y' : 'x',
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { display: opts.legend ?? true, position: 'bottom', labels: { color: text, boxWidth: 10, boxHeight: 10, usePointStyle: true } },
        tooltip: {
          callbacks: opts.percent
            ? { label: (c) => `${c.dataset.label}: ${c.parsed[opts.horizontal ? 'x' : 'y'] === null ? '—' : Math.round((c.parsed[opts.horizontal ? 'x' : 'y'] as number) * 1000) / 10 + '%'}` }
            : {},
        },
      },
      scales: opts.horizontal
        ? { x: valueAxis, y: catAxis }
        : {
            x: catAxis,
            y: { ...valueAxis, title: { display: !!opts.titles, text: opts.titles?.[0], color: text } },
            ...(opts.y2 ? { y2: { ...valueAxis, position: 'right' as const, grid: { display: false }, title: { display: !!opts.titles, text: opts.titles?.[1], color: text } } } : {}),
          },
    };
    return options;
    // scheme: re-read the CSS variables when the OS theme flips
  }, [scheme, opts.percent, opts.stacked, opts.horizontal, opts.y2, opts.legend, opts.titles?.[0], opts.titles?.[1]]);
}

function toData(labels: string[], series: Series[], kind: 'line' | 'bar'): ChartData<'line' | 'bar'> {
  return {
    labels,
    datasets: series.map((s, i) => {
      const color = s.color ?? SERIES[i % SERIES.length];
      return {
        label: s.label,
        data: s.data,
        borderColor: color,
        backgroundColor: kind === 'bar' ? color : color + '22',
        fill: s.fill ?? false,
        tension: 0.25,
        cubicInterpolationMode: 'monotone' as const,
        // Lines hide their points, except a lone value (a one-day range): with no neighbour there is no line to draw.
        pointRadius: kind === 'line' && s.data.filter((v) => v !== null && v !== undefined).length === 1 ? 4 : 0,
        pointHoverRadius: 4,
        pointBackgroundColor: color,
        borderWidth: kind === 'line' ? 2 : 0,
        borderRadius: kind === 'bar' ? 4 : 0,
        maxBarThickness: 28,
        yAxisID: s.axis,
        spanGaps: true,
      };
    }),
  };
}

export function LineChart({ labels, series, percent, height = 260, label }: { labels: string[]; series: Series[]; percent?: boolean; height?: number; label: string }) {
  const y2 = series.find((s) => s.axis === 'y2');
  // With two axes, each is titled by its series so nobody reads signups on the active-users scale.
  const options = useBaseOptions({ percent, y2: !!y2, titles: y2 ? [series.find((s) => s.axis !== 'y2')?.label ?? '', y2.label] : undefined });
  // One day on the axis: centre it instead of pinning its point to the left edge.
  const lineOptions = useMemo(() => (labels.length === 1 ? { ...options, scales: { ...options.scales, x: { ...options.scales?.x, offset: true } } } : options), [options, labels.length]);
  return (
    <div className="chart-box" style={{ height }} role="img" aria-label={label}>
      <Line data={toData(labels, series, 'line') as ChartData<'line'>} options={lineOptions as ChartOptions<'line'>} />
    </div>
  );
}

export function BarChart({ labels, series, percent, stacked, horizontal, height = 260, label }: { labels: string[]; series: Series[]; percent?: boolean; stacked?: boolean; horizontal?: boolean; height?: number; label: string }) {
  const options = useBaseOptions({ percent, stacked, horizontal, legend: series.length > 1 });
  return (
    <div className="chart-box" style={{ height }} role="img" aria-label={label}>
      <Bar data={toData(labels, series, 'bar') as ChartData<'bar'>} options={options as ChartOptions<'bar'>} />
    </div>
  );
}
