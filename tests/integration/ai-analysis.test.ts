import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateAnalysis, runConversationAnalysis } from '../../src/main/intelligence/analysis.js';
import { readLlmConfig, type LlmConfig } from '../../src/main/llm/client.js';
import { openSnapshot, type Snapshot } from '../../src/main/snapshot/snapshot.js';
import { startFakeOpenAi, type FakeOpenAi, type FakeReply } from '../helpers/fake-openai.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

/**
 * The conversation analysis job end to end: the real `openai` client against a local server speaking the protocol
 * (429 with retry-after, a malformed answer, a timeout), the cache (second run = zero requests), redaction of what is
 * sent, and the opt-in write-back to PostgreSQL.
 */
const ids = {
  happy: '11111111-1111-4111-8111-111111111111',
  ratelimited: '22222222-2222-4222-8222-222222222222',
  malformed: '33333333-3333-4333-8333-333333333333',
  slow: '44444444-4444-4444-8444-444444444444',
  private: '55555555-5555-4555-8555-555555555555',
};
const firstMessage: Record<string, string> = {
  [ids.happy]: 'Make a birthday video for my mom',
  [ids.ratelimited]: 'Make a TikTok clip of a cat surfing',
  [ids.malformed]: 'Create a banner for our spring sale campaign',
  [ids.slow]: 'Research the best video formats for ads',
  [ids.private]: 'Send the promo video to jane.doe@example.com and call me on +1 415 555 0100',
};

let dir: string;
let snapshot: Snapshot;
let fake: FakeOpenAi;
let db: TestDatabase;
const attemptsBy = new Map<string, number>();
const rateLimitedAt: number[] = [];
let malformedFailuresLeft = 2;

function whichConversation(userContent: string): string {
  return Object.entries(firstMessage).find(([, m]) => userContent.includes(m.slice(0, 20)))?.[0] ?? 'unknown';
}

function analysisFor(id: string) {
  return {
    primary_intent: firstMessage[id].slice(0, 40),
    blockers: id === ids.slow ? ['video_gen timeout'] : [],
    feature_requests: id === ids.happy ? ['add subtitles'] : [],
    satisfaction_signal: id === ids.happy ? 9 : 5,
    use_case: id === ids.happy ? 'personal_video' : id === ids.ratelimited ? 'social_media_clip' : 'marketing_content',
  };
}

function config(): LlmConfig {
  return { ...(readLlmConfig({ OPENAI_BASE_URL: fake.url, UIS_MODEL: 'gpt-4o-mini' }) as LlmConfig), timeoutMs: 3000, maxRetries: 2, concurrency: 3 };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-ai-'));
  snapshot = openSnapshot(path.join(dir, 'snapshot.sqlite'));
  const insertConversation = snapshot.db.prepare("INSERT INTO conversations (id, user_id, started_at, start_day, completion_status) VALUES (?, ?, ?, '2026-01-05', ?)");
  const insertEvent = snapshot.db.prepare("INSERT INTO events (id, conversation_id, user_id, ts, day, event_type, role, message, tool_name, success, error_type) VALUES (?, ?, ?, ?, '2026-01-05', ?, ?, ?, ?, ?, ?)");
  let n = 0;
  for (const [key, id] of Object.entries(ids)) {
    const user = `u_${key}`;
    insertConversation.run(id, user, `2026-01-05T10:0${n}:00.000Z`, key === 'slow' ? 'abandoned' : 'completed');
    insertEvent.run(`e${n}a`, id, user, `2026-01-05T10:0${n}:01.000Z`, 'message', 'user', firstMessage[id], null, null, null);
    insertEvent.run(`e${n}b`, id, user, `2026-01-05T10:0${n}:02.000Z`, 'tool_call', null, null, 'video_gen', key === 'slow' ? 0 : 1, key === 'slow' ? 'timeout' : null);
    n++;
  }
  fake = await startFakeOpenAi((body): FakeReply => {
    const id = whichConversation(String(body.messages[1]?.content ?? ''));
    const attempt = (attemptsBy.get(id) ?? 0) + 1;
    attemptsBy.set(id, attempt);
    if (id === ids.ratelimited && attempt === 1) {
      rateLimitedAt.push(Date.now());
      return { status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'Rate limit reached', type: 'requests' } } };
    }
    if (id === ids.ratelimited && attempt === 2) rateLimitedAt.push(Date.now());
    if (id === ids.slow && attempt === 1) return { hang: true };
    if (id === ids.malformed && malformedFailuresLeft > 0) {
      malformedFailuresLeft--;
      return { content: '{"primary_intent": "banner", "blockers": [' };
    }
    return { content: JSON.stringify(analysisFor(id)), usage: { prompt_tokens: 200, completion_tokens: 40 } };
  });
  db = await createTestDatabase();
  for (const [key, id] of Object.entries(ids)) await db.pool.query('INSERT INTO conversations (id, user_id) VALUES ($1, $2)', [id, `u_${key}`]);
});

afterAll(async () => {
  snapshot?.close();
  await fake?.close();
  await db?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('conversation analysis with an OpenAI-compatible server', () => {
  it('estimates tokens and cost before sending anything', () => {
    const estimate = estimateAnalysis({ db: snapshot.db, llm: config() });
    expect(estimate).toMatchObject({ source: 'llm', model: 'gpt-4o-mini', conversations: 5, cached: 0, toAnalyse: 5, outputTokens: 5 * 120 });
    expect(estimate.inputTokens).toBeGreaterThan(5 * 100);
    expect(estimate.costUsd).toBeCloseTo((estimate.inputTokens * 0.15 + estimate.outputTokens * 0.6) / 1e6, 10);
    expect(fake.requests).toHaveLength(0);
  });

  it('analyses every conversation: retries a 429 after retry-after and a timeout, records a malformed answer as failed', async () => {
    const progress: number[] = [];
    const summary = await runConversationAnalysis({ db: snapshot.db, llm: config(), progress: (f) => progress.push(f) });
    expect(summary).toMatchObject({ source: 'llm', analysed: 4, failed: 1, cancelled: false });
    expect(summary.failures).toEqual([{ conversationId: ids.malformed, error: expect.stringMatching(/^answer is not JSON/) }]);
    // The 429 was retried after the server's retry-after (1 s), not at once.
    expect(rateLimitedAt).toHaveLength(2);
    expect(rateLimitedAt[1] - rateLimitedAt[0]).toBeGreaterThanOrEqual(900);
    // The hanging request timed out and the client's retry succeeded.
    expect(attemptsBy.get(ids.slow)).toBe(2);
    expect(summary.actualInputTokens).toBeGreaterThan(0);
    expect(summary.actualCostUsd).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(1);

    const rows = snapshot.db.prepare('SELECT conversation_id, status, error, use_case, satisfaction_signal, blockers FROM ai_conversation_analysis ORDER BY conversation_id').all() as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(5);
    const failed = rows.find((r) => r.conversation_id === ids.malformed);
    // Never stored as truth: no fields from the malformed answer.
    expect(failed).toMatchObject({ status: 'failed', use_case: null, satisfaction_signal: null, blockers: null });
    expect(rows.find((r) => r.conversation_id === ids.happy)).toMatchObject({ status: 'ok', use_case: 'personal_video', satisfaction_signal: 9 });
  });

  it('redacted private data before sending, and the sent log shows exactly what left', () => {
    const sent = JSON.stringify(fake.chatRequests());
    expect(sent).not.toContain('jane.doe@example.com');
    expect(sent).not.toContain('415 555 0100');
    const log = snapshot.db.prepare('SELECT payload, redactions FROM ai_sent_log WHERE conversation_id = ? LIMIT 1').get(ids.private) as { payload: string; redactions: string };
    expect(log.payload).toContain('Send the promo video to [EMAIL] and call me on [PHONE]');
    expect(JSON.parse(log.redactions)).toEqual({ EMAIL: 1, PHONE: 1 });
  });

  it('resumes: a second run asks only for the failed conversation, a third run sends nothing', async () => {
    const before = fake.chatRequests().length;
    const second = await runConversationAnalysis({ db: snapshot.db, llm: config() });
    expect(second).toMatchObject({ cached: 4, toAnalyse: 1, analysed: 1, failed: 0 });
    expect(fake.chatRequests().length - before).toBe(1);
    const third = await runConversationAnalysis({ db: snapshot.db, llm: config() });
    expect(third).toMatchObject({ cached: 5, toAnalyse: 0, analysed: 0, requests: 0 });
    expect(fake.chatRequests().length - before).toBe(1);
  });

  it('re-analyses a conversation whose content changed', async () => {
    snapshot.db.prepare("INSERT INTO events (id, conversation_id, user_id, ts, day, event_type, role, message) VALUES ('e9', ?, 'u_happy', '2026-01-05T10:09:00.000Z', '2026-01-05', 'message', 'user', 'I love this')").run(ids.happy);
    const run = await runConversationAnalysis({ db: snapshot.db, llm: config() });
    expect(run).toMatchObject({ cached: 4, analysed: 1 });
  });

  it('writes back to PostgreSQL only with the opt-in', async () => {
    const run = await runConversationAnalysis({ db: snapshot.db, llm: config(), conversationIds: [ids.happy, ids.slow], writeBack: db.pool });
    // Both cached, so nothing is sent; the write-back only covers results of this run.
    expect(run.requests).toBe(0);
    expect(run.writtenBack).toBe(0);
    snapshot.db.prepare("DELETE FROM ai_conversation_analysis WHERE source = 'llm'").run();
    const fresh = await runConversationAnalysis({ db: snapshot.db, llm: config(), conversationIds: [ids.happy, ids.slow], writeBack: db.pool });
    expect(fresh.writtenBack).toBe(2);
    const { rows } = await db.pool.query('SELECT id, extracted_use_case, blocker_reason, user_satisfaction_signal FROM conversations ORDER BY id');
    expect(rows).toEqual([
      { id: ids.happy, extracted_use_case: 'personal_video', blocker_reason: null, user_satisfaction_signal: 9 },
      { id: ids.ratelimited, extracted_use_case: null, blocker_reason: null, user_satisfaction_signal: null },
      { id: ids.malformed, extracted_use_case: null, blocker_reason: null, user_satisfaction_signal: null },
      { id: ids.slow, extracted_use_case: 'marketing_content', blocker_reason: 'video_gen timeout', user_satisfaction_signal: 5 },
      { id: ids.private, extracted_use_case: null, blocker_reason: null, user_satisfaction_signal: null },
    ]);
  });
});

describe('without an LLM', () => {
  it('runs the local analyzer and caches it', async () => {
    const first = await runConversationAnalysis({ db: snapshot.db, llm: null });
    expect(first).toMatchObject({ source: 'local', model: 'rules', analysed: 5, requests: 0 });
    const row = snapshot.db.prepare("SELECT use_case, blockers, satisfaction_signal FROM ai_conversation_analysis WHERE source = 'local' AND conversation_id = ?").get(ids.slow) as Record<string, unknown>;
    expect(row).toMatchObject({ use_case: 'research', blockers: JSON.stringify(['video_gen failed: timeout']) });
    const second = await runConversationAnalysis({ db: snapshot.db, llm: null });
    expect(second).toMatchObject({ cached: 5, analysed: 0 });
  });

  it('stops at cancel and resumes later', async () => {
    snapshot.db.prepare("DELETE FROM ai_conversation_analysis WHERE source = 'local'").run();
    const controller = new AbortController();
    controller.abort();
    const cancelled = await runConversationAnalysis({ db: snapshot.db, llm: null, signal: controller.signal });
    expect(cancelled).toMatchObject({ cancelled: true, analysed: 0 });
    const resumed = await runConversationAnalysis({ db: snapshot.db, llm: null });
    expect(resumed).toMatchObject({ cancelled: false, analysed: 5 });
  });
});
