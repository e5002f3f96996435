import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useRpc, type RpcState } from '../api/hooks.js';
import { pages } from '../pages.js';
import { parseRoute } from '../router.js';
import type { Dashboard } from '../../../shared/metrics.js';
import { useFilters } from './filters.js';
import { useWorkspace } from './workspace.js';

const Ctx = createContext<{ state: RpcState<Dashboard>; want(): void } | null>(null);

/**
 * One dashboard computation for the current filters, shared by Overview, Journey, Retention, Usage and Credits, so
 * moving between them is instant and they can never disagree. Fetched only once a page asks for it (the Users and
 * Settings pages don't pay for it), and again when the filters or the workspace change.
 */
export function DashboardProvider({ children }: { children: ReactNode }) {
  const { filters } = useFilters();
  const { version } = useWorkspace();
  // Opening the app on a dashboard page starts the computation at once, in parallel with loading the page's code.
  const [wanted, setWanted] = useState(() => pages.some((p) => p.dashboard && p.id === parseRoute(window.location.hash).page));
  const state = useRpc('analytics.dashboard', wanted ? { filters } : null, [version]);
  return <Ctx.Provider value={{ state, want: () => setWanted(true) }}>{children}</Ctx.Provider>;
}

export function useDashboard(): RpcState<Dashboard> {
  const v = useContext(Ctx);
  if (!v) throw new Error('useDashboard outside DashboardProvider');
  const { want } = v;
  useEffect(want, [want]);
  return v.state;
}
