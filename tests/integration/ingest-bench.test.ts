import { describe, expect, it } from 'vitest';
import { main } from '../../src/main/bench/ingest.js';
import { ADMIN_URL } from '../helpers/pg.js';
import { REDIS_URL } from '../helpers/redis.js';

// The ingest benchmark at a small size: every door runs end to end and the report has every figure.
// (Throughput targets are checked by `npm run bench:ingest` on an idle machine, not here.)
describe('npm run bench:ingest (small size)', () => {
  it('measures raw COPY, HTTP and library at an empty table and after a preload, and cleans up', async () => {
    const lines: string[] = [];
    const results = await main(['--events', '2000', '--preload', '3000', '--clients', '2', '--database-url', ADMIN_URL, '--redis-url', REDIS_URL], (l) => lines.push(l));
    expect(results.map((r) => r.label)).toEqual(['empty table', 'with 3,000 events preloaded']);
    // Raw COPY with time-ordered and with random ids, 3 × 2,000 timed each (the median counts), HTTP and library
    // 2,000 each in two shapes, closed and open loop; each of the ten 2 clients × 500 warm-up; then the preload.
    expect(results[1].storedBefore).toBe(6 * 2000 + 8 * 2000 + 10 * 1000 + 3000);
    for (const phase of results) {
      expect(phase.doors.map((d) => d.door)).toEqual(['raw COPY', 'raw COPY, random ids', ...Array(4).fill(['HTTP', 'library']).flat()]);
      expect(phase.doors.slice(2).map((d) => [d.shape, d.offeredEventsPerSecond === undefined])).toEqual(
        [['grouped', true], ['grouped', true], ['live', true], ['live', true], ['grouped', false], ['grouped', false], ['live', false], ['live', false]],
      );
      // Open loop at half the COPY's rate; every door reports the aggregates' freshness.
      for (const d of phase.doors.slice(6)) expect(d.offeredEventsPerSecond).toBeCloseTo(phase.doors[0].eventsPerSecond / 2, 6);
      for (const d of phase.doors.slice(2)) expect(d.freshnessP99Ms).toBeGreaterThanOrEqual(0);
      for (const d of phase.doors) {
        expect(d.events).toBe(2000);
        expect(d.eventsPerSecond).toBeGreaterThan(0);
        expect(d.ratio).toBeCloseTo(d.eventsPerSecond / phase.doors[0].eventsPerSecond, 6);
        expect(d.ratioRandomIds).toBeCloseTo(d.eventsPerSecond / phase.doors[1].eventsPerSecond, 6);
      }
      expect(phase.doors[2].p99Ms).toBeGreaterThanOrEqual(phase.doors[2].p50Ms!);
      expect(phase.doors[2].maxMs).toBeGreaterThanOrEqual(phase.doors[2].p99Ms!);
      // CPU per event by process (Linux /proc), never negative (a backend that exits mid-door still counts): the
      // doors' clients run in a process of their own.
      for (const d of phase.doors.slice(0, 2)) expect(d.cpu).toMatch(/^Node [\d.]+, PostgreSQL [\d.]+, Redis [\d.]+, machine [\d.]+$/);
      for (const d of phase.doors.slice(2)) expect(d.cpu).toMatch(/^Node [\d.]+, platform process [\d.]+, PostgreSQL [\d.]+, Redis [\d.]+, machine [\d.]+$/);
      expect(phase.doors[3].fromMemory).toBe(0); // the library's events are read back: its process is not the relay's
    }
    expect(lines.some((l) => l.includes('% of raw COPY'))).toBe(true);
  });

  it('rejects a bad flag naming it', async () => {
    await expect(main(['--events', 'many'])).rejects.toThrow('--events');
    await expect(main(['--preload', '-5'])).rejects.toThrow('--preload');
    await expect(main(['--database-url', 'not a url'])).rejects.toThrow('--database-url');
    await expect(main(['--capture-concurrency', '0'])).rejects.toThrow('--capture-concurrency');
    await expect(main(['--aggregates', 'later'])).rejects.toThrow('--aggregates');
    await expect(main(['--colour', 'red'])).rejects.toThrow('--colour');
  });
});
