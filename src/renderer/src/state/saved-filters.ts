import type { Filters } from '../../../shared/metrics.js';

// Kept for this tab, so a reload keeps the founder's view. No React here: the boot entry reads them for its prefetch.
const STORAGE_KEY = 'uis.filters';

export function loadFilters(): Filters {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '{}') as Filters;
  } catch {
    return {};
  }
}

export function saveFilters(filters: Filters): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(filters));
}
