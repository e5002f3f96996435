import { describe, expect, it } from 'vitest';
import { countOf, dateTime, day, dayYear, dec, int, NONE, pct } from '../../src/shared/format.js';
import { formatChange, formatValue } from '../../src/shared/report.js';

// The hand-written formats must read exactly as Intl's en-US formats (what the pages showed before, and what founders
// compare with exports): checked against Intl itself over many values.
describe('the formats equal Intl en-US', () => {
  it('whole numbers', () => {
    const intl = new Intl.NumberFormat('en-US');
    const values = [0, -0, 1, 9, 10, 999, 1000, 1001, 12_345, 999_999, 1_000_000, 123_456_789, 2 ** 40, -1, -999, -1000, -1_234_567, 0.4, 0.5, 1.5, 2.5, -0.4, -0.6, 999.5, 1234.49];
    for (let i = 0; i < 2000; i++) values.push(Math.floor(Math.random() * 10 ** (1 + (i % 12))) * (i % 3 === 0 ? -1 : 1));
    for (const v of values) expect(int(v), String(v)).toBe(intl.format(Math.round(v)));
    expect(int(null)).toBe('—');
  });

  it('decimals and percentages keep Intl', () => {
    expect(dec(1234.567)).toBe('1,234.6');
    expect(dec(2.5, 0)).toBe('3');
    expect(pct(0.1234)).toBe('12.3%');
  });

  it('one glyph for no value and one percent precision, on the pages and in the report', () => {
    expect(NONE).toBe('—');
    for (const missing of [null, undefined, Number.NaN]) {
      expect(int(missing)).toBe(NONE);
      expect(pct(missing)).toBe(NONE);
      expect(formatValue(missing, 'percent')).toBe(NONE);
      expect(formatValue(missing, 'count')).toBe(NONE);
    }
    expect(pct(0.5)).toBe('50%');
    expect(pct(0.23456)).toBe('23.5%');
    expect(formatValue(0.23456, 'percent')).toBe(pct(0.23456));
    expect(formatValue(1234.4, 'count')).toBe(int(1234.4));
    expect(formatChange(0.3, 0.25, 'percent')).toBe('+5 pts');
    expect(formatChange(124.1, 100, 'count')).toBe('+24.1%');
  });

  it('UTC days and times', () => {
    const dayFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
    const dayYearFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
    const timeFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' });
    for (let t = Date.UTC(2023, 0, 1); t < Date.UTC(2028, 0, 1); t += 86_400_000 + 3_761_000) {
      const iso = new Date(t).toISOString();
      const d = new Date(iso.slice(0, 10) + 'T00:00:00Z');
      expect(day(iso.slice(0, 10))).toBe(dayFmt.format(d));
      expect(dayYear(iso)).toBe(dayYearFmt.format(d));
      expect(dateTime(iso)).toBe(`${timeFmt.format(new Date(iso))} UTC`);
    }
    expect(day(null)).toBe('—');
  });
});

describe('counts with their noun', () => {
  it('one is singular, everything else plural, thousands grouped', () => {
    expect(countOf(1, 'user')).toBe('1 user');
    expect(countOf(0, 'user')).toBe('0 users');
    expect(countOf(1234, 'conversation')).toBe('1,234 conversations');
    expect(countOf(null, 'user')).toBe('— users');
  });
});
