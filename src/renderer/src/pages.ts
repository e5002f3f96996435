import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

export interface PageDef {
  id: string;
  label: string;
  /** Section in the sidebar. */
  group: 'Dashboard' | 'Users' | 'Insight' | 'Workspace';
  icon: string;
  component: LazyExoticComponent<ComponentType<{ params: string[] }>>;
}

/**
 * Every page, in sidebar order (keyboard: 1–9 / 0 jump, [ and ] step). Each page file default-exports a component;
 * pages load lazily so the Overview paints without waiting for the others.
 */
export const pages: PageDef[] = [
  { id: 'overview', label: 'Overview', group: 'Dashboard', icon: '◎', component: lazy(() => import('./pages/Overview.js')) },
  { id: 'journey', label: 'Journey', group: 'Dashboard', icon: '⇢', component: lazy(() => import('./pages/Journey.js')) },
  { id: 'retention', label: 'Retention', group: 'Dashboard', icon: '▦', component: lazy(() => import('./pages/Retention.js')) },
  { id: 'usage', label: 'Usage & failures', group: 'Dashboard', icon: '⚠', component: lazy(() => import('./pages/Usage.js')) },
  { id: 'credits', label: 'Credits', group: 'Dashboard', icon: '◈', component: lazy(() => import('./pages/Credits.js')) },
  { id: 'users', label: 'Users', group: 'Users', icon: '☰', component: lazy(() => import('./pages/Users.js')) },
  { id: 'live', label: 'Live', group: 'Insight', icon: '●', component: lazy(() => import('./pages/Live.js')) },
  { id: 'intelligence', label: 'Intelligence', group: 'Insight', icon: '✦', component: lazy(() => import('./pages/Intelligence.js')) },
  { id: 'reports', label: 'Reports', group: 'Insight', icon: '⎙', component: lazy(() => import('./pages/Reports.js')) },
  { id: 'settings', label: 'Settings', group: 'Workspace', icon: '⚙', component: lazy(() => import('./pages/Settings.js')) },
];
