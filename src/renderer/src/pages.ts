import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import { PAGES, type PageInfo } from '../../shared/pages.js';
import { pageLoaders } from './page-loaders.js';

export interface PageDef extends PageInfo {
  component: LazyExoticComponent<ComponentType<{ params: string[] }>>;
  /** Starts loading the page's code (the first page is fetched in parallel with the app's own start-up). */
  preload(): void;
}

/**
 * Every page, in sidebar order (keyboard: 1–9 / 0 jump, [ and ] step), from the one list in src/shared/pages.ts. Each
 * page file default-exports a component; pages load lazily so the Overview paints without waiting for the others.
 * React.lazy takes the page's memoized import (page-loaders.ts), so the boot entry, preload() and the first render
 * share one request.
 */
export const pages: PageDef[] = PAGES.map((def) => {
  const load = pageLoaders[def.id];
  return { ...def, component: lazy(load), preload: () => void load() };
});
