import type { Command } from 'commander';
import { z } from 'zod';
import { EVENT_TYPES } from '../../shared/event.js';
import { formatLiveLine, matchesLive, type LiveFilter } from '../../shared/live.js';
import { readEnv } from '../config.js';
import { LiveService } from '../live/service.js';
import { keysFor } from '../stream/keys.js';
import { createRedis } from '../stream/redis.js';
import { parseOption } from './options.js';
import { redactConnectionString } from '../connection-string.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

const TailOptions = z
  .object({
    user: z.string().min(1).max(200).optional(),
    tool: z.string().min(1).max(200).optional(),
    type: z.enum(EVENT_TYPES).optional(),
    success: z.enum(['true', 'false']).transform((s) => s === 'true').optional(),
    text: z.string().min(1).max(200).optional(),
    channel: z.array(z.string().min(1).max(200).regex(/^\S+$/, 'no spaces')).optional(),
    pattern: z.array(z.string().min(1).max(200).regex(/^\S+$/, 'no spaces')).optional(),
    from: z.union([z.literal('now'), z.string().regex(/^\d+(-\d+)?$/, 'a stream id such as 1764288000000-0, or "now"')]).default('now'),
    backlog: z.coerce.number().int().min(0).max(5000).default(20),
    limit: z.coerce.number().int().min(1).optional(),
    json: z.boolean().optional(),
    demo: z.boolean().optional(),
  })
  .strict();

/** Where the URL points, without its credentials. */
function redisHost(url: string): string {
  try {
    return new URL(url).host || redactConnectionString(url);
  } catch {
    return 'Redis';
  }
}

/** The first line on stderr: what the tail reads and waits on, so an empty screen is never a mystery. */
function startLine(o: z.infer<typeof TailOptions>, filter: LiveFilter, redis: { host: string; stream: string } | null): string {
  const source = redis ? `stream ${redis.stream} on ${redis.host}` : 'the demo simulator';
  const from = !redis ? '' : o.from === 'now' ? ` (new entries${o.backlog ? `, after the last ${o.backlog}` : ''})` : ` (after id ${o.from})`;
  const subs = [...(o.channel ?? []).map((c) => `channel ${c}`), ...(o.pattern ?? []).map((p) => `pattern ${p}`)];
  const filters = Object.entries(filter).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${String(v)}`);
  return `Tailing ${source}${from}${subs.length ? ` and ${subs.join(', ')}` : ''}${filters.length ? `; filters ${filters.join(' ')}` : ''}. Waiting for events; Ctrl-C stops.`;
}

export function registerTailCommand(program: Command): void {
  program
    .command('tail')
    .description('print the live event feed (stream uis:events, plus pub/sub channels) with filters; Ctrl-C stops')
    .option('--user <id>', 'only this user')
    .option('--tool <name>', 'only this tool (image_gen, video_gen, …)')
    .option('--type <type>', `only this event type (${EVENT_TYPES.join(', ')})`)
    .option('--success <bool>', 'only successes (true) or failures (false)')
    .option('--text <text>', 'only items containing this text (message, error, tool, user)')
    .option('--channel <name>', 'also tail this pub/sub channel (repeatable), e.g. user_context', collect)
    .option('--pattern <glob>', 'also tail channels matching this pattern (repeatable), e.g. "chat:*"', collect)
    .option('--from <id>', 'resume after this stream id instead of now (no gap: pass the last id printed with --json)')
    .option('--backlog <n>', 'with --from now, first print the newest n entries (default 20)')
    .option('--limit <n>', 'exit after printing n items')
    .option('--json', 'one JSON item per line (with its stream id in "key")')
    .option('--demo', 'tail the demo simulator instead of Redis (the default when REDIS_URL is not set)')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOption(TailOptions, raw);
      const env = readEnv();
      const filter: LiveFilter = { user: o.user, tool: o.tool, type: o.type, success: o.success, text: o.text };
      const useDemo = o.demo || !env.REDIS_URL;
      if (useDemo && (o.channel?.length || o.pattern?.length)) throw new Error('--channel and --pattern need REDIS_URL (pub/sub lives in Redis)');
      if (useDemo && !o.demo) process.stderr.write('REDIS_URL is not set: showing the demo simulator (set REDIS_URL to tail uis:events).\n');
      let printed = 0;
      let done: () => void = () => {};
      const finished = new Promise<void>((r) => (done = r));
      const redis = useDemo ? null : createRedis(env.REDIS_URL!, { timeoutMs: env.UIS_REDIS_TIMEOUT_MS, cluster: env.UIS_REDIS_CLUSTER });
      const live = new LiveService(
        useDemo ? { mode: 'demo' } : { mode: 'redis', redis: redis!, keyPrefix: env.UIS_REDIS_PREFIX, from: o.from, backlog: o.from === 'now' ? o.backlog : 0 },
        (batch) => {
          for (const item of batch.items) {
            if (!matchesLive(item, filter)) continue;
            process.stdout.write((o.json ? JSON.stringify(item) : formatLiveLine(item)) + '\n');
            if (o.limit && ++printed >= o.limit) return done();
          }
        },
      );
      let lastState = '';
      const stateTimer = setInterval(() => {
        const s = live.status();
        if (s.state !== lastState && s.state !== 'live') process.stderr.write(`[${s.state}] ${s.message}\n`);
        lastState = s.state;
      }, 250);
      live.start();
      for (const c of o.channel ?? []) await live.subscribe('channel', c);
      for (const p of o.pattern ?? []) await live.subscribe('pattern', p);
      process.stderr.write(startLine(o, filter, useDemo ? null : { host: redisHost(env.REDIS_URL!), stream: keysFor(redis!, env.UIS_REDIS_PREFIX).stream }) + '\n');
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
      await finished;
      clearInterval(stateTimer);
      await live.close();
      redis?.disconnect();
      process.exit(0);
    });
}
