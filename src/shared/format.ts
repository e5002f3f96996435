/**
 * Number and date formatting for every page, the investor report (HTML, PDF, Markdown), the digest and the CLI's
 * report: the same value always reads the same way. One glyph for "no value" (NONE), one percent precision (at most
 * one decimal: "23%", "23.4%").
 * Whole numbers and dates are formatted by hand: the first Intl formatter of a page costs 50–70 ms (ICU starting up)
 * on this machine's Chromium, on the path to every page's first numbers. Decimals keep Intl, created on first use.
 */
const decimalFormats = new Map<number, Intl.NumberFormat>();
const decimalFormat = (digits: number) => {
  let f = decimalFormats.get(digits);
  if (!f) decimalFormats.set(digits, (f = new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })));
  return f;
};
const oneDecimal = (n: number) => decimalFormat(1).format(n);

/** 1234567 → "1,234,567" (en-US grouping), as Intl.NumberFormat('en-US') writes a whole number. */
export function groupThousands(n: number): string {
  const r = Math.round(n);
  const digits = String(Math.abs(r)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return r < 0 || Object.is(r, -0) ? `-${digits}` : digits;
}

/** What a missing value (null, undefined, NaN) reads as, everywhere. */
export const NONE = '—';
const missing = (n: number | null | undefined): n is null | undefined => n === null || n === undefined || Number.isNaN(n);

export const int = (n: number | null | undefined) => (missing(n) ? NONE : groupThousands(n));
export const dec = (n: number | null | undefined, digits = 1) => (missing(n) ? NONE : decimalFormat(digits).format(n));
/** A fraction 0..1 as a percentage with at most one decimal: 0.234 → "23.4%", 0.5 → "50%". */
export const pct = (rate: number | null | undefined) => (missing(rate) ? NONE : `${oneDecimal(rate * 100)}%`);
/** 1 → "1 user", 1234 → "1,234 users": a count with its noun, singular for one. */
export const countOf = (n: number | null | undefined, noun: string, plural = `${noun}s`) => `${int(n)} ${n === 1 ? noun : plural}`;
export const ratioText = (r: { count: number; total: number }) => `${int(r.count)}/${int(r.total)}`;

export function hours(h: number | null | undefined): string {
  if (missing(h)) return NONE;
  if (h < 1) return `${Math.round(h * 60)} min`;
  if (h < 48) return `${oneDecimal(h)} h`;
  return `${oneDecimal(h / 24)} days`;
}

export function minutes(m: number | null | undefined): string {
  if (missing(m)) return NONE;
  return m < 1 ? `${Math.round(m * 60)} s` : `${oneDecimal(m)} min`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');
/** "Mar 3" of a UTC day, as Intl's en-US { month: 'short', day: 'numeric' } writes it. */
const monthDay = (t: Date) => `${MONTHS[t.getUTCMonth()]} ${t.getUTCDate()}`;

/** Days are UTC calendar days (YYYY-MM-DD), as the engine computes them. */
export const day = (d: string | null | undefined) => (d ? monthDay(new Date(d.slice(0, 10) + 'T00:00:00Z')) : NONE);
export const dayYear = (d: string | null | undefined) => {
  if (!d) return NONE;
  const t = new Date(d.slice(0, 10) + 'T00:00:00Z');
  return `${monthDay(t)}, ${t.getUTCFullYear()}`;
};
export const dateTime = (iso: string | null | undefined) => {
  if (!iso) return NONE;
  const t = new Date(iso);
  return `${monthDay(t)}, ${two(t.getUTCHours())}:${two(t.getUTCMinutes())} UTC`;
};

export function age(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return 'never';
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

/** snake_case identifiers from the data (use cases, statuses) as words. */
export const label = (s: string | null | undefined) => (s ? s.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase()) : NONE);
