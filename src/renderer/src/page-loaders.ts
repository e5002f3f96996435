/**
 * Each page's code, as a memoized dynamic import: the boot entry starts the first page's download before React has
 * loaded, and React.lazy (pages.ts) takes the same request. No React here, so the boot entry stays tiny.
 */
import { PAGES, type PageId } from '../../shared/pages.js';

type PageModule = { default: import('react').ComponentType<{ params: string[] }> };

function once(load: () => Promise<PageModule>): () => Promise<PageModule> {
  let pending: Promise<PageModule> | null = null;
  return () => (pending ??= load());
}

export const pageLoaders: Record<PageId, () => Promise<PageModule>> = {
  overview: once(() => import('./pages/Overview.js')),
  journey: once(() => import('./pages/Journey.js')),
  retention: once(() => import('./pages/Retention.js')),
  usage: once(() => import('./pages/Usage.js')),
  credits: once(() => import('./pages/Credits.js')),
  users: once(() => import('./pages/Users.js')),
  live: once(() => import('./pages/Live.js')),
  intelligence: once(() => import('./pages/Intelligence.js')),
  reports: once(() => import('./pages/Reports.js')),
  settings: once(() => import('./pages/Settings.js')),
};

/** Pages that show the shared dashboard computation (analytics.dashboard). */
export const DASHBOARD_PAGES: ReadonlySet<string> = new Set(PAGES.filter((p) => 'dashboard' in p && p.dashboard).map((p) => p.id));

/** The loader of a route's page, if the route names one. */
export function loaderOf(page: string): (() => Promise<PageModule>) | undefined {
  return Object.prototype.hasOwnProperty.call(pageLoaders, page) ? pageLoaders[page as PageId] : undefined;
}
