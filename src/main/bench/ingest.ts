/**
 * `npm run bench:ingest` (= `uis bench ingest`): event capture throughput and batch latency through each door,
 * beside a raw COPY of the same kind of rows into the same table, measured in the same run.
 *
 *   raw COPY   conversation_events with its indexes and foreign key, the capture trigger disabled: the floor cost
 *              of storing rows, nothing else. Twice: with time-ordered ids (UUIDv7, the strict floor) and with
 *              random ids (v4, a platform's own COPY: the baseline the issue describes).
 *   HTTP       POST /v1/events, batches of --batch, --clients concurrent clients, against `uis serve` in this process
 *              (ingest + outbox relay to Redis); the clock stops when every event is stored AND published.
 *   library    UisClient.track() with the same batches and concurrency, relay running, same stop condition.
 *
 * HTTP and library run with two batch shapes (src/main/bench/ingest-platform.ts): grouped (10-event conversations one
 * after another, 50 per batch) and live-shaped (one event of each of 500 conversations per batch, conversations going
 * on over the next batches), first closed-loop (throughput), then open-loop at half the raw COPY's rate: every batch's
 * latency from its scheduled send, and the aggregates' freshness: from a batch's 202 until the end of the applier pass
 * that applied it to conversations and user_profiles (an upper bound: the first pass that started after the 202).
 *
 * Each phase runs at an empty table and again after --preload events are stored (default small; 10M with
 * `--preload 10000000`). It creates its own database and Redis key prefix and drops both at the end.
 */
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { AggregatesMode, useAggregatesMode } from './aggregates-mode.js';
import { cpuPerUnit, cpuSnapshot } from './cpu.js';
import { chunks, EVENTS_PER_CONVERSATION, generate, type BatchShape, type PlatformJob, type PlatformMessage } from './ingest-platform.js';
import { parseOption } from '../cli/options.js';
import { childEnv, readBenchEnv, readEnv } from '../config.js';
import { migrate } from '../db/migrate.js';
import { DEFAULT_CAPTURE_CONCURRENCY } from '../ingest/capture.js';
import { startService, type RunningService } from '../server/service.js';
import type { EventInput } from '../../shared/event.js';

const Options = z.object({
  events: z.coerce.number().int().min(100).max(10_000_000).default(50_000),
  preload: z.coerce.number().int().min(0).max(100_000_000).default(50_000),
  databaseUrl: z.string().url().default(readBenchEnv().UIS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
  redisUrl: z.string().url().default(readEnv().REDIS_URL ?? 'redis://127.0.0.1:6379'),
  clients: z.coerce.number().int().min(1).max(64).default(4),
  batch: z.coerce.number().int().min(1).max(1000).default(500),
  captureConcurrency: z.coerce.number().int().min(1).max(64).default(DEFAULT_CAPTURE_CONCURRENCY),
  aggregates: AggregatesMode,
});
export type IngestBenchOptions = z.infer<typeof Options>;

export interface DoorResult {
  door: 'raw COPY' | 'raw COPY, random ids' | 'HTTP' | 'library';
  /** HTTP and library: the batch shape, and the offered rate when run open-loop. */
  shape?: BatchShape;
  offeredEventsPerSecond?: number;
  /** p99 of the time from a batch's answer until its aggregates were applied (0: applied before the answer). */
  freshnessP99Ms?: number | null;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** Rate until the last batch was acknowledged (stored and committed), before publication caught up. */
  storedPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** The slowest batch. */
  maxMs: number | null;
  /** eventsPerSecond / raw COPY's eventsPerSecond (time-ordered ids), measured in the same phase. */
  ratio: number;
  /** eventsPerSecond / the random-id raw COPY's eventsPerSecond, measured in the same phase. */
  ratioRandomIds: number;
  /** CPU µs per event by process group while the door ran (Linux), e.g. "Node 14.1, PostgreSQL 22.3, …". */
  cpu: string;
  /** Events the relay published from memory (handed over by HTTP ingest in the same process), not read back. */
  fromMemory: number;
}

export interface PhaseResult {
  label: string;
  storedBefore: number;
  doors: DoorResult[];
}

const COPY_RUNS = 3;

/**
 * How long after its answer (at clock time `ack`) a batch's aggregates were applied, at most: the end of the first
 * applier pass that started after the answer (it saw the commit), or, when none did, of the last pass before it
 * (the one that applied the batch; nothing was left to apply after it).
 */
function freshnessMs(ack: number, passes: Array<[number, number]>): number {
  const after = passes.find(([s0]) => s0 >= ack);
  const end = after ? after[1] : (passes.at(-1)?.[1] ?? ack);
  return Math.max(0, end - ack);
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Forks the platform process, has it prepare and warm up; go() runs the timed sending and returns its report. */
async function startPlatform(job: PlatformJob): Promise<{ go(): Promise<{ latencies: number[]; acks: number[]; cpuSeconds: number }>; close(): Promise<void> }> {
  const child = fork(fileURLToPath(new URL('./ingest-platform.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: childEnv({ UIS_BENCH_PLATFORM: '1' }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = () =>
    new Promise<PlatformMessage>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the platform process exited (${code}) before answering`));
      child.once('exit', onExit);
      child.once('message', (m: PlatformMessage) => {
        child.off('exit', onExit);
        if (m.type === 'error') reject(new Error(`platform (${job.door}): ${m.message}`));
        else resolve(m);
      });
    });
  const close = async () => {
    if (child.connected) child.send({ type: 'close' });
    const timer = setTimeout(() => child.kill(), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const ready = next();
    child.send({ type: 'prepare', job });
    await ready;
  } catch (err) {
    child.kill();
    await exited;
    throw err;
  }
  return {
    async go() {
      const done = next();
      child.send({ type: 'go' });
      const m = await done;
      if (m.type !== 'done') throw new Error(`platform (${job.door}) answered ${m.type}`);
      return { latencies: m.latencies, acks: m.acks, cpuSeconds: m.cpuSeconds };
    },
    close,
  };
}

/** Published to Redis and applied to the aggregates: both queues empty. */
async function waitForOutboxEmpty(pool: pg.Pool): Promise<void> {
  const queue = (await pool.query<{ q: boolean }>(`SELECT to_regclass('uis_aggregate_queue') IS NOT NULL AS q`)).rows[0].q; // not with --aggregates in-trigger
  for (;;) {
    const n = (await pool.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM uis_outbox)${queue ? ' + (SELECT count(*) FROM uis_aggregate_queue)' : ''} AS n`,
    )).rows[0].n;
    if (n === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const tsv = (v: unknown) => (v === null || v === undefined ? '\\N' : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n'));

/**
 * Ids of the raw COPY's rows. `time-ordered` (UUIDv7, what the system assigns an event sent without id): the strict
 * floor, every index written at its right edge. `random` (v4, what a platform's own COPY or gen_random_uuid() writes):
 * the baseline the issue measured (~15–25k rows/s here), whose primary-key writes scatter over the index.
 */
export type CopyIds = 'time-ordered' | 'random';

export const COPY_EVENTS = 'COPY conversation_events (id, conversation_id, user_id, timestamp, event_type, content, tool_name, success, credits_consumed) FROM STDIN';

/** The rows of `events` as COPY text lines, with ids of the given kind (the events' own ids are not used). */
export function copyLines(events: EventInput[], ids: CopyIds): string[] {
  return events.map(
    (e) =>
      [ids === 'random' ? randomUUID() : uuidv7(), e.conversation_id, e.user_id, e.timestamp!.slice(0, -1), e.event_type, JSON.stringify({ ...e.content, ...(e.completion_status ? { completion_status: e.completion_status } : {}) }), e.tool_name, e.success, e.credits_consumed ?? 0]
        .map(tsv)
        .join('\t') + '\n',
  );
}

/** Creates the conversations of `events` (the COPY's foreign key needs them; capture creates its own). */
export async function createConversations(db: pg.Pool | pg.PoolClient, events: EventInput[]): Promise<void> {
  const conversations = new Map<string, { user: string; at: string }>();
  for (const e of events) if (!conversations.has(e.conversation_id)) conversations.set(e.conversation_id, { user: e.user_id, at: e.timestamp! });
  await db.query(`INSERT INTO conversations (id, user_id, started_at) SELECT * FROM json_to_recordset($1::json) AS x(id uuid, user_id text, started_at timestamp)`, [
    JSON.stringify([...conversations].map(([id, c]) => ({ id, user_id: c.user, started_at: c.at.slice(0, -1) }))),
  ]);
}

/** The raw floor: COPY the rows into conversation_events with indexes and foreign key, the capture trigger off. */
async function rawCopy(pool: pg.Pool, events: EventInput[], ids: CopyIds): Promise<{ seconds: number; cpu: string }> {
  const client = await pool.connect();
  try {
    await client.query('ALTER TABLE conversation_events DISABLE TRIGGER uis_events_inserted');
    await createConversations(client, events);
    const lines = copyLines(events, ids);
    const cpu = cpuSnapshot();
    const t = performance.now();
    await pipeline(Readable.from(chunks(lines, 1000).map((c) => c.join(''))), client.query(copyFrom(COPY_EVENTS)));
    return { seconds: (performance.now() - t) / 1000, cpu: cpuPerUnit(cpu, cpuSnapshot(), events.length) };
  } finally {
    await client.query('ALTER TABLE conversation_events ENABLE TRIGGER uis_events_inserted').catch(() => {});
    client.release();
  }
}

/** Stores `count` events fast (server-side, trigger off, time-ordered ids) so the next phase runs on a full table. */
async function preload(pool: pg.Pool, count: number, log: (l: string) => void): Promise<void> {
  const chunk = 1_000_000;
  await pool.query('ALTER TABLE conversation_events DISABLE TRIGGER uis_events_inserted');
  try {
    for (let from = 0; from < count; from += chunk) {
      const to = Math.min(count, from + chunk) - 1;
      // ids: 48-bit millisecond prefix like UUIDv7, so the primary key grows at its right edge as in production.
      await pool.query(
        `WITH g AS (SELECT g, lpad(to_hex(1700000000000 + g), 12, '0') AS h, md5(g::text) AS r FROM generate_series($1::bigint, $2::bigint) g)
         INSERT INTO conversations (id, user_id, started_at)
         SELECT (substr(h,1,8)||'-'||substr(h,9,4)||'-7'||substr(r,1,3)||'-8'||substr(r,4,3)||'-'||substr(r,7,12))::uuid,
                'pre-user-' || (g / 50), timestamp '2025-01-01' + g * interval '1 second'
         FROM g WHERE g % ${EVENTS_PER_CONVERSATION} = 0`,
        [from - (from % EVENTS_PER_CONVERSATION), to],
      );
      await pool.query(
        `WITH g AS (SELECT g, lpad(to_hex(1700000000000 + g), 12, '0') AS h, md5(g::text) AS r,
                           lpad(to_hex(1700000000000 + g - g % ${EVENTS_PER_CONVERSATION}), 12, '0') AS ch,
                           md5((g - g % ${EVENTS_PER_CONVERSATION})::text) AS cr
                    FROM generate_series($1::bigint, $2::bigint) g)
         INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content, tool_name, success, credits_consumed)
         SELECT (substr(h,1,8)||'-'||substr(h,9,4)||'-7'||substr(r,1,3)||'-9'||substr(r,4,3)||'-'||substr(r,7,12))::uuid,
                (substr(ch,1,8)||'-'||substr(ch,9,4)||'-7'||substr(cr,1,3)||'-8'||substr(cr,4,3)||'-'||substr(cr,7,12))::uuid,
                'pre-user-' || (g / 50), timestamp '2025-01-01' + g * interval '1 second',
                CASE WHEN g % 3 = 1 THEN 'tool_call' ELSE 'message' END,
                jsonb_build_object('role', 'user', 'message', 'preloaded message ' || g),
                CASE WHEN g % 3 = 1 THEN (ARRAY['video_gen','image_gen','search','translate','audio_edit'])[1 + g % 5] END,
                CASE WHEN g % 3 = 1 THEN g % 7 <> 0 END, g % 5
         FROM g`,
        [from, to],
      );
      log(`  preloaded ${(to + 1).toLocaleString('en-US')} events`);
    }
  } finally {
    await pool.query('ALTER TABLE conversation_events ENABLE TRIGGER uis_events_inserted');
  }
  await pool.query('ANALYZE conversations; ANALYZE conversation_events; ANALYZE user_profiles');
}

async function phase(label: string, opts: IngestBenchOptions, service: RunningService, token: string, databaseUrl: string, log: (l: string) => void): Promise<PhaseResult> {
  const pool = service.pool;
  const storedBefore = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM conversation_events')).rows[0].n;
  const start = Date.UTC(2026, 0, 1) + storedBefore;
  log(`\n${label}: ${storedBefore.toLocaleString('en-US')} events stored before; ${opts.events.toLocaleString('en-US')} events per door (after ${(opts.batch * opts.clients).toLocaleString('en-US')} untimed warm-up events)`);

  // Each door first stores one untimed batch per client (connections, plan caches and JIT warm), then the timed run.
  const warmup = opts.batch * opts.clients;
  // The COPY is short and this machine's speed wanders from second to second: its rate is the median of 3 runs.
  const copyRuns = new Map<CopyIds, Array<{ seconds: number; cpu: string }>>();
  const copyDoor = async (ids: CopyIds): Promise<DoorResult> => {
    await rawCopy(pool, generate(warmup, `copywarm-${ids}-${storedBefore}`, start - warmup), ids);
    const runs: Array<{ seconds: number; cpu: string }> = [];
    for (let run = 0; run < COPY_RUNS; run++) runs.push(await rawCopy(pool, generate(opts.events, `copy${run}-${ids}-${storedBefore}`, start + run * opts.events), ids));
    copyRuns.set(ids, runs);
    const median = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(COPY_RUNS / 2)];
    const rate = opts.events / median.seconds;
    const door = ids === 'random' ? 'raw COPY, random ids' : 'raw COPY';
    return { door, events: opts.events, seconds: median.seconds, eventsPerSecond: rate, storedPerSecond: rate, p50Ms: null, p99Ms: null, maxMs: null, ratio: 0, ratioRandomIds: 0, cpu: median.cpu, fromMemory: 0 };
  };
  const strict = await copyDoor('time-ordered');
  const random = await copyDoor('random');
  const copyRate = strict.eventsPerSecond;
  const doors: DoorResult[] = [strict, random].map((d) => ({ ...d, ratio: d.eventsPerSecond / copyRate, ratioRandomIds: d.eventsPerSecond / random.eventsPerSecond }));

  // Each door runs in a process of its own, as the chat platform does (src/main/bench/ingest-platform.ts): it prepares
  // its payloads before the clock (for HTTP the JSON bodies a client would send), like the COPY's lines, so what is
  // timed is the system taking them in; `uis serve` (HTTP server, relay) runs in this process.
  const timed = async (door: 'HTTP' | 'library', shape: BatchShape, offeredEventsPerSecond?: number) => {
    const tag = `${door}-${shape}-${offeredEventsPerSecond ? 'open' : 'closed'}-${storedBefore}`;
    const platform = await startPlatform({
      shape,
      offeredEventsPerSecond,
      door,
      url: service.url,
      token,
      databaseUrl,
      clients: opts.clients,
      batch: opts.batch,
      captureConcurrency: opts.captureConcurrency,
      warmup: { count: warmup, tag: `${tag}warm`, startMs: start - warmup },
      timed: { count: opts.events, tag, startMs: start + opts.events },
    });
    const passes: Array<[number, number]> = [];
    service.aggregates.opts.onPass = (s0, s1) => passes.push([s0, s1]);
    try {
      await waitForOutboxEmpty(pool);
      passes.length = 0;
      const cpu = cpuSnapshot();
      const takenBefore = service.captured.stats.taken;
      const t = performance.now();
      const { latencies, acks, cpuSeconds } = await platform.go();
      const storedSeconds = (performance.now() - t) / 1000;
      await waitForOutboxEmpty(pool); // end to end: published to Redis, not only stored
      const seconds = (performance.now() - t) / 1000;
      const eventsPerSecond = opts.events / seconds;
      // Both doors leave the aggregates to the service's applier (in-trigger: applied before the answer).
      const freshness = opts.aggregates === 'in-trigger' ? acks.map(() => 0) : acks.map((a) => freshnessMs(a, passes)).sort((x, y) => x - y);
      doors.push({
        door,
        shape,
        offeredEventsPerSecond,
        freshnessP99Ms: percentile(freshness, 99),
        events: opts.events,
        seconds,
        eventsPerSecond,
        storedPerSecond: opts.events / storedSeconds,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: percentile(latencies, 100),
        ratio: eventsPerSecond / copyRate,
        ratioRandomIds: eventsPerSecond / random.eventsPerSecond,
        cpu: cpuPerUnit(cpu, cpuSnapshot(), opts.events, { 'platform process': cpuSeconds }),
        fromMemory: service.captured.stats.taken - takenBefore,
      });
    } finally {
      service.aggregates.opts.onPass = undefined;
      await platform.close();
    }
  };
  for (const shape of ['grouped', 'live'] as const) {
    await timed('HTTP', shape);
    await timed('library', shape);
  }
  // Open loop at half the raw COPY's rate (issue 21's latency target): batches sent on a schedule.
  for (const shape of ['grouped', 'live'] as const) {
    await timed('HTTP', shape, copyRate / 2);
    await timed('library', shape, copyRate / 2);
  }

  for (const d of doors) {
    const ms = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} ms`);
    const runs = copyRuns.get(d.door === 'raw COPY' ? 'time-ordered' : 'random');
    const name = d.shape ? `${d.door}, ${d.shape}${d.offeredEventsPerSecond ? `, open loop at ${Math.round(d.offeredEventsPerSecond).toLocaleString('en-US')}/s` : ''}` : d.door;
    log(
      `  ${name.padEnd(20)} ${Math.round(d.eventsPerSecond).toLocaleString('en-US').padStart(9)} events/s` +
        `   p50 ${ms(d.p50Ms).padStart(9)}   p99 ${ms(d.p99Ms).padStart(9)}   max ${ms(d.maxMs).padStart(9)}` +
        `   ${(d.ratio * 100).toFixed(0).padStart(4)}% of raw COPY, ${(d.ratioRandomIds * 100).toFixed(0).padStart(4)}% of random-id COPY` +
        (d.door.startsWith('raw COPY') && runs
          ? `   (median of ${COPY_RUNS} runs: ${runs.map((r) => Math.round(opts.events / r.seconds).toLocaleString('en-US')).join(' / ')} events/s)`
          : `   (stored: ${Math.round(d.storedPerSecond).toLocaleString('en-US')} events/s before publication caught up)` +
            `   aggregates fresh p99 ${ms(d.freshnessP99Ms ?? null)}`),
    );
    if (d.cpu) log(`                       CPU µs per event: ${d.cpu}${d.door.startsWith('raw COPY') ? '' : `; published from memory: ${d.fromMemory.toLocaleString('en-US')}`}`);
  }
  return { label, storedBefore, doors };
}

export async function main(args: string[], log: (line: string) => void = console.log): Promise<PhaseResult[]> {
  if (args.includes('--help') || args.includes('-h')) {
    log(`usage: npm run bench:ingest -- [--events N (10000)] [--preload N (50000; 10000000 for the 10M case)] [--clients N (4)]
       [--batch N (500)] [--capture-concurrency N (${DEFAULT_CAPTURE_CONCURRENCY}: capture statements in flight, uis serve and library)]
       [--aggregates after-commit|in-trigger (after-commit; in-trigger: the database taken back to 1764288000009, for A/B)]
       [--database-url URL (server to create the bench database on)] [--redis-url URL]`);
    return [];
  }
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string' },
      preload: { type: 'string' },
      'database-url': { type: 'string' },
      'redis-url': { type: 'string' },
      clients: { type: 'string' },
      batch: { type: 'string' },
      'capture-concurrency': { type: 'string' },
      aggregates: { type: 'string' },
    },
    strict: true,
  });
  const opts = parseOption(Options, {
    events: values.events,
    preload: values.preload,
    databaseUrl: values['database-url'],
    redisUrl: values['redis-url'],
    clients: values.clients,
    batch: values.batch,
    captureConcurrency: values['capture-concurrency'],
    aggregates: values.aggregates,
  });

  const name = `uis_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: opts.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(opts.databaseUrl);
  url.pathname = `/${name}`;
  const prefix = `uisbench:${name}:`;
  const token = randomBytes(16).toString('hex');
  let service: RunningService | undefined;
  try {
    await migrate(url.toString());
    await useAggregatesMode(url.toString(), opts.aggregates);
    service = await startService(readEnv({ DATABASE_URL: url.toString(), REDIS_URL: opts.redisUrl, UIS_API_TOKEN: token, UIS_REDIS_PREFIX: prefix, UIS_CAPTURE_CONCURRENCY: String(opts.captureConcurrency) }), { port: 0 });
    // Capture is measured (store, aggregates, publication); the profile builder that `uis serve` also runs is a
    // consumer of the stream with its own benchmark (bench:context), so it does not compete for the cores here.
    await service.builder.stop();
    log(`ingest bench: batches of ${opts.batch}, ${opts.clients} concurrent clients, ${opts.captureConcurrency} capture statements in flight at most, aggregates ${opts.aggregates}, PostgreSQL + Redis on this machine (${name})`);
    const results = [await phase('empty table', opts, service, token, url.toString(), log)];
    if (opts.preload > 0) {
      log(`\npreloading ${opts.preload.toLocaleString('en-US')} events …`);
      await preload(service.pool, opts.preload, log);
      results.push(await phase(`with ${opts.preload.toLocaleString('en-US')} events preloaded`, opts, service, token, url.toString(), log));
    }
    return results;
  } finally {
    await service?.close();
    const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    await redis.del(`${prefix}uis:events`, `${prefix}uis:outbox:inflight`).catch(() => {});
    redis.disconnect();
    const a = new pg.Client({ connectionString: opts.databaseUrl });
    await a.connect();
    await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await a.end();
  }
}
