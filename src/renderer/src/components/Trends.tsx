import { useRpc } from '../api/hooks.js';
import { day, pct } from '../../../shared/format.js';
import { useFilters } from '../state/filters.js';
import { useWorkspace } from '../state/workspace.js';
import { SERIES } from '../theme.js';
import { BarChart } from './charts.js';
import { ErrorState, Loading } from './ui.js';

function useTrends() {
  const { filters } = useFilters();
  const { version } = useWorkspace();
  return useRpc('analytics.trends', { filters }, [version]);
}

/** Tool calls per week, stacked by tool (the engine's error-rate-by-tool table, week by week). */
export function ToolUsageTrend() {
  const { data, error, reload } = useTrends();
  if (error && !data) return <ErrorState error={error} onRetry={reload} />;
  if (!data) return <Loading rows={4} />;
  const tools = [...new Set(data.weeks.flatMap((w) => w.tools.map((t) => t.tool)))];
  return (
    <div data-testid="tool-usage-trend">
      <BarChart
        stacked
        label="Tool calls per week by tool"
        labels={data.weeks.map((w) => `Wk of ${day(w.week)}`)}
        series={tools.map((tool, i) => ({ label: tool, data: data.weeks.map((w) => w.tools.find((t) => t.tool === tool)?.calls ?? 0), color: SERIES[i % SERIES.length] }))}
      />
    </div>
  );
}

/** Share of each week's active users who hit the credit wall that week. */
export function ExhaustionTrend() {
  const { data, error, reload } = useTrends();
  if (error && !data) return <ErrorState error={error} onRetry={reload} />;
  if (!data) return <Loading rows={4} />;
  return (
    <div data-testid="exhaustion-trend">
      <BarChart
        percent
        height={220}
        label="Credit exhaustion rate per week"
        labels={data.weeks.map((w) => `Wk of ${day(w.week)}`)}
        series={[{ label: 'Active users who ran out', data: data.weeks.map((w) => w.ranOutRate), color: '#f59e0b' }]}
      />
      <div className="muted small trend-foot">
        {data.weeks.map((w) => `${day(w.week)}: ${w.ranOutUsers}/${w.activeUsers} (${pct(w.ranOutRate)})`).join(' · ')}
      </div>
    </div>
  );
}
