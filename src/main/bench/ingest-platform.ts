/**
 * The chat platform's side of bench:ingest, run in a process of its own (forked by src/main/bench/ingest.ts), as the
 * platform runs apart from `uis serve`: it generates the events, prepares each door's payloads before the clock, sends
 * them with --clients concurrent clients (HTTP: POST /v1/events; library: UisClient.track() on its own pool) and
 * reports every batch's latency and its own CPU time. Messages: prepare -> ready, go -> done (or error).
 */
import http from 'node:http';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { readBenchEnv } from '../config.js';
import { createPool } from '../db/pg.js';
import { UisClient } from '../ingest/client.js';
import type { EventInput } from '../../shared/event.js';

export interface PlatformJob {
  door: 'HTTP' | 'library';
  url: string;
  token: string;
  databaseUrl: string;
  clients: number;
  batch: number;
  /** The library client's captureConcurrency (uis serve gets the same through UIS_CAPTURE_CONCURRENCY). */
  captureConcurrency: number;
  /** Untimed warm-up events (one batch per client), then the timed ones. */
  warmup: { count: number; tag: string; startMs: number };
  timed: { count: number; tag: string; startMs: number };
  /** 'grouped': 10-event conversations one after another (50 per batch); 'live': see liveShaped(). */
  shape: BatchShape;
  /** Closed loop (--clients senders, each waiting for its answer), or open loop at a fixed offered rate. */
  offeredEventsPerSecond?: number;
}

export type BatchShape = 'grouped' | 'live';

export type PlatformMessage =
  | { type: 'ready' }
  | { type: 'done'; latencies: number[]; cpuSeconds: number; acks: number[] }
  | { type: 'error'; message: string };

const TOOLS = ['video_gen', 'image_gen', 'search', 'translate', 'audio_edit'];
export const EVENTS_PER_CONVERSATION = 10;

/** Realistic batches: 10-event conversations (user message, tool call, reply, ... completion), 50 events per user. */
export function generate(count: number, tag: string, startMs: number): EventInput[] {
  const events: EventInput[] = [];
  let conversation = '';
  for (let i = 0; i < count; i++) {
    const step = i % EVENTS_PER_CONVERSATION;
    if (step === 0) conversation = uuidv7();
    const user_id = `${tag}-user-${Math.floor(i / 50)}`;
    const timestamp = new Date(startMs + i).toISOString();
    const base = { conversation_id: conversation, user_id, timestamp };
    if (step === EVENTS_PER_CONVERSATION - 1) {
      events.push({ ...base, event_type: 'completion', completion_status: i % 3 === 0 ? 'abandoned' : 'completed' });
    } else if (step % 3 === 1) {
      const tool = TOOLS[i % TOOLS.length];
      events.push({ ...base, event_type: 'tool_call', tool_name: tool, success: i % 7 !== 0, credits_consumed: 1 + (i % 5), content: { tool, params: { prompt: `prompt ${i}` } } });
    } else {
      const role = step % 3 === 0 ? 'user' : 'assistant';
      events.push({ ...base, event_type: 'message', content: { role, message: `${role} message number ${i} about making a short product video` } });
    }
  }
  return events;
}

/** Conversations live at once in a live-shaped stream (one event of each per 500-event batch). */
export const LIVE_CONVERSATIONS = 500;

/**
 * The events as live chat interleaves them: conversations run LIVE_CONVERSATIONS at a time, and a batch of that many
 * events holds the next event of each (every conversation's own order kept, continuing over the next batches until it
 * ends, then the next conversations start). Timestamps are rewritten to follow the new order.
 */
export function liveShaped(events: EventInput[], startMs: number): EventInput[] {
  const conv = (i: number) => Math.floor(i / EVENTS_PER_CONVERSATION);
  const win = (i: number) => Math.floor(conv(i) / LIVE_CONVERSATIONS);
  const order = [...events.keys()].sort((a, b) => win(a) - win(b) || (a % EVENTS_PER_CONVERSATION) - (b % EVENTS_PER_CONVERSATION) || a - b);
  return order.map((i, n) => ({ ...events[i], timestamp: new Date(startMs + n).toISOString() }));
}

/** The events of generate() in the given batch shape. */
export function shaped(count: number, tag: string, startMs: number, shape: BatchShape): EventInput[] {
  const events = generate(count, tag, startMs);
  return shape === 'live' ? liveShaped(events, startMs) : events;
}

/** Wall clock in ms with sub-millisecond precision, comparable between the processes of one machine. */
export const clockMs = () => performance.timeOrigin + performance.now();

/**
 * Open loop: batch k is sent at start + k × interval whether or not the earlier ones were answered (as a chat
 * platform's traffic arrives), so a slow answer cannot hold back the next sends. Latency counts from the scheduled
 * send time. Returns each batch's latency (sorted) and the clock time of each answer.
 */
async function runOpenLoop<B>(batches: Array<[B, number]>, eventsPerSecond: number, send: (batch: B, n: number) => Promise<void>): Promise<{ latencies: number[]; acks: number[] }> {
  const latencies: number[] = [];
  const acks: number[] = [];
  const start = clockMs() + 5;
  let due = start;
  const sent: Array<Promise<void>> = [];
  for (const [b, n] of batches) {
    const wait = due - clockMs();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const scheduled = due;
    sent.push(
      send(b, n).then(() => {
        const t = clockMs();
        acks.push(t);
        latencies.push(t - scheduled);
      }),
    );
    due += (n / eventsPerSecond) * 1000;
  }
  await Promise.all(sent);
  return { latencies: latencies.sort((a, b) => a - b), acks };
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs the batches with `clients` concurrent workers; returns each batch's latency in ms and answer times. */
async function runConcurrently<B>(batches: B[], clients: number, send: (batch: B) => Promise<void>): Promise<{ latencies: number[]; acks: number[] }> {
  const latencies: number[] = [];
  const acks: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        const t = clockMs();
        await send(batch);
        const done = clockMs();
        acks.push(done);
        latencies.push(done - t);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), acks };
}

// The load generator shares the cores with the system it measures, so it is kept light: node:http with keep-alive
// connections rather than fetch() (WHATWG streams and Response objects for every request).
const agent = new http.Agent({ keepAlive: true });

function post(url: string, token: string, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${token}` },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.end(body);
  });
}


type Send = (payload: Buffer | EventInput[], events: number) => Promise<void>;

/** The door's client, and its payloads prepared as the platform would hold them before sending. */
function door(job: PlatformJob): { prepare: (events: EventInput[]) => Buffer | EventInput[]; send: Send; close: () => Promise<void> } {
  if (job.door === 'HTTP') {
    return {
      // The request bodies as bytes, as a platform holds what it is about to send.
      prepare: (events) => Buffer.from(JSON.stringify({ events })),
      send: async (body, n) => {
        const res = await post(`${job.url}/v1/events`, job.token, body as Buffer);
        const answer = JSON.parse(res.body) as { accepted?: number };
        if (res.status !== 202 || answer.accepted !== n) throw new Error(`HTTP ingest answered ${res.status}: ${res.body}`);
      },
      close: async () => agent.destroy(),
    };
  }
  // Open loop: as many batches in flight as the offered rate makes wait; the client's slots still bound the statements.
  const pool: pg.Pool = createPool(job.databaseUrl, { applicationName: 'uis-bench-library', max: job.offeredEventsPerSecond ? 2 * job.captureConcurrency + 2 : job.clients + 1 });
  // `uis serve` runs beside it (as the relay needs): its applier applies the aggregates after the commit.
  const client = new UisClient({ pool, captureConcurrency: job.captureConcurrency, aggregates: 'applier' });
  return {
    prepare: (events) => events,
    send: async (events, n) => {
      const r = await client.track(events as EventInput[]);
      if (r.accepted !== n) throw new Error(`library stored ${r.accepted} of ${n}`);
    },
    close: () => pool.end(),
  };
}

// Only when forked as the platform (a test runner's worker has an IPC channel too, and its messages are not ours).
if (readBenchEnv().UIS_BENCH_PLATFORM === '1' && process.send) {
  let job: PlatformJob | null = null;
  let payloads: Array<[Buffer | EventInput[], number]> = [];
  let client: ReturnType<typeof door> | null = null;
  const reply = (m: PlatformMessage) => process.send!(m);
  const prepared = (spec: PlatformJob['timed']) =>
    chunks(shaped(spec.count, spec.tag, spec.startMs, job!.shape), job!.batch).map((b): [Buffer | EventInput[], number] => [client!.prepare(b), b.length]);
  process.on('message', (m: { type: 'prepare'; job: PlatformJob } | { type: 'go' } | { type: 'close' }) => {
    void (async () => {
      try {
        if (m.type === 'prepare') {
          job = m.job;
          client = door(job);
          await runConcurrently(prepared(job.warmup), job.clients, ([p, n]) => client!.send(p, n));
          payloads = prepared(job.timed);
          reply({ type: 'ready' });
        } else if (m.type === 'go') {
          const cpu = process.cpuUsage();
          const { latencies, acks } = job!.offeredEventsPerSecond
            ? await runOpenLoop(payloads, job!.offeredEventsPerSecond, (p, n) => client!.send(p, n))
            : await runConcurrently(payloads, job!.clients, ([p, n]) => client!.send(p, n));
          const used = process.cpuUsage(cpu);
          reply({ type: 'done', latencies, acks, cpuSeconds: (used.user + used.system) / 1e6 });
        } else {
          await client?.close();
          process.disconnect();
        }
      } catch (err) {
        reply({ type: 'error', message: (err as Error).message });
      }
    })();
  });
}
