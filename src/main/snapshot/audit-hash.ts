import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * How the forget audit names a user without holding their id (migrations/1764288000009): hex(sha256(key || UTF-8
 * id)), the key being the database's uis_forget_key. The migration computes the same in SQL for older rows.
 */
export function forgetHash(key: Buffer, userId: string): string {
  return createHash('sha256').update(key).update(userId, 'utf8').digest('hex');
}

/** The database's forget key. */
export async function loadForgetKey(db: pg.Pool | pg.PoolClient): Promise<Buffer> {
  const r = await db.query<{ key: Buffer }>('SELECT key FROM uis_forget_key');
  if (!r.rows[0]) throw new Error('uis_forget_key is empty: run `uis migrate`');
  return r.rows[0].key;
}
