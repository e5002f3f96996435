import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateDemo } from '../../src/main/demo/generate.js';
import { writeDemoToSnapshot } from '../../src/main/demo/sinks.js';
import { execFileSync } from 'node:child_process';
import { JobRunner } from '../../src/main/core/jobs.js';
import type { AskResult } from '../../src/shared/intelligence.js';
import { ASK_NOT_CONFIGURED, ask, unsupportedNumbers } from '../../src/main/intelligence/ask.js';
import { readLlmConfig, type LlmConfig } from '../../src/main/llm/client.js';
import { openSnapshot } from '../../src/main/snapshot/snapshot.js';
import { startFakeOpenAi, type ChatRequestBody, type FakeOpenAi, type FakeReply } from '../helpers/fake-openai.js';

/**
 * Ask over the real `openai` client and a local server speaking the protocol with tool calls: the SQL the model asks
 * for runs read-only on the snapshot, writes are refused, the answer's numbers are checked against the results.
 */
let dir: string;
let file: string;
let fake: FakeOpenAi;
let script: (body: ChatRequestBody, index: number) => FakeReply;
let userCount: number;

const lastToolResult = (body: ChatRequestBody) => JSON.parse(String([...body.messages].reverse().find((m) => m.role === 'tool')?.content ?? '{}')) as { columns: string[]; rows: unknown[][]; error: string | null };

function config(): LlmConfig {
  return readLlmConfig({ OPENAI_BASE_URL: fake.url, UIS_MODEL: 'local-model', UIS_LLM_MAX_RETRIES: '0' }) as LlmConfig;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-ask-'));
  file = path.join(dir, 'snapshot.sqlite');
  const s = openSnapshot(file);
  writeDemoToSnapshot(s, generateDemo({ users: 40, days: 14, endDay: '2026-01-31', seed: 5 }));
  s.db.prepare("UPDATE users SET email = 'founder.friend@example.com' WHERE user_id = (SELECT MIN(user_id) FROM users)").run();
  userCount = (s.db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  s.close();
  fake = await startFakeOpenAi((body, i) => script(body, i));
});

afterAll(async () => {
  await fake?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('Ask', () => {
  it('answers through tool calls with SQL on the snapshot, showing the SQL and the result table', async () => {
    script = (body) => {
      const toolTurns = body.messages.filter((m) => m.role === 'tool').length;
      if (toolTurns === 0) return { toolCalls: [{ name: 'run_sql', arguments: { sql: 'SELECT COUNT(*) AS users FROM users' } }] };
      const result = lastToolResult(body);
      return { content: `You have ${result.rows[0][0]} users in this workspace.` };
    };
    const result = await ask({ snapshotPath: file, question: 'How many users do we have?', llm: config() });
    expect(result.answer).toBe(`You have ${userCount} users in this workspace.`);
    expect(result.queries).toEqual([{ sql: 'SELECT COUNT(*) AS users FROM users', columns: ['users'], rows: [[userCount]], truncated: false, error: null, timedOut: false }]);
    expect(result).toMatchObject({ configured: true, verified: true, unsupportedNumbers: [] });
    // The tool was offered to the model.
    expect(fake.chatRequests().at(-1)?.tools?.[0].function.name).toBe('run_sql');
  });

  it('refuses writes and multiple statements, and the snapshot is unchanged', async () => {
    const attempts = ['DELETE FROM users', 'SELECT 1; DROP TABLE users', "UPDATE users SET email = 'x'", 'PRAGMA writable_schema = 1'];
    script = (body) => {
      const toolTurns = body.messages.filter((m) => m.role === 'tool').length;
      if (toolTurns < attempts.length) return { toolCalls: [{ name: 'run_sql', arguments: { sql: attempts[toolTurns] } }] };
      return { content: 'I cannot change data.' };
    };
    const result = await ask({ snapshotPath: file, question: 'Delete all users', llm: config() });
    expect(result.queries.map((q) => q.sql)).toEqual(attempts);
    for (const q of result.queries) expect(q.error).toMatch(/only|more than one statement/);
    const s = openSnapshot(file, { readonly: true });
    expect((s.db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n).toBe(userCount);
    s.close();
  });

  it('caps result rows and redacts personal data before it is sent', async () => {
    script = (body) => {
      if (!body.messages.some((m) => m.role === 'tool')) return { toolCalls: [{ name: 'run_sql', arguments: { sql: 'SELECT user_id, email FROM users ORDER BY user_id' } }] };
      return { content: 'Listed the users.' };
    };
    const result = await ask({ snapshotPath: file, question: 'List users', llm: config(), caps: { rows: 10 } });
    expect(result.queries[0].rows).toHaveLength(10);
    expect(result.queries[0].truncated).toBe(true);
    // The founder sees the real table; the model saw placeholders.
    expect(result.queries[0].rows[0][1]).toBe('founder.friend@example.com');
    const sent = JSON.stringify(fake.chatRequests().at(-1)?.messages);
    expect(sent).not.toContain('founder.friend@example.com');
    expect(sent).toContain('[EMAIL]');
  });

  it('flags numbers that are not in the results, after one chance to correct', async () => {
    script = (body) => {
      if (!body.messages.some((m) => m.role === 'tool')) return { toolCalls: [{ name: 'run_sql', arguments: { sql: 'SELECT COUNT(*) AS n FROM users' } }] };
      return { content: `Retention dropped 37% because ${userCount} users churned.` };
    };
    const result = await ask({ snapshotPath: file, question: 'Why did week-2 retention drop?', llm: config() });
    expect(result.unsupportedNumbers).toEqual(['37%']);
    expect(result.verified).toBe(false);
    // The correction request named the figure.
    const last = fake.chatRequests().at(-1) as ChatRequestBody;
    expect(String(last.messages.at(-1)?.content)).toContain('37%');
  });

  it('says what to configure when there is no LLM, and reports a server failure without throwing', async () => {
    const none = await ask({ snapshotPath: file, question: 'How many users?', llm: null });
    expect(none).toMatchObject({ configured: false, answer: null, message: ASK_NOT_CONFIGURED });
    script = () => ({ status: 500, body: { error: { message: 'model crashed' } } });
    const failed = await ask({ snapshotPath: file, question: 'How many users?', llm: config() });
    expect(failed.answer).toBeNull();
    expect(failed.message).toMatch(/^The LLM request failed: HTTP 500/);
  });
});

const RECURSIVE = 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r) SELECT count(*) FROM r';
/** The LLM asks for `sqls` one after the other, then answers. */
const scripted = (sqls: string[], answer = 'Done.') => (body: ChatRequestBody) => {
  const toolTurns = body.messages.filter((m) => m.role === 'tool').length;
  return toolTurns < sqls.length ? { toolCalls: [{ name: 'run_sql', arguments: { sql: sqls[toolTurns] } }] } : { content: answer };
};
/** This process's live child processes (the Ask box is one while a statement runs). */
const children = () =>
  execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes('ask-sql-box'));

describe('Ask in a box', () => {
  it('stops a never-ending statement at the time limit, reports it as a timeout, and answers the next query', async () => {
    script = scripted([RECURSIVE, 'SELECT COUNT(*) AS n FROM users'], `There are ${userCount} users.`);
    const before = fake.chatRequests().length;
    const jobs = new JobRunner(() => {});
    const id = jobs.start('ask', ({ signal, progress }) => ask({ snapshotPath: file, question: 'Count forever', llm: config(), signal, queryTimeoutMs: 1500, progress: (m) => progress(null, m) }));
    const job = await jobs.wait(id);
    expect(job.state).toBe('succeeded');
    const result = job.result as AskResult;
    expect(result.queries[0]).toMatchObject({ sql: RECURSIVE, timedOut: true, rows: [] });
    expect(result.queries[0].error).toMatch(/time limit.*1\.5 s/);
    // The model was told, and the box came back for the next statement.
    expect(JSON.parse(String(fake.chatRequests()[before + 1].messages.at(-1)?.content)).error).toMatch(/time limit/);
    expect(result.queries[1]).toMatchObject({ rows: [[userCount]], error: null, timedOut: false });
    expect(result.answer).toBe(`There are ${userCount} users.`);
    expect(children()).toEqual([]);
  });

  it('caps blobs, huge strings and many rows: bounded values, rows and bytes reach the LLM', async () => {
    const sqls = ['SELECT zeroblob(5000000) AS z', "SELECT printf('%.*c', 3000000, 'x') AS s", "SELECT e.id, printf('%.*c', 900, 'y') AS pad FROM events e, events f LIMIT 100000"];
    script = scripted(sqls);
    const result = await ask({ snapshotPath: file, question: 'Show me big things', llm: config() });
    const [blob, text, many] = result.queries;
    expect(blob).toMatchObject({ rows: [['[blob, 5000000 bytes]']], error: null, truncated: false });
    expect(text.rows).toHaveLength(1);
    expect(String(text.rows[0][0])).toMatch(/^x{1000}… \[3000000 characters, cut\]$/);
    expect(many.truncated).toBe(true);
    expect(many.rows.length).toBeGreaterThan(10);
    expect(many.rows.length).toBeLessThan(200);
    // What each tool message carried to the model stays under the 64 kB byte cap (plus the envelope).
    const toolMessages = fake.chatRequests().at(-1)!.messages.filter((m) => m.role === 'tool');
    expect(toolMessages).toHaveLength(3);
    for (const m of toolMessages) expect(String(m.content).length).toBeLessThan(66_000);
    expect(JSON.parse(String(toolMessages[2].content)).truncated).toBe(true);
  });

  it('refuses hidden tables however they are reached, and database introspection', async () => {
    const s = openSnapshot(file);
    s.db.exec("CREATE TABLE IF NOT EXISTS ai_sent_log(id INTEGER PRIMARY KEY, payload TEXT); INSERT INTO ai_sent_log(payload) VALUES ('secret payload')");
    s.close();
    const sqls = [
      'SELECT * FROM meta',
      'SELECT payload FROM ai_sent_log',
      'WITH x AS (SELECT payload FROM ai_sent_log) SELECT * FROM x',
      'SELECT (SELECT count(*) FROM meta) AS n',
      'SELECT u.user_id FROM users u WHERE EXISTS (SELECT 1 FROM ai_sent_log)',
      'SELECT name, sql FROM sqlite_master',
      'SELECT * FROM pragma_database_list',
      "ATTACH 'x.db' AS x",
      "SELECT load_extension('/tmp/x')",
    ];
    script = scripted(sqls);
    const before = fake.chatRequests().length;
    const result = await ask({ snapshotPath: file, question: 'Show me the internals', llm: config(), maxRounds: 12 });
    expect(result.queries.map((q) => q.sql)).toEqual(sqls);
    for (const q of result.queries) {
      expect(q.rows).toEqual([]);
      expect(q.error).toMatch(/not authorized|only/);
    }
    expect(result.queries[1].error).toMatch(/ai_sent_log cannot be read/);
    expect(JSON.stringify(fake.chatRequests())).not.toContain('secret payload');
    // The schema shown to the model leaves them out too; allowed tables still work.
    expect(String(fake.chatRequests()[before].messages[0].content)).not.toMatch(/\b(meta|ai_sent_log)\(/);
  });

  it('cancels from the job API while a statement runs: the job ends cancelled and the box is gone', async () => {
    script = scripted([RECURSIVE]);
    const jobs = new JobRunner(() => {});
    const id = jobs.start('ask', ({ signal, progress }) => ask({ snapshotPath: file, question: 'Count forever', llm: config(), signal, queryTimeoutMs: 120_000, progress: (m) => progress(null, m) }));
    await vi.waitFor(() => expect(jobs.get(id).message).toBe('Running query 1…'), { timeout: 30_000, interval: 20 });
    await vi.waitFor(() => expect(children()).toHaveLength(1), { timeout: 30_000, interval: 20 });
    expect(jobs.cancel(id)).toBe(true);
    const job = await jobs.wait(id);
    expect(job).toMatchObject({ state: 'cancelled', error: { code: 'cancelled' } });
    await vi.waitFor(() => expect(children()).toEqual([]), { timeout: 5_000, interval: 20 });
  });
});

describe('number check', () => {
  it('accepts rounded figures and percentages of ratios, rejects others', () => {
    const q = [{ sql: 'SELECT 1', columns: ['rate', 'n'], rows: [[0.5312, 1234]], truncated: false, error: null, timedOut: false }];
    expect(unsupportedNumbers('53% of 1,234 users (53.1%)', q, '')).toEqual([]);
    expect(unsupportedNumbers('54% of 1,235 users', q, '')).toEqual(['54%', '1235']);
    expect(unsupportedNumbers('In week 2 on 2026-01-05', q, 'week 2?')).toEqual([]);
  });
});
