import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

export interface PageDef {
  id: string;
  label: string;
  /** Section in the sidebar. */
  group: 'Dashboard' | 'Users' | 'Insight' | 'Workspace';
  icon: string;
  /** The page honours the global date range and segment filters (the filter bar is shown). */
  filters?: boolean;
  component: LazyExoticComponent<ComponentType<{ params: string[] }>>;
}

/**
 * Every page, in sidebar order (keyboard: 1–9 / 0 jump, [ and ] step). Each page file default-exports a component;
 * pages load lazily so the Overview paints without waiting for the others.
 */
export const pages: PageDef[] = [
  { id: 'overview', filters: true, label: 'Overview', group: 'Dashboard', icon: '◎', component: lazy(() => import('./pages/Overview.js')) },
  { id: 'journey', filters: true, label: 'Journey', group: 'Dashboard', icon: '⇢', component: lazy(() => import('./pages/Journey.js')) },
  { id: 'retention', filters: true, label: 'Retention', group: 'Dashboard', icon: '▦', component: lazy(() => import('./pages/Retention.js')) },
  { id: 'usage', filters: true, label: 'Usage & failures', group: 'Dashboard', icon: '⚠', component: lazy(() => import('./pages/Usage.js')) },
  { id: 'credits', filters: true, label: 'Credits', group: 'Dashboard', icon: '◈', component: lazy(() => import('./pages/Credits.js')) },
  { id: 'users', filters: true, label: 'Users', group: 'Users', icon: '☰', component: lazy(() => import('./pages/Users.js')) },
  { id: 'live', label: 'Live', group: 'Insight', icon: '●', component: lazy(() => import('./pages/Live.js')) },
  { id: 'intelligence', label: 'Intelligence', group: 'Insight', icon: '✦', component: lazy(() => import('./pages/Intelligence.js')) },
  { id: 'reports', label: 'Reports', group: 'Insight', icon: '▤', component: lazy(() => import('./pages/Reports.js')) },
  { id: 'settings', label: 'Settings', group: 'Workspace', icon: '⚙', component: lazy(() => import('./pages/Settings.js')) },
];
