import type { DigestKind } from '../../shared/digest.js';
import { addDays, weekStart } from '../../shared/metrics.js';

/** Today's date (YYYY-MM-DD) as a wall clock in `timeZone` shows it. */
export function localDate(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

export interface DigestPeriod {
  kind: DigestKind;
  key: string;
  since: string;
  until: string;
  /** The period before, same length: the key numbers' change is measured against it. */
  previous: { since: string; until: string };
  /** What anomalies are measured against: the 7 days before (a single day is too noisy a baseline). */
  baseline: { since: string; until: string };
}

/**
 * The last complete period on the local calendar of `timeZone`: yesterday (daily) or last Monday–Sunday (weekly).
 * The dates then select whole UTC days in the snapshot (the analytics engine counts UTC days).
 */
export function lastCompletePeriod(kind: DigestKind, now: Date, timeZone: string): DigestPeriod {
  const today = localDate(now, timeZone);
  if (kind === 'daily') return periodEndingOn('daily', addDays(today, -1));
  return periodEndingOn('weekly', addDays(weekStart(today), -1));
}

export function periodEndingOn(kind: DigestKind, until: string): DigestPeriod {
  if (kind === 'daily') {
    const day = { since: addDays(until, -1), until: addDays(until, -1) };
    return { kind, key: `daily:${until}`, since: until, until, previous: day, baseline: { since: addDays(until, -7), until: addDays(until, -1) } };
  }
  const since = weekStart(until);
  const end = addDays(since, 6);
  const week = { since: addDays(since, -7), until: addDays(since, -1) };
  return { kind, key: `weekly:${since}`, since, until: end, previous: week, baseline: week };
}
