import pg from 'pg';
import { Redis } from 'ioredis';
import type { ConnectionTest } from '../../shared/metrics-workspace.js';
import { scrubSecrets } from '../connection-string.js';

/** A driver's message without credentials: redacted, and without the secrets it may echo on their own. */
function clean(err: unknown, urls: Array<string | null | undefined>): string {
  return scrubSecrets(err instanceof Error ? err.message || err.name : String(err), urls);
}

/** Checks a workspace's connections. Messages never contain credentials. */
export async function testConnection(pgUrl: string, redisUrl?: string | null, timeoutMs = 5000): Promise<ConnectionTest> {
  const postgres = await (async () => {
    const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: timeoutMs, options: `-c default_transaction_read_only=on -c statement_timeout=${timeoutMs}` });
    client.on('error', () => {});
    try {
      await client.connect();
      const r = await client.query<{ v: string; events: boolean }>(
        `SELECT current_setting('server_version') AS v, to_regclass('public.conversation_events') IS NOT NULL AS events`,
      );
      const row = r.rows[0];
      return row.events
        ? { ok: true, message: `PostgreSQL ${row.v}: connected, schema found` }
        : { ok: false, message: `PostgreSQL ${row.v}: connected, but conversation_events is missing (run uis migrate)` };
    } catch (err) {
      return { ok: false, message: `PostgreSQL: ${clean(err, [pgUrl])}` };
    } finally {
      await client.end().catch(() => {});
    }
  })();
  const redis = redisUrl
    ? await (async () => {
        const client = new Redis(redisUrl, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
        client.on('error', () => {});
        try {
          await client.connect();
          const pong = await client.ping();
          return { ok: pong === 'PONG', message: `Redis: ${pong}` };
        } catch (err) {
          return { ok: false, message: `Redis: ${clean(err, [redisUrl])}` };
        } finally {
          client.disconnect();
        }
      })()
    : null;
  return { ok: postgres.ok && (redis?.ok ?? true), postgres, redis };
}
