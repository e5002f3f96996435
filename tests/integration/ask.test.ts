import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo } from '../../src/main/demo/generate.js';
import { writeDemoToSnapshot } from '../../src/main/demo/sinks.js';
import { ASK_NOT_CONFIGURED, ask, unsupportedNumbers } from '../../src/main/intelligence/ask.js';
import { readLlmConfig, type LlmConfig } from '../../src/main/intelligence/llm.js';
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
    expect(result.queries).toEqual([{ sql: 'SELECT COUNT(*) AS users FROM users', columns: ['users'], rows: [[userCount]], truncated: false, error: null }]);
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
    const result = await ask({ snapshotPath: file, question: 'List users', llm: config(), rowCap: 10 });
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

describe('number check', () => {
  it('accepts rounded figures and percentages of ratios, rejects others', () => {
    const q = [{ sql: 'SELECT 1', columns: ['rate', 'n'], rows: [[0.5312, 1234]], truncated: false, error: null }];
    expect(unsupportedNumbers('53% of 1,234 users (53.1%)', q, '')).toEqual([]);
    expect(unsupportedNumbers('54% of 1,235 users', q, '')).toEqual(['54%', '1235']);
    expect(unsupportedNumbers('In week 2 on 2026-01-05', q, 'week 2?')).toEqual([]);
  });
});
