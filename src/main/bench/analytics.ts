/**
 * `npm run bench:analytics` (= `uis bench analytics`): the analytics engine on its SQLite snapshot, beside the seed's
 * SQL on PostgreSQL over the same data, measured in the same run.
 *
 *   load        the demo product (chunks of users, deterministic) into a fresh PostgreSQL database through the
 *               capture path (identifyUser + trackEvents): not timed as a figure, only reported.
 *   first sync  PostgreSQL → empty snapshot: seconds and events/s.
 *   incremental --increment new events (default 10,000) stored, then a sync: seconds; right after the first sync (its
 *               background checkpoint may still run) and again once that checkpoint is done.
 *   dashboard   AnalyticsEngine.dashboard() on the whole snapshot (cold = first call, warm = median of 3 computed by fresh
 *               engines, cached = asked again of the same engine); every page (Overview, Journey, Retention, Usage,
 *               Credits) shows a part of this one dashboard, which the CLI's `uis analytics` asks for too.
 *   segments    the same dashboard with each kind of segment alone (tool, use case, activation, signup week), two
 *               combinations, a past range (a month ending before the latest data) alone and with a segment: cold (a
 *               fresh engine's first call for it) and warm (median of 3 fresh engines); the Users table's first rows
 *               sorted by credits and filtered by a segment.
 *   seed SQL    the seed's four batch queries on PostgreSQL (sum of the four).
 *   also        peak RSS of this process, snapshot size on disk.
 *
 * Sizes: --size small (default: 300 users), medium (10k users: ~481k events), large (100k users: ~583k conversations,
 * ~4.7M events over the default 60 days; ~15 minutes on the project's 2-core machine, 8 of them the load), or --users N. Creates its own database and drops it at the end.
 * --keep keeps the database and the snapshot (their place is printed); --reuse DIR measures the dashboards again on what a
 * --keep run left in DIR (no load, no sync), e.g. before and after a change of the engine; --resync DIR runs everything
 * but the load on the database a --keep run left (a fresh snapshot, first and incremental syncs, dashboards): the 10M
 * figures without the 48-minute load. Each --resync adds its 2 × --increment events to that database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { z } from 'zod';
import { ConfigError, readBenchEnv } from '../config.js';
import { AnalyticsEngine } from '../analytics/engine.js';
import { addDays, type Filters } from '../../shared/metrics.js';
import { SEED_QUERIES } from '../analytics/seed-queries.js';
import { parseOption } from '../cli/options.js';
import { createPool } from '../db/pg.js';
import { migrate } from '../db/migrate.js';
import { generateDemo, type DemoData } from '../demo/generate.js';
import { writeDemoToPostgres } from '../demo/sinks.js';
import { ColumnarStore } from '../snapshot/columnar.js';
import { openSnapshot } from '../snapshot/snapshot.js';
import { syncFromPostgres } from '../snapshot/sync.js';

const SIZES = { small: 300, medium: 10_000, large: 100_000 } as const;
const Options = z.object({
  size: z.enum(['small', 'medium', 'large']).default('small'),
  users: z.coerce.number().int().min(10).max(1_000_000).optional(),
  days: z.coerce.number().int().min(7).max(365).default(60),
  increment: z.coerce.number().int().min(100).max(1_000_000).default(10_000),
  databaseUrl: z.string().url().default(readBenchEnv().UIS_BENCH_PG_URL ?? readBenchEnv().UIS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
  keep: z.boolean().default(false),
  reuse: z.string().min(1).optional(),
  resync: z.string().min(1).optional(),
  quiet: z.boolean().default(false),
}).refine((o) => !(o.reuse && o.resync), { message: 'give --reuse or --resync, not both', path: ['resync'] });
export type AnalyticsBenchOptions = z.input<typeof Options>;

/** A segmented (or past-range) dashboard's figures. */
export interface SegmentFigure {
  name: string;
  filters: Filters;
  /** Users in the segment (signed up by the end of the range). */
  users: number;
  coldMs: number;
  warmMs: number;
  /** The same dashboard with the segment's grouped rows read from the column store (engine.prepare, then dashboard). */
  columnarColdMs: number;
  columnarWarmMs: number;
}

export interface AnalyticsBenchResult {
  users: number;
  conversations: number;
  events: number;
  /** Load and sync figures: null when --reuse measured an earlier run's data. */
  loadSeconds: number | null;
  vacuumSeconds: number | null;
  firstSyncSeconds: number | null;
  firstSyncEventsPerSecond: number | null;
  incrementalEvents: number | null;
  /** Right after the first sync, whose background checkpoint may still be running. */
  incrementalSyncSeconds: number | null;
  /** Another --increment events once that checkpoint is done. */
  incrementalSettledSeconds: number | null;
  dashboardColdMs: number;
  dashboardWarmMs: number;
  /** The segment figures' slowest warm and cold (from the snapshot alone, and through the column store). */
  dashboardSegmentMs: number;
  dashboardSegmentColdMs: number;
  columnarSegmentMs: number;
  columnarSegmentColdMs: number;
  /** Building the column store from the whole snapshot, and bringing it up to date after each incremental sync. */
  columnarBuildSeconds: number;
  columnarUpdateSeconds: number[];
  columnarMb: number;
  segments: SegmentFigure[];
  /** The Users table's first 50 rows, sorted by credits used, filtered by a segment. */
  usersTableSegment: { filters: Filters; coldMs: number; warmMs: number; total: number };
  dashboardCachedMs: number;
  seedSqlMs: number;
  speedupVsSeedSql: number;
  peakRssMb: number;
  snapshotMb: number;
}

const CHUNK_USERS = 2000;

/** Demo data in chunks of users (bounded memory at 10M events); user ids stay unique across chunks. */
function* chunks(users: number, days: number, endDay: string, seedBase: number, prefix: string): Generator<DemoData> {
  for (let start = 0, chunk = 0; start < users; start += CHUNK_USERS, chunk++) {
    const d = generateDemo({ users: Math.min(CHUNK_USERS, users - start), days, seed: seedBase + chunk, endDay });
    const rename = (id: string) => `${prefix}${chunk}_${id}`;
    yield {
      range: d.range,
      users: d.users.map((u) => ({ ...u, user_id: rename(u.user_id) })),
      events: d.events.map((e) => ({ ...e, user_id: rename(e.user_id) })),
    };
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function runAnalyticsBench(input: AnalyticsBenchOptions = {}): Promise<AnalyticsBenchResult> {
  const o = Options.parse(input);
  const log = (line: string) => {
    if (!o.quiet) process.stderr.write(line + '\n');
  };
  const users = o.users ?? SIZES[o.size];
  const endDay = '2026-11-27';
  const kept = o.reuse ?? o.resync;
  const keptFile = kept ? path.join(kept, 'bench.json') : null;
  if (keptFile && !fs.existsSync(keptFile)) throw new ConfigError(`Invalid --${o.reuse ? 'reuse' : 'resync'}: ${kept} holds no bench.json (give the directory a --keep run printed)`);
  const reused = keptFile ? (JSON.parse(fs.readFileSync(keptFile, 'utf8')) as { database: string }) : null;
  const name = reused?.database ?? `uis_bench_analytics_${Date.now().toString(36)}`;
  if (!reused) {
    const admin = new pg.Client({ connectionString: o.databaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
  }
  const url = new URL(o.databaseUrl);
  url.pathname = `/${name}`;
  const dbUrl = url.toString();
  const dir = o.reuse ?? fs.mkdtempSync(path.join(os.tmpdir(), 'uis-bench-analytics-'));
  const pool = createPool(dbUrl, { max: 4 });
  const snapshot = openSnapshot(path.join(dir, 'snapshot.sqlite'));
  // Built afresh in every run (a --reuse run's too), so the build is always measured.
  ColumnarStore.remove(snapshot.file);
  const columnar = await ColumnarStore.open(snapshot.file);
  const columnarUpdateSeconds: number[] = [];
  let columnarBuildSeconds = 0;
  /** The column store brought up to the snapshot's data, timed. */
  const catchUp = async () => {
    const start = performance.now();
    if (!(await columnar.catchUp(snapshot))) throw new Error('the column store could not be brought up to date');
    return (performance.now() - start) / 1000;
  };
  // A --reuse or --resync run never drops the database an earlier run kept; a --resync run's own fresh snapshot goes
  // unless --keep.
  const keepDatabase = o.keep || reused !== null;
  const keepSnapshot = o.keep || o.reuse !== undefined;
  try {
    async function loadAndSync() {
      await migrate(dbUrl);
      let t = performance.now();
      let events = 0;
      for (const chunk of o.resync ? [] : chunks(users, o.days, endDay, 1000, 'u')) {
        await writeDemoToPostgres(pool, chunk);
        events += chunk.events.length;
        log(`loaded ${events} events`);
      }
      const loadSeconds = (performance.now() - t) / 1000;
      // A first sync reads a settled database, not one that is still being loaded: the load's own aftermath (autovacuum
      // and hint-bit writes on the rows just inserted) is done here, outside the sync's clock, and printed.
      t = performance.now();
      await pool.query('VACUUM (ANALYZE)');
      const vacuumSeconds = (performance.now() - t) / 1000;
      log(`VACUUM (ANALYZE) after the load: ${vacuumSeconds.toFixed(2)} s`);

      // Where a sync's time goes: when each of its phases began (SyncProgress), to print how long each took.
      const phased = async (opts: { pageSize?: number } = {}) => {
        const began = new Map<string, number>();
        const start = performance.now();
        const result = await syncFromPostgres(snapshot, dbUrl, { ...opts, onProgress: (p) => void (began.has(p.phase) || began.set(p.phase, p.elapsedMs)) });
        const seconds = (performance.now() - start) / 1000;
        const starts = [...began].filter(([phase]) => phase !== 'done');
        const phases = starts.map(([phase, at], i) => `${phase} ${(((starts[i + 1]?.[1] ?? seconds * 1000) - at) / 1000).toFixed(3)} s`).join(', ');
        return { result, seconds, phases };
      };
      const { result: first, seconds: firstSyncSeconds, phases } = await phased({ pageSize: 10_000 });
      log(`first sync: ${first.events} events in ${firstSyncSeconds.toFixed(2)} s (${phases})`);
      columnarBuildSeconds = await catchUp();
      log(`column store built in ${columnarBuildSeconds.toFixed(2)} s`);

      // --increment new events: late signups in the last week, stored through the capture path, then a sync. Twice: right
      // after the first sync (whose background checkpoint may still be copying its WAL into the database file), and
      // again once that checkpoint is done (the state of any later sync).
      // A --resync run's new events must be new to the kept database: their own user ids and seeds (kept under 2^32,
      // where the PRNG's seed wraps, and above every seed a load or an earlier increment used).
      const run = o.resync ? 1 + (Math.floor(Date.now() / 1000) % 10_000) : 0;
      const increment = async (label: string, seedBase: number) => {
        let added = 0;
        for (let round = 0; added < o.increment; round++) {
          for (const chunk of chunks(Math.max(10, Math.ceil((o.increment - added) / 15)), 7, endDay, seedBase + run * 10_000 + (run ? 2_000_000 : 0) + round * 1000, `${label}${run || ''}_${round}_`)) {
            const slice = { ...chunk, events: chunk.events.slice(0, o.increment - added) };
            if (slice.events.length === 0) break;
            await writeDemoToPostgres(pool, slice);
            added += slice.events.length;
          }
        }
        const { result: r, seconds, phases } = await phased();
        columnarUpdateSeconds.push(round(await catchUp(), 3));
        log(`column store brought up to date in ${columnarUpdateSeconds.at(-1)} s`);
        return { events: r.events, seconds, phases };
      };
      const inc = await increment('late', 900_000);
      log(`incremental sync: ${inc.events} events in ${inc.seconds.toFixed(3)} s (right after the first sync; ${inc.phases})`);
      await snapshot.checkpointing;
      const settled = await increment('later', 950_000);
      log(`incremental sync: ${settled.events} events in ${settled.seconds.toFixed(3)} s (its checkpoint done; ${settled.phases})`);
      return {
        loadSeconds: o.resync ? null : round(loadSeconds),
        vacuumSeconds: round(vacuumSeconds),
        firstSyncSeconds: round(firstSyncSeconds),
        firstSyncEventsPerSecond: Math.round(first.events / firstSyncSeconds),
        incrementalEvents: inc.events,
        incrementalSyncSeconds: round(inc.seconds, 3),
        incrementalSettledSeconds: round(settled.seconds, 3),
      };
    }
    const sync = o.reuse ? null : await loadAndSync();
    if (o.reuse) {
      columnarBuildSeconds = await catchUp();
      log(`column store built in ${columnarBuildSeconds.toFixed(2)} s`);
    }

    const engine = new AnalyticsEngine(snapshot);
    let t = performance.now();
    engine.dashboard({});
    const dashboardColdMs = performance.now() - t;
    // Warm = computed again by a fresh engine (SQLite's page cache warm, the engine's result caches empty);
    // cached = the same dashboard asked again of the same engine, with the snapshot unchanged.
    const timed = (fn: (e: AnalyticsEngine) => unknown) => {
      const fresh = new AnalyticsEngine(snapshot);
      const start = performance.now();
      fn(fresh);
      return performance.now() - start;
    };
    const dashboardWarmMs = median([0, 1, 2].map(() => timed((e) => e.dashboard({}))));
    t = performance.now();
    engine.dashboard({});
    const dashboardCachedMs = performance.now() - t;

    // Each kind of segment alone, two combinations, and a past range: a month that ends a month before the latest data.
    const options = engine.filterOptions();
    const latest = options.lastDay ?? endDay;
    const past = { since: addDays(latest, -60), until: addDays(latest, -31) };
    const week = options.signupCohorts[Math.floor(options.signupCohorts.length / 2)];
    const kinds: Array<[string, Filters]> = [
      ['tool video_gen', { tools: ['video_gen'] }],
      ['use case marketing_content', { useCases: ['marketing_content'] }],
      ['activation power_user', { activation: ['power_user'] }],
      ['activation dormant', { activation: ['dormant'] }],
      [`signup week ${week}`, { signupCohorts: [week] }],
      ['tool + activation', { tools: ['video_gen'], activation: ['power_user'] }],
      ['use case + signup weeks', { useCases: ['marketing_content'], signupCohorts: options.signupCohorts.slice(-4) }],
      [`past month ${past.since}…${past.until}`, past],
      ['past month + tool image_gen', { ...past, tools: ['image_gen'] }],
    ];
    // Through the column store: what a page asks (analytics.dashboard handler: prepare, then the dashboard).
    const timedColumnar = async (filters: Filters) => {
      const fresh = new AnalyticsEngine(snapshot, {}, undefined, { columnar });
      const start = performance.now();
      // Every kind here has something to prepare: a segment, or a past range (the per-user rollups do not answer it).
      if (!(await fresh.prepare(filters))) throw new Error(`the column store did not prepare ${JSON.stringify(filters)}`);
      fresh.dashboard(filters);
      return performance.now() - start;
    };
    const segments: SegmentFigure[] = [];
    for (const [label, filters] of kinds) {
      let size = 0;
      const columnarColdMs = await timedColumnar(filters);
      const columnarWarm: number[] = [];
      for (let i = 0; i < 3; i++) columnarWarm.push(await timedColumnar(filters));
      const coldMs = timed((e) => (size = e.dashboard(filters).summary.totals.users));
      const warmMs = median([0, 1, 2].map(() => timed((e) => e.dashboard(filters))));
      const columnarWarmMs = median(columnarWarm);
      segments.push({ name: label, filters, users: size, coldMs: round(coldMs, 1), warmMs: round(warmMs, 1), columnarColdMs: round(columnarColdMs, 1), columnarWarmMs: round(columnarWarmMs, 1) });
      log(`${label}: ${size} users; column store ${columnarWarmMs.toFixed(0)} ms warm, ${columnarColdMs.toFixed(0)} ms cold; snapshot alone ${warmMs.toFixed(0)} ms warm, ${coldMs.toFixed(0)} ms cold`);
    }
    const tableQuery = { filters: { tools: ['video_gen'] }, sort: { field: 'creditsUsed' as const, dir: 'desc' as const }, limit: 50 };
    let tableTotal = 0;
    const tableColdMs = timed((e) => (tableTotal = e.listUsers(tableQuery).total));
    const tableWarmMs = median([0, 1, 2].map(() => timed((e) => e.listUsers(tableQuery))));

    const seedRuns: number[] = [];
    for (let i = 0; i < 2; i++) {
      t = performance.now();
      for (const sql of Object.values(SEED_QUERIES)) await pool.query(sql);
      seedRuns.push(performance.now() - t);
    }
    const seedSqlMs = Math.min(...seedRuns);
    const info = snapshot.info();
    const size = bytesOf(snapshot.file, '-wal');
    if (o.keep && !o.reuse) {
      fs.writeFileSync(path.join(dir, 'bench.json'), JSON.stringify({ database: name, users, days: o.days }));
      log(`kept: database ${name}, snapshot ${dir} (measure again with --reuse ${dir})`);
    }
    return {
      users: info.counts.users,
      conversations: info.counts.conversations,
      events: info.counts.events,
      loadSeconds: sync?.loadSeconds ?? null,
      vacuumSeconds: sync?.vacuumSeconds ?? null,
      firstSyncSeconds: sync?.firstSyncSeconds ?? null,
      firstSyncEventsPerSecond: sync?.firstSyncEventsPerSecond ?? null,
      incrementalEvents: sync?.incrementalEvents ?? null,
      incrementalSyncSeconds: sync?.incrementalSyncSeconds ?? null,
      incrementalSettledSeconds: sync?.incrementalSettledSeconds ?? null,
      dashboardColdMs: round(dashboardColdMs, 1),
      dashboardWarmMs: round(dashboardWarmMs, 1),
      dashboardSegmentMs: Math.max(...segments.map((x) => x.warmMs)),
      dashboardSegmentColdMs: Math.max(...segments.map((x) => x.coldMs)),
      columnarSegmentMs: Math.max(...segments.map((x) => x.columnarWarmMs)),
      columnarSegmentColdMs: Math.max(...segments.map((x) => x.columnarColdMs)),
      columnarBuildSeconds: round(columnarBuildSeconds),
      columnarUpdateSeconds,
      columnarMb: round(bytesOf(columnar.file, '.wal') / 1_048_576, 1),
      segments,
      usersTableSegment: { filters: tableQuery.filters, coldMs: round(tableColdMs, 1), warmMs: round(tableWarmMs, 1), total: tableTotal },
      dashboardCachedMs: round(dashboardCachedMs, 1),
      seedSqlMs: round(seedSqlMs, 1),
      speedupVsSeedSql: round(seedSqlMs / dashboardWarmMs, 2),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      snapshotMb: round(size / 1_048_576, 1),
    };
  } finally {
    await columnar.close();
    snapshot.close();
    await pool.end();
    if (!keepSnapshot) fs.rmSync(dir, { recursive: true, force: true });
    if (!keepDatabase) {
      const a = new pg.Client({ connectionString: o.databaseUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    }
  }
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** A database file's size with its write-ahead log (`log`: the log's suffix). */
function bytesOf(file: string, log: string): number {
  return [file, file + log].reduce((sum, f) => sum + (fs.existsSync(f) ? fs.statSync(f).size : 0), 0);
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      size: { type: 'string' },
      users: { type: 'string' },
      days: { type: 'string' },
      increment: { type: 'string' },
      'database-url': { type: 'string' },
      keep: { type: 'boolean' },
      reuse: { type: 'string' },
      resync: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const opts = parseOption(Options, {
    size: values.size,
    users: values.users,
    days: values.days,
    increment: values.increment,
    databaseUrl: values['database-url'],
    keep: values.keep,
    reuse: values.reuse,
    resync: values.resync,
  });
  const r = await runAnalyticsBench(opts);
  if (values.json) {
    console.log(JSON.stringify(r, null, 2));
    return;
  }
  const ms = (x: number) => `${Math.round(x).toLocaleString('en-US')} ms`;
  const rows: Array<[string, string]> = [
    ['data', `${r.users} users, ${r.conversations} conversations, ${r.events} events` + (r.loadSeconds === null ? (r.firstSyncSeconds === null ? ' (reused: no load, no sync)' : ' (loaded by an earlier --keep run; synced in this run)') : ` (loaded through the capture path in ${r.loadSeconds} s, then VACUUM (ANALYZE) ${r.vacuumSeconds} s)`)],
    ...(r.firstSyncSeconds === null
      ? []
      : ([
          ['first sync', `${r.firstSyncSeconds} s, ${r.firstSyncEventsPerSecond} events/s (target ≥ 40,000 events/s)`],
          ['incremental sync', `${r.incrementalEvents} new events in ${r.incrementalSyncSeconds} s right after the first sync, ${r.incrementalSettledSeconds} s once its checkpoint is done (target < 1 s for 10k)`],
        ] as Array<[string, string]>)),
    ['full dashboard', `${ms(r.dashboardWarmMs)} warm, ${ms(r.dashboardColdMs)} cold (target < 1,000 ms)`],
    ...r.segments.map((x): [string, string] => [
      `  ${x.name}`,
      `${ms(x.columnarWarmMs)} warm, ${ms(x.columnarColdMs)} cold through the column store; ${ms(x.warmMs)} warm, ${ms(x.coldMs)} cold from the snapshot alone; ${x.users} users (unsegmented ${ms(r.dashboardWarmMs)} / ${ms(r.dashboardColdMs)}; seed SQL ${ms(r.seedSqlMs)}; target < 1,000 warm, < 1,500 cold)`,
    ]),
    ['column store', `built in ${r.columnarBuildSeconds} s; brought up to date after each incremental sync in ${r.columnarUpdateSeconds.map((x) => `${x} s`).join(', ') || '(no sync in this run)'}; ${r.columnarMb} MB`],
    ['users table, segment, first 50', `${ms(r.usersTableSegment.warmMs)} warm, ${ms(r.usersTableSegment.coldMs)} cold, sorted by credits, ${r.usersTableSegment.total} users of ${JSON.stringify(r.usersTableSegment.filters)} (target < 1,000 ms)`],
    ['dashboard asked again', `${r.dashboardCachedMs} ms (served from the engine's cache while the snapshot is unchanged)`],
    ["seed's 4 SQL queries on PostgreSQL", `${r.seedSqlMs} ms`],
    ['dashboard vs seed SQL', `${r.speedupVsSeedSql}× (target ≥ 5×; the dashboard computes far more than the 4 queries)`],
    ['peak RSS', `${r.peakRssMb} MB`],
    ['snapshot size', `${r.snapshotMb} MB`],
  ];
  for (const [k, v] of rows) console.log(`${k.padEnd(36)} ${v}`);
}
