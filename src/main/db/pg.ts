import pg from 'pg';

// The seed's columns are TIMESTAMP (no time zone). The system stores UTC in them and reads them back as UTC
// ISO strings, so no value ever depends on the machine's time zone.
/** TIMESTAMP (UTC without zone) → ISO 8601 with exactly 3 fraction digits, as Date#toISOString writes it (PostgreSQL
 * trims trailing zeros and may send microseconds); anything else (infinity) is passed through. */
export function timestampToIso(s: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(s);
  return m ? `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}Z` : s;
}
pg.types.setTypeParser(pg.types.builtins.TIMESTAMP, timestampToIso);
pg.types.setTypeParser(pg.types.builtins.INT8, (s: string) => Number(s));

export interface PoolOptions {
  /** Sessions refuse writes (used by the snapshot sync: PostgreSQL is only read). */
  readOnly?: boolean;
  statementTimeoutMs?: number;
  max?: number;
  applicationName?: string;
}

export function createPool(connectionString: string, opts: PoolOptions = {}): pg.Pool {
  const settings = ['-c TimeZone=UTC'];
  if (opts.readOnly) settings.push('-c default_transaction_read_only=on');
  if (opts.statementTimeoutMs) settings.push(`-c statement_timeout=${opts.statementTimeoutMs}`);
  const pool = new pg.Pool({
    connectionString,
    options: settings.join(' '),
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'uis',
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  // Nor a client in use: when PostgreSQL goes away at once (crash, immediate shutdown), node-postgres can emit 'error'
  // on a client after its query already failed and the pool let go of it, with no listener left: an uncaught
  // exception that ended `uis serve`. The query's own error still reaches its caller (a 503, a retry).
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** Runs fn inside BEGIN/COMMIT on one client, rolling back on any error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
