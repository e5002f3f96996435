/**
 * The analytics engine's result caches, kept while the snapshot is unchanged: per-user states per `until`, sorted user
 * lists per users-table view, whole dashboards and trend weeks per filter set, the filter bar's options. The version
 * is the connection's own change count (less the engines' temp-table writes) plus SQLite's data_version (commits by
 * other connections): a sync, the demo writer or an AI write-back between two calls empties them (Planner.scoped reads it).
 */
import type { Dashboard, FilterOptions } from '../../shared/metrics.js';
import type { WeekTrend } from './runners/trends.js';
import type { UserState } from './user-states.js';

/** Dashboards kept per filter set (the trends' 26 weekly dashboards fit), user-state lists per `until` (one object
 * per user: a few are enough for the current range and the users table) and sorted user lists per users-table view. */
export const DASHBOARD_CACHE_ENTRIES = 64;
export const USER_STATE_CACHE_ENTRIES = 4;
export const USER_LIST_CACHE_ENTRIES = 8;

/** Adds to a bounded cache, dropping the oldest entry when full. */
export function remember<K, V>(cache: Map<K, V>, key: K, value: V, max: number): V {
  if (cache.size >= max) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

/** Frozen: every caller shares a cached object, so a caller that mutated it would fail loudly, not corrupt it. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export class ResultCache {
  readonly userStates = new Map<string, UserState[]>();
  readonly userLists = new Map<string, UserState[]>();
  readonly dashboards = new Map<string, Dashboard>();
  readonly trends = new Map<string, WeekTrend>();
  filterOptions: FilterOptions | null = null;
  private version = '';

  /** Before a scope: everything goes when the data changed since the last one. */
  check(version: string): void {
    if (version === this.version) return;
    this.userStates.clear();
    this.userLists.clear();
    this.dashboards.clear();
    this.trends.clear();
    this.filterOptions = null;
    this.version = version;
  }
}
