import type { ReactNode } from 'react';
import type { Dashboard } from '../../../shared/metrics.js';
import { useDashboard } from '../state/dashboard.js';
import { useFilters } from '../state/filters.js';
import { EmptyState, ErrorState, Loading } from './ui.js';

/** Loading, error and empty states for every dashboard page, designed once. */
export function WithDashboard({ children, isEmpty }: { children: (d: Dashboard) => ReactNode; isEmpty?: (d: Dashboard) => boolean }) {
  const { data, error, loading, reload } = useDashboard();
  const { setFilters } = useFilters();
  if (!data && loading) return <Loading rows={6} label="Computing the dashboard…" />;
  if (!data && error) return <ErrorState error={error} onRetry={reload} />;
  if (!data) return <Loading rows={6} />;
  const empty = isEmpty ? isEmpty(data) : data.summary.totals.users === 0;
  return (
    <div className={`dash ${loading ? 'refreshing' : ''}`} aria-busy={loading}>
      {error && <div className="banner bad">Could not refresh: {error.message}</div>}
      {empty ? (
        <EmptyState
          title="No data for these filters"
          body="Nobody in this segment was active in the selected range."
          action={
            <button className="btn" onClick={() => setFilters({})}>
              Reset filters
            </button>
          }
        />
      ) : (
        children(data)
      )}
    </div>
  );
}

export function rangeText(d: Dashboard): string {
  return d.range.since ? `${d.range.since} → ${d.range.until}` : `All time → ${d.range.until}`;
}
