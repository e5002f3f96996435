/** Small numeric helpers the query runners share. */
import type { CubeRow } from './user-states.js';

/** The p-th percentile of n sorted values (linear between neighbours), given the value at each rank. */
export function percentile(n: number, p: number, at: (rank: number) => number): number | null {
  if (n === 0) return null;
  const idx = (n - 1) * p;
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return at(lo) + (at(hi) - at(lo)) * (idx - lo);
}

export const round = (x: number | null, digits = 4) => (x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits);

export function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

export function sum(rows: CubeRow[], pick: (r: CubeRow) => number): number {
  let total = 0;
  for (const r of rows) total += pick(r);
  return total;
}
