/**
 * The workbench's pages, declared once, in sidebar order: the renderer's sidebar and routes (src/renderer/src/pages.ts),
 * its code loaders (page-loaders.ts, typed by PageId so a page without code fails the type check) and the desktop app's
 * Go menu (src/main/electron/main.ts) all read this list.
 */
export interface PageInfo {
  id: string;
  label: string;
  /** Section in the sidebar. */
  group: 'Dashboard' | 'Users' | 'Insight' | 'Workspace';
  icon: string;
  /** The page honours the global date range and segment filters (the filter bar is shown). */
  filters?: boolean;
  /** The page shows the shared dashboard computation (analytics.dashboard). */
  dashboard?: boolean;
}

export const PAGES = [
  { id: 'overview', label: 'Overview', group: 'Dashboard', icon: '◎', filters: true, dashboard: true },
  { id: 'journey', label: 'Journey', group: 'Dashboard', icon: '⇢', filters: true, dashboard: true },
  { id: 'retention', label: 'Retention', group: 'Dashboard', icon: '▦', filters: true, dashboard: true },
  { id: 'usage', label: 'Usage & failures', group: 'Dashboard', icon: '⚠', filters: true, dashboard: true },
  { id: 'credits', label: 'Credits', group: 'Dashboard', icon: '◈', filters: true, dashboard: true },
  { id: 'users', label: 'Users', group: 'Users', icon: '☰', filters: true },
  { id: 'live', label: 'Live', group: 'Insight', icon: '●' },
  { id: 'intelligence', label: 'Intelligence', group: 'Insight', icon: '✦' },
  { id: 'reports', label: 'Reports', group: 'Insight', icon: '▤' },
  { id: 'settings', label: 'Settings', group: 'Workspace', icon: '⚙' },
] as const satisfies readonly PageInfo[];

export type PageId = (typeof PAGES)[number]['id'];

/** The page's number key (1–9, then 0), as the workbench's keyboard and the desktop menu use it; null past the tenth. */
export function pageKey(index: number): string | null {
  return index < 10 ? String((index + 1) % 10) : null;
}
