import type pg from 'pg';
import { applyUserEvents, type ApplyOptions } from './store.js';

const LOCK = "hashtext('uis_profile_reconcile')";

export interface ReconcileResult {
  /** Events looked at (stored after the watermark and older than the grace period). */
  scanned: number;
  /** Events that had not reached the ledger and were applied now. */
  applied: number;
  watermark: number;
  /** Users whose profile changed. */
  users: string[];
  /** False when another process holds the reconciler lock (it runs in one process at a time). */
  ran: boolean;
}

/**
 * The safety net behind the stream: every stored event older than `graceMs` must be in the ledger. Events the stream
 * lost (trimmed by MAXLEN before the builder read them, or a Redis restart without persistence) are applied here from
 * PostgreSQL. The ledger makes a race with the stream path harmless: whichever comes second changes nothing.
 */
export async function reconcileOnce(pool: pg.Pool, opts: ApplyOptions & { graceMs?: number; batch?: number } = {}): Promise<ReconcileResult> {
  const client = await pool.connect();
  try {
    const got = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${LOCK}) AS ok`);
    if (!got.rows[0].ok) return { scanned: 0, applied: 0, watermark: -1, users: [], ran: false };
    try {
      const batch = opts.batch ?? 5000;
      let watermark = Number((await client.query<{ change_seq: number }>("SELECT change_seq FROM uis_profile_watermark WHERE name = 'builder'")).rows[0]?.change_seq ?? 0);
      let scanned = 0;
      let applied = 0;
      const users = new Set<string>();
      for (;;) {
        const rows = (
          await client.query<{ change_seq: number; id: string; user_id: string; applied: boolean }>(
            `SELECT e.change_seq, e.id, e.user_id, (a.event_id IS NOT NULL) AS applied
             FROM conversation_events e LEFT JOIN uis_profile_applied a ON a.event_id = e.id
             WHERE e.change_seq > $1 AND e.updated_at < now() - make_interval(secs => $2)
             ORDER BY e.change_seq LIMIT $3`,
            [watermark, (opts.graceMs ?? 10_000) / 1000, batch],
          )
        ).rows;
        if (rows.length === 0) break;
        scanned += rows.length;
        const missing = new Map<string, string[]>();
        for (const r of rows) if (!r.applied) missing.set(r.user_id, [...(missing.get(r.user_id) ?? []), r.id]);
        for (const [userId, ids] of missing) {
          const n = await applyUserEvents(pool, userId, ids, opts);
          applied += n;
          if (n > 0) users.add(userId);
        }
        watermark = rows[rows.length - 1].change_seq;
        await client.query(
          "INSERT INTO uis_profile_watermark (name, change_seq) VALUES ('builder', $1) ON CONFLICT (name) DO UPDATE SET change_seq = EXCLUDED.change_seq",
          [watermark],
        );
        if (rows.length < batch) break;
      }
      return { scanned, applied, watermark, users: [...users], ran: true };
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${LOCK})`);
    }
  } finally {
    client.release();
  }
}
