import { describe, expect, it } from 'vitest';
import { main } from '../../src/main/bench/capture.js';
import { ADMIN_URL } from '../helpers/pg.js';

// The capture-cost benchmark at a small size: every variant runs and is reported; the figures are real CPU readings.
describe('npm run bench:capture (small size)', () => {
  it('measures raw COPY, the statement alone and the whole capture (two batch shapes) on one backend, and cleans up', async () => {
    const lines: string[] = [];
    const results = await main(['--events', '1000', '--rounds', '2', '--database-url', ADMIN_URL], (l) => lines.push(l));
    expect(results.map((r) => r.variant)).toEqual(['raw COPY', 'statement alone', 'capture', 'capture, spread', 'spread, merged']);
    for (const r of results) {
      expect(r.postgres).toHaveLength(2);
      expect(r.node).toHaveLength(2);
      for (const x of [...r.postgres, ...r.node]) expect(x).toBeGreaterThanOrEqual(0);
    }
    // 1,000 events stored by a PostgreSQL backend cannot take no CPU at all, whichever way they go in.
    for (const r of results) expect(r.postgres.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(lines.filter((l) => /^ {2}(raw COPY|statement alone|capture|capture, spread|spread, merged) +PostgreSQL +[\d.]+ µs\/event/.test(l))).toHaveLength(5);
    expect(lines.some((l) => /capture +PostgreSQL .*× the COPY/.test(l))).toBe(true);
  });

  it('rejects a bad flag naming it', async () => {
    await expect(main(['--rounds', '0'])).rejects.toThrow('--rounds');
    await expect(main(['--batch', 'big'])).rejects.toThrow('--batch');
    await expect(main(['--aggregates', 'sideways'])).rejects.toThrow('--aggregates');
  });
});
