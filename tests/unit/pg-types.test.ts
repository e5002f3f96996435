import { describe, expect, it } from 'vitest';
import { timestampToIso } from '../../src/main/db/pg.js';

describe('TIMESTAMP values read from PostgreSQL', () => {
  it('become UTC ISO strings with exactly three fraction digits, as Date#toISOString writes them', () => {
    expect(timestampToIso('2026-03-01 10:00:50.67')).toBe('2026-03-01T10:00:50.670Z');
    expect(timestampToIso('2026-03-01 10:00:50')).toBe('2026-03-01T10:00:50.000Z');
    expect(timestampToIso('2026-03-01 10:00:50.123456')).toBe('2026-03-01T10:00:50.123Z');
    expect(timestampToIso('2026-03-01 10:00:50.5')).toBe(new Date('2026-03-01T10:00:50.5Z').toISOString());
    expect(timestampToIso('infinity')).toBe('infinity');
  });
});
