/** Number formatting shared by every page: the same value always reads the same way. */
const intFmt = new Intl.NumberFormat('en-US');
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export const int = (n: number | null | undefined) => (n === null || n === undefined ? '—' : intFmt.format(Math.round(n)));
export const dec = (n: number | null | undefined, digits = 1) =>
  n === null || n === undefined ? '—' : new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(n);
/** A fraction 0..1 as a percentage, whole numbers (the seed shows "23%"). */
export const pct = (rate: number | null | undefined) => (rate === null || rate === undefined ? '—' : `${Math.round(rate * 100)}%`);
export const pct1 = (rate: number | null | undefined) => (rate === null || rate === undefined ? '—' : `${oneDecimal.format(rate * 100)}%`);
export const ratioText = (r: { count: number; total: number }) => `${int(r.count)}/${int(r.total)}`;

export function hours(h: number | null | undefined): string {
  if (h === null || h === undefined) return '—';
  if (h < 1) return `${Math.round(h * 60)} min`;
  if (h < 48) return `${oneDecimal.format(h)} h`;
  return `${oneDecimal.format(h / 24)} days`;
}

export function minutes(m: number | null | undefined): string {
  if (m === null || m === undefined) return '—';
  return m < 1 ? `${Math.round(m * 60)} s` : `${oneDecimal.format(m)} min`;
}

const dayFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
const dayYearFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
const dateTimeFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' });

/** Days are UTC calendar days (YYYY-MM-DD), as the engine computes them. */
export const day = (d: string | null | undefined) => (d ? dayFmt.format(new Date(d.slice(0, 10) + 'T00:00:00Z')) : '—');
export const dayYear = (d: string | null | undefined) => (d ? dayYearFmt.format(new Date(d.slice(0, 10) + 'T00:00:00Z')) : '—');
export const dateTime = (iso: string | null | undefined) => (iso ? `${dateTimeFmt.format(new Date(iso))} UTC` : '—');

export function age(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return 'never';
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

/** snake_case identifiers from the data (use cases, statuses) as words. */
export const label = (s: string | null | undefined) => (s ? s.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase()) : '—');
