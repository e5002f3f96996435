import os from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { UserId } from '../../shared/context.js';
import { ConfigError, readEnv } from '../config.js';
import { createPool } from '../db/pg.js';
import { forgetUser } from '../forget/forget.js';
import { createRedis, whenReady } from '../stream/redis.js';
import { parseOption } from './options.js';

export function registerForgetCommand(program: Command): void {
  program
    .command('forget')
    .description("forget a user everywhere: events, conversations, profile, memory, stream entries, and every snapshot at its next sync; writes an audit record (run it again at will)")
    .argument('<user_id>', 'the user to forget')
    .option('--by <name>', 'who asks (recorded in the audit; default: your OS user name)')
    .option('--json', 'print the result as JSON')
    .action(async (userId: string, raw: { by?: string; json?: boolean }) => {
      const opts = parseOption(z.object({ userId: UserId, by: z.string().min(1).max(200).optional(), json: z.boolean().optional() }), { ...raw, userId });
      const env = readEnv();
      if (!env.DATABASE_URL) throw new ConfigError('DATABASE_URL is not set: forget deletes from PostgreSQL.');
      const pool = createPool(env.DATABASE_URL, { applicationName: 'uis-forget', max: 2 });
      const redis = env.REDIS_URL ? createRedis(env.REDIS_URL, { timeoutMs: env.UIS_REDIS_TIMEOUT_MS, cluster: env.UIS_REDIS_CLUSTER }) : null;
      try {
        // Connected first (a Cluster discovers its nodes): without the offline queue a command sent sooner is refused.
        if (redis) await whenReady(redis, env.UIS_REDIS_TIMEOUT_MS);
        const result = await forgetUser(pool, opts.userId, { requestedBy: `cli:${opts.by ?? os.userInfo().username}`, redis, keyPrefix: env.UIS_REDIS_PREFIX });
        if (opts.json) console.log(JSON.stringify(result, null, 2));
        else {
          const r = result.removed;
          console.log(
            `Forgot user ${result.user_id}: ${r.events} events, ${r.conversations} conversations, ${r.profiles} profile, ${r.outbox} unpublished, ` +
              `${r.memory_rows} memory rows, ${r.stream_entries ?? 'unknown (Redis unreachable)'} stream entries, ` +
              `${r.shared_conversations} shared conversations and ${r.recomputed_profiles} other profiles recomputed (audit #${result.audit_id}, by ${result.requested_by}).`,
          );
          for (const w of result.warnings) console.log(`warning: ${w}`);
        }
      } finally {
        redis?.disconnect();
        await pool.end();
      }
    });
}
