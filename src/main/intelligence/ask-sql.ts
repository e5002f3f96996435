import type Database from 'better-sqlite3';
import type { AskQuery } from '../../shared/intelligence.js';

/**
 * What Ask's SQL may do, checked on the connection that runs it (inside the Ask box, src/main/intelligence/ask-sql-box.ts):
 * one read-only SELECT/WITH statement, reading only the tables shown to the model, with results capped in rows and bytes.
 *
 * better-sqlite3 exposes neither sqlite3_set_authorizer nor sqlite3_limit, so the table check is done on the
 * statement's compiled program instead: `EXPLAIN <sql>` lists every b-tree the statement opens (OpenRead with the
 * b-tree's root page, also for tables reached through views and subqueries), and each root page must belong to an
 * allowed table or one of its indexes. An opcode that opens anything else fails the check (fail-closed if a future
 * SQLite adds an opener). Value sizes are bounded as rows are read: blobs are never copied out, long strings are cut.
 */

/** Tables Ask never shows nor reads: internal bookkeeping, the log of what was sent to the LLM, and SQLite's own. */
const HIDDEN_TABLES = new Set(['meta', 'ai_sent_log']);
export const isHiddenTable = (name: string): boolean => HIDDEN_TABLES.has(name) || name.toLowerCase().startsWith('sqlite_');

export interface SqlCaps {
  /** At most this many rows. */
  rows: number;
  /** At most this many bytes of row JSON (what the LLM and the page receive). */
  bytes: number;
  /** Strings longer than this many characters are cut. */
  cell: number;
}
export const DEFAULT_SQL_CAPS: SqlCaps = { rows: 200, bytes: 64_000, cell: 1_000 };

/** Opcodes that open a cursor on a real b-tree (P2 = root page, P3 = database index). */
const BTREE_OPENERS = new Set(['OpenRead', 'OpenWrite', 'ReopenIdx']);
/** Opcodes that open scratch cursors (sorters, temporary results) or eponymous virtual tables such as json_each. */
const SCRATCH_OPENERS = new Set(['OpenEphemeral', 'OpenAutoindex', 'OpenPseudo', 'OpenDup', 'SorterOpen', 'VOpen']);
const OPFLAG_P2ISREG = 0x02;
/**
 * Table-valued functions that describe the database file rather than hold data (its path, page statistics of every
 * table). A table-valued function can only be named literally in SQL, so matching the text is enough.
 */
const DATABASE_INTROSPECTION = /\b(pragma_\w+|dbstat)\b/i;

export function describeSchema(db: Database.Database): string {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>;
  return tables
    .filter((t) => !isHiddenTable(t.name))
    .map((t) => {
      const cols = db.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(t.name) as Array<{ name: string; type: string }>;
      return `${t.name}(${cols.map((c) => `${c.name} ${c.type}`.trim()).join(', ')})`;
    })
    .join('\n');
}

/** Refuses the statement when its program opens a b-tree that is not an allowed table or one of its indexes. */
function authorize(db: Database.Database, sql: string): void {
  const objects = db.prepare('SELECT name, tbl_name, rootpage FROM sqlite_schema WHERE rootpage > 0').all() as Array<{ name: string; tbl_name: string; rootpage: number }>;
  const byRoot = new Map(objects.map((o) => [o.rootpage, o]));
  byRoot.set(1, { name: 'sqlite_schema', tbl_name: 'sqlite_schema', rootpage: 1 });
  const program = db.prepare(`EXPLAIN ${sql}`).all() as Array<{ opcode: string; p2: number; p3: number; p5: number }>;
  for (const op of program) {
    if (BTREE_OPENERS.has(op.opcode)) {
      const object = byRoot.get(op.p2);
      const table = object?.tbl_name ?? 'an unknown table';
      if (op.p3 !== 0 || op.p5 & OPFLAG_P2ISREG || !object || isHiddenTable(object.tbl_name)) throw new Error(`not authorized: ${table} cannot be read by Ask`);
    } else if (/open/i.test(op.opcode) && !SCRATCH_OPENERS.has(op.opcode)) {
      throw new Error(`not authorized: the statement opens ${op.opcode}`);
    }
  }
}

type Cell = string | number | null;

function cell(v: unknown, caps: SqlCaps): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return v.length > caps.cell ? `${v.slice(0, caps.cell)}… [${v.length} characters, cut]` : v;
  if (v instanceof Uint8Array) return `[blob, ${v.byteLength} bytes]`;
  return String(v).slice(0, caps.cell);
}

/**
 * Runs `sql` if it is a single read-only SELECT/WITH over allowed tables; rows and bytes capped (`truncated` says
 * so), long values cut. Errors are returned in `error`, never thrown.
 */
export function runReadOnlySql(db: Database.Database, sql: string, caps: SqlCaps = DEFAULT_SQL_CAPS): AskQuery {
  const query: AskQuery = { sql, columns: [], rows: [], truncated: false, error: null, timedOut: false };
  try {
    if (!/^\s*(select|with)\b/i.test(sql)) throw new Error('only SELECT (or WITH … SELECT) statements are allowed');
    const stmt = db.prepare(sql); // throws on more than one statement
    if (!stmt.reader || !stmt.readonly) throw new Error('only read-only statements that return rows are allowed');
    if (DATABASE_INTROSPECTION.test(sql)) throw new Error(`not authorized: ${DATABASE_INTROSPECTION.exec(sql)?.[1]} cannot be read by Ask`);
    authorize(db, sql);
    query.columns = stmt.columns().map((c) => c.name.slice(0, caps.cell));
    let bytes = JSON.stringify(query.columns).length;
    for (const raw of stmt.raw(true).iterate() as Iterable<unknown[]>) {
      if (query.rows.length >= caps.rows) {
        query.truncated = true;
        break;
      }
      const row = raw.map((v) => cell(v, caps));
      bytes += JSON.stringify(row).length + 1;
      if (bytes > caps.bytes) {
        query.truncated = true;
        break;
      }
      query.rows.push(row);
    }
  } catch (err) {
    query.error = (err as Error).message.slice(0, 300);
  }
  return query;
}
