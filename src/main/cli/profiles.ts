import type { Command } from 'commander';
import { z } from 'zod';
import { UserId } from '../../shared/context.js';
import { ConfigError, readEnv } from '../config.js';
import { loadUserContext } from '../context/load.js';
import { createPool } from '../db/pg.js';
import { redactConnectionString } from '../connection-string.js';
import { ProfileBuilder } from '../profiles/builder.js';
import { rebuildProfiles } from '../profiles/store.js';
import { keysFor } from '../stream/keys.js';
import { createRedis, whenReady } from '../stream/redis.js';
import { parseOption } from './options.js';

function needDatabase(): { url: string; env: ReturnType<typeof readEnv> } {
  const env = readEnv();
  if (!env.DATABASE_URL) throw new ConfigError('DATABASE_URL is not set: profiles live in PostgreSQL.');
  return { url: env.DATABASE_URL, env };
}

export function registerProfilesCommand(program: Command): void {
  const profiles = program.command('profiles').description('user profiles (memory): rebuild from PostgreSQL, show one');

  profiles
    .command('rebuild')
    .description('recompute every derived profile field and the preference memory from the stored events')
    .option('--user <id...>', 'only these users')
    .action(async (raw: { user?: string[] }) => {
      const opts = parseOption(z.object({ user: z.array(UserId).optional() }), raw);
      const { url, env } = needDatabase();
      const pool = createPool(url, { applicationName: 'uis-profiles', max: 2 });
      const started = Date.now();
      try {
        const r = await rebuildProfiles(pool, {
          users: opts.user,
          onProgress: (done, total) => {
            if (done % 500 === 0 || done === total) process.stderr.write(`\r${done}/${total} users`);
          },
        });
        process.stderr.write('\n');
        console.log(`Rebuilt ${r.users} profiles from ${r.events} events in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
        // Running services drop their cached context for these users.
        if (env.REDIS_URL && r.users > 0) {
          const redis = createRedis(env.REDIS_URL, { timeoutMs: env.UIS_REDIS_TIMEOUT_MS, cluster: env.UIS_REDIS_CLUSTER });
          await whenReady(redis, env.UIS_REDIS_TIMEOUT_MS);
          const users = opts.user ?? (await pool.query<{ user_id: string }>('SELECT user_id FROM user_profiles')).rows.map((x) => x.user_id);
          for (let i = 0; i < users.length; i += 1000)
            await redis.publish(keysFor(redis, env.UIS_REDIS_PREFIX).profileChanged, JSON.stringify({ users: users.slice(i, i + 1000) })).catch(() => 0);
          redis.disconnect();
        }
      } finally {
        await pool.end();
      }
    });

  profiles
    .command('worker')
    .description('run extra profile-builder workers (the consumer group shares the stream with `uis serve`); Ctrl-C stops')
    .option('--workers <n>', 'workers in this process (default 1)')
    .action(async (raw: { workers?: string }) => {
      const opts = parseOption(z.object({ workers: z.coerce.number().int().min(1).max(32).default(1) }), raw);
      const { url, env } = needDatabase();
      if (!env.REDIS_URL) throw new ConfigError('REDIS_URL is not set: the workers read the stream uis:events.');
      const pool = createPool(url, { applicationName: 'uis-profile-worker', max: opts.workers * 2 });
      const redis = createRedis(env.REDIS_URL, { timeoutMs: env.UIS_REDIS_TIMEOUT_MS, cluster: env.UIS_REDIS_CLUSTER });
      const workers = Array.from({ length: opts.workers }, () =>
        new ProfileBuilder(pool, redis, {
          keyPrefix: env.UIS_REDIS_PREFIX,
          onError: (e) => process.stderr.write(`profile worker: ${redactConnectionString(e.message)} (retrying)\n`),
        }),
      );
      for (const w of workers) w.start();
      console.log(`${opts.workers} profile worker(s) running: ${workers.map((w) => w.consumer).join(', ')}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await Promise.all(workers.map((w) => w.stop()));
      console.log(`Applied ${workers.reduce((n, w) => n + w.appliedCount, 0)} events.`);
      redis.disconnect();
      await pool.end();
    });

  profiles
    .command('show')
    .description("print a user's context as the context API serves it (the prompt block, or --json for everything)")
    .argument('<user_id>')
    .option('--json', 'the whole context as JSON')
    .action(async (userId: string, raw: { json?: boolean }) => {
      const opts = parseOption(z.object({ userId: UserId, json: z.boolean().optional() }), { ...raw, userId });
      const { url } = needDatabase();
      const pool = createPool(url, { applicationName: 'uis-profiles', max: 3 });
      try {
        const ctx = await loadUserContext(pool, opts.userId);
        if (!ctx) throw new ConfigError(`No profile for user "${opts.userId}".`);
        console.log(opts.json ? JSON.stringify(ctx, null, 2) : ctx.prompt);
      } finally {
        await pool.end();
      }
    });
}
