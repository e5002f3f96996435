import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConversationAnalysis } from '../../src/main/intelligence/analysis.js';
import { readLlmConfig, type LlmConfig } from '../../src/main/llm/client.js';
import { openSnapshot, type Snapshot } from '../../src/main/snapshot/snapshot.js';
import { startFakeOpenAi, type FakeOpenAi, type FakeReply } from '../helpers/fake-openai.js';

/**
 * Cancel during an LLM run: requests in flight are aborted, finished results are kept, nothing half-done is stored,
 * and the next run sends only what is left.
 */
let snapshot: Snapshot;
let fake: FakeOpenAi;
let hold = true;
const ANSWER = JSON.stringify({ primary_intent: 'make a video', blockers: [], feature_requests: [], satisfaction_signal: 6, use_case: 'personal_video' });

beforeAll(async () => {
  snapshot = openSnapshot(':memory:');
  const conv = snapshot.db.prepare("INSERT INTO conversations (id, user_id, started_at, start_day) VALUES (?, ?, ?, '2026-01-05')");
  const ev = snapshot.db.prepare("INSERT INTO events (id, conversation_id, user_id, ts, day, event_type, role, message) VALUES (?, ?, ?, ?, '2026-01-05', 'message', 'user', ?)");
  for (let i = 0; i < 6; i++) {
    const id = `c${i}`;
    conv.run(id, `u${i}`, `2026-01-05T10:0${i}:00.000Z`);
    ev.run(`e${i}`, id, `u${i}`, `2026-01-05T10:0${i}:01.000Z`, `conversation number ${i}: make a birthday video`);
  }
  // The first two conversations answer at once; the others hang while `hold` is set.
  fake = await startFakeOpenAi((body): FakeReply => {
    const n = Number(/conversation number (\d)/.exec(String(body.messages[1]?.content))?.[1]);
    return n < 2 || !hold ? { content: ANSWER } : { hang: true };
  });
});

afterAll(async () => {
  snapshot?.close();
  await fake?.close();
});

function config(): LlmConfig {
  return { ...(readLlmConfig({ OPENAI_BASE_URL: fake.url, UIS_MODEL: 'gpt-4o-mini' }) as LlmConfig), concurrency: 2, timeoutMs: 30_000 };
}

describe('cancelling an LLM run', () => {
  it('keeps finished results, stores nothing for aborted requests, and resumes', async () => {
    const controller = new AbortController();
    const progress: string[] = [];
    const running = runConversationAnalysis({
      db: snapshot.db,
      llm: config(),
      signal: controller.signal,
      progress: (_f, message) => {
        progress.push(message);
        // Cancel once two conversations are done (the next two are hanging).
        if (message.startsWith('2/6')) setTimeout(() => controller.abort(), 100);
      },
    });
    const cancelled = await running;
    expect(cancelled).toMatchObject({ cancelled: true, analysed: 2, failed: 0 });
    const stored = snapshot.db.prepare("SELECT conversation_id, status FROM ai_conversation_analysis WHERE source = 'llm' ORDER BY conversation_id").all();
    expect(stored).toEqual([
      { conversation_id: 'c0', status: 'ok' },
      { conversation_id: 'c1', status: 'ok' },
    ]);
    expect(snapshot.db.prepare("SELECT state FROM ai_runs WHERE run_id = ?").get(cancelled.runId)).toEqual({ state: 'cancelled' });

    hold = false;
    const before = fake.chatRequests().length;
    const resumed = await runConversationAnalysis({ db: snapshot.db, llm: config() });
    expect(resumed).toMatchObject({ cancelled: false, cached: 2, analysed: 4 });
    expect(fake.chatRequests().length - before).toBe(4);
  });
});
