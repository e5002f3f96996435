/**
 * `npm run bench:capture` (= `uis bench capture`): what the capture statement costs PostgreSQL per event, beside a raw
 * COPY of the same rows, on one connection with nothing else running: the CPU of that one backend (Linux /proc), so the
 * figure is not blurred by the relay, Redis, the clients or the other connections that bench:ingest runs at once.
 *
 *   raw COPY          one COPY per batch (each its own transaction, as every ingest batch is), capture trigger off
 *   statement alone   storeEvents()' INSERT statement, capture trigger off: JSON parameter, conversations, NOT EXISTS
 *   capture           storeEvents() as ingest runs it: the statement and its trigger (aggregates, profiles, outbox)
 *   capture, spread   the same events reordered so that a batch holds one event of each of 500 conversations that go
 *                     on across batches (live chat traffic), not 10 events of each of 50 (bench:ingest's shape)
 *   spread, merged    (--aggregates after-commit only) the spread batches stored, their aggregates applied every 4
 *                     batches in one pass, as `uis serve`'s applier does when batches arrive faster than a pass
 *
 * --aggregates after-commit (migrations/1764288000010): each capture variant's figure is the statement plus the
 * application of its aggregates after the commit (uis_apply_aggregates() on the same backend); in-trigger: the
 * database taken back to 1764288000009, the aggregates inside the statement's trigger (issue 21's A/B).
 *
 * The three run interleaved, --rounds times, each on fresh events appended to the same table. It creates and drops its
 * own database; PostgreSQL must run on this machine (its backend's CPU is read from /proc).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { z } from 'zod';
import { AggregatesMode, useAggregatesMode } from './aggregates-mode.js';
import { processStat } from './cpu.js';
import { COPY_EVENTS, copyLines, createConversations } from './ingest.js';
import { chunks, EVENTS_PER_CONVERSATION, generate } from './ingest-platform.js';
import { readBenchEnv } from '../config.js';
import { parseOption } from '../cli/options.js';
import { migrate } from '../db/migrate.js';
import { applyAggregatesOnce } from '../ingest/aggregates.js';
import { storeEvents } from '../ingest/capture.js';
import type { EventInput } from '../../shared/event.js';

const Options = z.object({
  events: z.coerce.number().int().min(100).max(1_000_000).default(20_000),
  batch: z.coerce.number().int().min(1).max(1000).default(500),
  rounds: z.coerce.number().int().min(1).max(20).default(3),
  databaseUrl: z.string().url().default(readBenchEnv().UIS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
  aggregates: AggregatesMode,
});

const VARIANTS = ['raw COPY', 'statement alone', 'capture', 'capture, spread', 'spread, merged'] as const;
/** Batches whose aggregates one pass applies in 'spread, merged'. */
const MERGED = 4;
type Variant = (typeof VARIANTS)[number];

export interface CaptureCostResult {
  variant: Variant;
  /** PostgreSQL backend CPU µs per event, one figure per round. */
  postgres: number[];
  /** This process's CPU µs per event (building the COPY lines or the JSON parameter, the driver), per round. */
  node: number[];
}

/**
 * The events in the order live traffic interleaves them: the first event of every conversation, then the second of
 * every one, and so on (each conversation's own order kept), timestamps rewritten to follow that order.
 */
function spread(events: EventInput[], startMs: number): EventInput[] {
  const order = [...events.keys()].sort((a, b) => (a % EVENTS_PER_CONVERSATION) - (b % EVENTS_PER_CONVERSATION) || a - b);
  return order.map((i, n) => ({ ...events[i], timestamp: new Date(startMs + n).toISOString() }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function main(args: string[], log: (line: string) => void = console.log): Promise<CaptureCostResult[]> {
  if (args.includes('--help') || args.includes('-h')) {
    log('usage: npm run bench:capture -- [--events N (20000 per variant and round)] [--batch N (500)] [--rounds N (3)] [--aggregates after-commit|in-trigger] [--database-url URL]');
    return [];
  }
  const { values } = parseArgs({
    args,
    options: { events: { type: 'string' }, batch: { type: 'string' }, rounds: { type: 'string' }, 'database-url': { type: 'string' }, aggregates: { type: 'string' } },
    strict: true,
  });
  const opts = parseOption(Options, { events: values.events, batch: values.batch, rounds: values.rounds, databaseUrl: values['database-url'], aggregates: values.aggregates });
  const variants = VARIANTS.filter((v) => v !== 'spread, merged' || opts.aggregates === 'after-commit');
  const afterCommit = opts.aggregates === 'after-commit';

  const name = `uis_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: opts.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(opts.databaseUrl);
  url.pathname = `/${name}`;
  // One connection: every statement below runs on the backend whose CPU is read.
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
  pool.on('error', () => {}); // the connection the final DROP DATABASE … WITH (FORCE) ends
  try {
    await migrate(url.toString());
    await useAggregatesMode(url.toString(), opts.aggregates);
    const pid = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const backendSeconds = () => {
      const p = processStat(pid);
      if (!p) throw new Error(`cannot read the CPU of PostgreSQL backend ${pid}: bench:capture needs PostgreSQL on this machine (Linux /proc)`);
      return p.seconds;
    };
    backendSeconds();
    log(`capture cost: PostgreSQL backend CPU per event, batches of ${opts.batch}, ${opts.events.toLocaleString('en-US')} events per variant and round, ${opts.rounds} interleaved rounds, aggregates ${opts.aggregates} (${name})`);

    const results = variants.map((variant): CaptureCostResult => ({ variant, postgres: [], node: [] }));
    let start = Date.UTC(2026, 0, 1);
    const run = async (variant: Variant, warmup: boolean) => {
      let events = generate(warmup ? opts.batch : opts.events, `${variant}-${start}`, start);
      if (variant === 'capture, spread' || variant === 'spread, merged') events = spread(events, start);
      start += events.length;
      const batches = chunks(events, opts.batch);
      const triggerOff = variant === 'raw COPY' || variant === 'statement alone';
      if (triggerOff) await pool.query('ALTER TABLE conversation_events DISABLE TRIGGER uis_events_inserted');
      try {
        let work: () => Promise<void>;
        if (variant === 'raw COPY') {
          await createConversations(pool, events);
          const texts = batches.map((b) => copyLines(b, 'time-ordered').join(''));
          work = async () => {
            for (const text of texts) {
              const client = await pool.connect();
              try {
                await pipeline(Readable.from([text]), client.query(copyFrom(COPY_EVENTS)));
              } finally {
                client.release();
              }
            }
          };
        } else if (variant === 'spread, merged') {
          work = async () => {
            for (const [i, b] of batches.entries()) {
              const r = await storeEvents(pool, b, { aggregates: 'applier' });
              if (r.accepted !== b.length) throw new Error(`${variant}: stored ${r.accepted} of ${b.length}`);
              if (i % MERGED === MERGED - 1 || i === batches.length - 1) await applyAggregatesOnce(pool, { wait: true, maxRows: 1000 });
            }
          };
        } else {
          // after-commit: the statement, then its aggregates applied on the same backend (counted with it).
          const aggregates = afterCommit && variant !== 'statement alone' ? 'after-commit' : 'applier';
          work = async () => {
            for (const b of batches) {
              const r = await storeEvents(pool, b, { aggregates });
              if (r.accepted !== b.length) throw new Error(`${variant}: stored ${r.accepted} of ${b.length}`);
            }
          };
        }
        const pg0 = backendSeconds();
        const node0 = process.cpuUsage();
        await work();
        const node = process.cpuUsage(node0);
        if (!warmup) {
          const r = results.find((x) => x.variant === variant)!;
          r.postgres.push(((backendSeconds() - pg0) / events.length) * 1e6);
          r.node.push((node.user + node.system) / events.length);
        }
      } finally {
        if (triggerOff) await pool.query('ALTER TABLE conversation_events ENABLE TRIGGER uis_events_inserted');
      }
    };
    for (const v of variants) await run(v, true); // plan caches, connection, JIT of this process
    for (let round = 0; round < opts.rounds; round++) for (const v of variants) await run(v, false);
    // The aggregates ran for the two capture variants' events and for no other: every conversation they stored
    // counts its messages, those of the COPY and of the statement alone (trigger off) count none.
    const counted = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM conversations WHERE message_count > 0')).rows[0].n;
    const expected = ((variants.length - 2) * (opts.batch + opts.rounds * opts.events)) / EVENTS_PER_CONVERSATION;
    if (counted !== expected) throw new Error(`the capture trigger ran for ${counted} conversations, expected ${expected}`);

    const copy = median(results[0].postgres);
    for (const r of results) {
      const pgMedian = median(r.postgres);
      log(
        `  ${r.variant.padEnd(16)} PostgreSQL ${pgMedian.toFixed(1).padStart(5)} µs/event (rounds: ${r.postgres.map((x) => x.toFixed(1)).join(' / ')})` +
          `   ${r.variant === 'raw COPY' ? '' : `${(pgMedian / copy).toFixed(2)}× the COPY, +${(pgMedian - copy).toFixed(1)} µs   `}` +
          `this process ${median(r.node).toFixed(1)} µs/event`,
      );
    }
    return results;
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
