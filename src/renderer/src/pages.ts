import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

export interface PageDef {
  id: string;
  label: string;
  /** Section in the sidebar. */
  group: 'Dashboard' | 'Users' | 'Insight' | 'Workspace';
  icon: string;
  /** The page honours the global date range and segment filters (the filter bar is shown). */
  filters?: boolean;
  /** The page shows the shared dashboard computation (analytics.dashboard). */
  dashboard?: boolean;
  component: LazyExoticComponent<ComponentType<{ params: string[] }>>;
  /** Starts loading the page's code (the first page is fetched in parallel with the app's own start-up). */
  preload(): void;
}

type PageModule = { default: ComponentType<{ params: string[] }> };
/** React.lazy over a memoized import, so preload() and the first render share one request. */
function page(def: Omit<PageDef, 'component' | 'preload'>, load: () => Promise<PageModule>): PageDef {
  let pending: Promise<PageModule> | null = null;
  const once = () => (pending ??= load());
  return { ...def, component: lazy(once), preload: () => void once() };
}

/**
 * Every page, in sidebar order (keyboard: 1–9 / 0 jump, [ and ] step). Each page file default-exports a component;
 * pages load lazily so the Overview paints without waiting for the others.
 */
export const pages: PageDef[] = [
  page({ id: 'overview', filters: true, dashboard: true, label: 'Overview', group: 'Dashboard', icon: '◎' }, () => import('./pages/Overview.js')),
  page({ id: 'journey', filters: true, dashboard: true, label: 'Journey', group: 'Dashboard', icon: '⇢' }, () => import('./pages/Journey.js')),
  page({ id: 'retention', filters: true, dashboard: true, label: 'Retention', group: 'Dashboard', icon: '▦' }, () => import('./pages/Retention.js')),
  page({ id: 'usage', filters: true, dashboard: true, label: 'Usage & failures', group: 'Dashboard', icon: '⚠' }, () => import('./pages/Usage.js')),
  page({ id: 'credits', filters: true, dashboard: true, label: 'Credits', group: 'Dashboard', icon: '◈' }, () => import('./pages/Credits.js')),
  page({ id: 'users', filters: true, label: 'Users', group: 'Users', icon: '☰' }, () => import('./pages/Users.js')),
  page({ id: 'live', label: 'Live', group: 'Insight', icon: '●' }, () => import('./pages/Live.js')),
  page({ id: 'intelligence', label: 'Intelligence', group: 'Insight', icon: '✦' }, () => import('./pages/Intelligence.js')),
  page({ id: 'reports', label: 'Reports', group: 'Insight', icon: '▤' }, () => import('./pages/Reports.js')),
  page({ id: 'settings', label: 'Settings', group: 'Workspace', icon: '⚙' }, () => import('./pages/Settings.js')),
];
