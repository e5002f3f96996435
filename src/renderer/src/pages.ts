import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import { DASHBOARD_PAGES, pageLoaders } from './page-loaders.js';

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

/** React.lazy over the page's memoized import (page-loaders.ts), so the boot entry, preload() and the first render share one request. */
function page(def: Omit<PageDef, 'component' | 'preload' | 'dashboard'>): PageDef {
  const load = pageLoaders[def.id];
  return { ...def, dashboard: DASHBOARD_PAGES.has(def.id), component: lazy(load), preload: () => void load() };
}

/**
 * Every page, in sidebar order (keyboard: 1–9 / 0 jump, [ and ] step). Each page file default-exports a component;
 * pages load lazily so the Overview paints without waiting for the others.
 */
export const pages: PageDef[] = [
  page({ id: 'overview', filters: true, label: 'Overview', group: 'Dashboard', icon: '◎' }),
  page({ id: 'journey', filters: true, label: 'Journey', group: 'Dashboard', icon: '⇢' }),
  page({ id: 'retention', filters: true, label: 'Retention', group: 'Dashboard', icon: '▦' }),
  page({ id: 'usage', filters: true, label: 'Usage & failures', group: 'Dashboard', icon: '⚠' }),
  page({ id: 'credits', filters: true, label: 'Credits', group: 'Dashboard', icon: '◈' }),
  page({ id: 'users', filters: true, label: 'Users', group: 'Users', icon: '☰' }),
  page({ id: 'live', label: 'Live', group: 'Insight', icon: '●' }),
  page({ id: 'intelligence', label: 'Intelligence', group: 'Insight', icon: '✦' }),
  page({ id: 'reports', label: 'Reports', group: 'Insight', icon: '▤' }),
  page({ id: 'settings', label: 'Settings', group: 'Workspace', icon: '⚙' }),
];
