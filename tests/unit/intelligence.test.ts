import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AnalyticsEngine } from '../../src/main/analytics/engine.js';
import { generateDemo } from '../../src/main/demo/generate.js';
import { writeDemoToSnapshot } from '../../src/main/demo/sinks.js';
import { runConversationAnalysis } from '../../src/main/intelligence/analysis.js';
import { latestIntentClusters, runIntentClustering } from '../../src/main/intelligence/intents.js';
import { intelligenceOverview } from '../../src/main/intelligence/overview.js';
import { openSnapshot, type Snapshot } from '../../src/main/snapshot/snapshot.js';
import { hiddenMessagesNote, type AskResult } from '../../src/shared/intelligence.js';

/** The local pipeline on the demo workspace (no key, no network): analysis, intent clusters, the page's overview. */
let dir: string;
let snapshot: Snapshot;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-intel-'));
  snapshot = openSnapshot(path.join(dir, 'demo.sqlite'));
  writeDemoToSnapshot(snapshot, generateDemo({ users: 120, days: 28, endDay: '2026-01-31', seed: 3 }));
});
afterAll(() => {
  snapshot.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('intelligence on the demo workspace without an LLM', () => {
  it('clusters first messages into named intents with outcomes, hiding groups of fewer than 3 users', async () => {
    const view = await runIntentClustering({ db: snapshot.db, llm: null });
    const conversations = (snapshot.db.prepare("SELECT COUNT(DISTINCT conversation_id) AS n FROM events WHERE event_type = 'message' AND COALESCE(role, 'user') = 'user'").get() as { n: number }).n;
    expect(view.totalMessages).toBe(conversations);
    expect(view.method).toBe('tfidf-spectral');
    expect(view.namedBy).toBe('terms');
    expect(view.clusters.length).toBeGreaterThanOrEqual(3);
    const shown = view.clusters.reduce((a, c) => a + c.messages, 0);
    expect(shown + view.hiddenMessages).toBe(view.totalMessages);
    for (const c of view.clusters) {
      expect(c.users).toBeGreaterThanOrEqual(3);
      expect(c.label.length).toBeGreaterThan(0);
      expect(c.examples.length).toBeGreaterThan(0);
      expect(c.trend.reduce((a, t) => a + t.messages, 0)).toBe(c.messages);
      expect(c.outcome.errorRate).toBeGreaterThanOrEqual(0);
      expect(c.outcome.errorRate).toBeLessThanOrEqual(1);
    }
    // A birthday request lands in a cluster whose top terms say so.
    const member = snapshot.db
      .prepare("SELECT m.cluster_id FROM ai_intent_members m JOIN events e ON e.id = m.event_id WHERE m.run_id = ? AND e.message = 'Make a birthday video for my mom' LIMIT 1")
      .get(view.runId) as { cluster_id: number };
    const birthday = view.clusters.find((c) => c.id === member.cluster_id);
    expect(birthday?.topTerms.join(' ')).toMatch(/birthday|video|mom/);
    expect(latestIntentClusters(snapshot.db)?.runId).toBe(view.runId);
    // With a minimum of 1000 users nothing can be shown.
    const strict = await runIntentClustering({ db: snapshot.db, llm: null, minUsers: 1000 });
    expect(strict.clusters).toEqual([]);
    expect(strict.hiddenMessages).toBe(strict.totalMessages);
  });

  it('summarises feature requests, blockers and satisfaction for the page', async () => {
    await runIntentClustering({ db: snapshot.db, llm: null });
    await runConversationAnalysis({ db: snapshot.db, llm: null });
    const o = intelligenceOverview(snapshot.db, {});
    expect(o.source).toBe('local');
    expect(o.analysedConversations).toBeGreaterThan(0);
    const subtitles = o.featureRequests.find((f) => f.request === 'add subtitles to the video');
    expect(subtitles?.count).toBeGreaterThan(0);
    expect(subtitles?.users.length).toBeGreaterThan(0);
    const counted = (snapshot.db.prepare("SELECT COUNT(*) AS n FROM ai_conversation_analysis, json_each(feature_requests) WHERE source = 'local' AND json_each.value = 'add subtitles to the video'").get() as { n: number }).n;
    expect(subtitles?.count).toBe(counted);
    expect(o.blockers[0].count).toBeGreaterThanOrEqual(o.blockers.at(-1)?.count ?? 0);
    // Blockers are the events' (the engine's list, the report's "Top blockers"), whatever the analyses say.
    const engine = new AnalyticsEngine(snapshot);
    expect(o.blockers.map((b) => [b.text, b.count, b.userCount])).toEqual(engine.blockers({}).map((b) => [b.blocker, b.conversations, b.users]));
    const ranOutConversations = snapshot.db.prepare('SELECT COUNT(*) FROM conversations WHERE blocker = ?').pluck().get('insufficient_credits') as number;
    expect(o.blockers.find((b) => b.text === 'insufficient_credits')?.count).toBe(ranOutConversations);
    // What users said is apart, labelled as what it is; never "out of credits" nor a failed call.
    expect(o.mentionedProblems.length).toBeGreaterThan(0);
    for (const m of o.mentionedProblems) expect(m.text).toMatch(/^(said |asked about pricing)/);
    // A conversation that only talked about pricing is not a blocked one.
    const pricing = snapshot.db
      .prepare(`SELECT a.conversation_id FROM ai_conversation_analysis a JOIN conversations c ON c.id = a.conversation_id
                WHERE a.source = 'local' AND a.blockers LIKE '%asked about pricing%' AND c.blocker IS NULL LIMIT 1`)
      .pluck()
      .get() as string | undefined;
    if (pricing) expect(JSON.parse((snapshot.db.prepare('SELECT blockers FROM ai_conversation_analysis WHERE conversation_id = ?').pluck().get(pricing) as string))).not.toContain('out of credits');
    expect(o.satisfaction.reduce((a, b) => a + b.conversations, 0)).toBe(o.analysedConversations);
    expect(o.worthReading.length).toBeGreaterThan(0);
    expect(o.worthReading[0].satisfaction).toBeLessThanOrEqual(o.worthReading.at(-1)?.satisfaction ?? 10);
    expect(o.intents?.clusters.length).toBeGreaterThan(0);
  });
});

describe('intelligence channels through the core', () => {
  it('run (a job), overview, conversation click-through, Ask without an LLM, and input errors naming the field', async () => {
    const { tempCore } = await import('./core-helpers.js');
    const saved = { key: process.env.OPENAI_API_KEY, url: process.env.OPENAI_BASE_URL, users: process.env.UIS_DEMO_USERS, end: process.env.UIS_DEMO_END_DAY };
    delete process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_BASE_URL;
    process.env.UIS_DEMO_USERS = '40';
    process.env.UIS_DEMO_END_DAY = '2026-01-31';
    const t = tempCore();
    try {
      const { jobId } = await t.core.invoke('intelligence.run', {});
      let job = await t.core.invoke('jobs.get', { jobId });
      for (let i = 0; i < 200 && job.state === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        job = await t.core.invoke('jobs.get', { jobId });
      }
      expect(job.state).toBe('succeeded');
      expect(job.result).toMatchObject({ source: 'local', cancelled: false });
      const o = await t.core.invoke('intelligence.overview', {});
      expect(o).toMatchObject({ source: 'local', llmConfigured: false });
      expect(o.analysedConversations).toBeGreaterThan(0);
      expect(o.intents?.clusters.length).toBeGreaterThan(0);
      const conversationId = o.intents?.clusters[0].conversationIds[0] as string;
      const c = await t.core.invoke('intelligence.conversation', { conversationId });
      expect(c.events.length).toBeGreaterThan(0);
      expect(c.analysis?.source).toBe('local');
      const { jobId: askJob } = await t.core.invoke('intelligence.ask', { question: 'How many users?' });
      await vi.waitFor(async () => expect((await t.core.invoke('jobs.get', { jobId: askJob })).state).toBe('succeeded'));
      const a = (await t.core.invoke('jobs.get', { jobId: askJob })).result as AskResult;
      expect(a).toMatchObject({ configured: false, answer: null });
      expect(a.message).toMatch(/OPENAI_API_KEY/);
      const bad = await t.core.dispatch('intelligence.ask', { question: 'x' });
      expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      expect(!bad.ok && bad.error.message).toMatch(/question/);
      const badSource = await t.core.dispatch('intelligence.run', { source: 'gpt' });
      expect(!badSource.ok && badSource.error.message).toMatch(/source/);
      expect((await t.core.invoke('intelligence.sent', {})).entries).toEqual([]);
    } finally {
      await t.cleanup();
      for (const [k, v] of Object.entries({ OPENAI_API_KEY: saved.key, OPENAI_BASE_URL: saved.url, UIS_DEMO_USERS: saved.users, UIS_DEMO_END_DAY: saved.end })) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe('LLM configuration', () => {
  it('is absent without a key or a base URL, and names a bad variable without echoing its value', async () => {
    const { readLlmConfig, safeErrorMessage, costUsd } = await import('../../src/main/llm/client.js');
    const { useCasesFromEnv } = await import('../../src/main/config.js');
    expect(readLlmConfig({})).toBeNull();
    expect(readLlmConfig({ OPENAI_API_KEY: 'sk-test-1234567890abcdef' })).toMatchObject({ model: 'gpt-4o-mini', baseURL: undefined, price: { input: 0.15, output: 0.6 } });
    expect(readLlmConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', UIS_MODEL: 'llama3' })).toMatchObject({ apiKey: 'not-needed', model: 'llama3', price: null });
    expect(() => readLlmConfig({ OPENAI_BASE_URL: 'not a url sk-secret-value' })).toThrow(/^OPENAI_BASE_URL: /);
    try {
      readLlmConfig({ OPENAI_BASE_URL: 'not a url sk-secret-value' });
    } catch (err) {
      expect((err as Error).message).not.toContain('sk-secret-value');
    }
    expect(safeErrorMessage(new Error('401 Incorrect API key provided: sk-abcdefghijklmnop'))).toBe('401 Incorrect API key provided: [redacted]');
    expect(costUsd({ input: 0.15, output: 0.6 }, 1_000_000, 1_000_000)).toBeCloseTo(0.75, 10);
    expect(useCasesFromEnv({ UIS_USE_CASES: 'podcasts, ads' })).toEqual(['podcasts', 'ads', 'other']);
    expect(() => useCasesFromEnv({ UIS_USE_CASES: 'Bad Label' })).toThrow(/^UIS_USE_CASES: /);
  });
});

describe('hidden messages note', () => {
  it('says what privacy hid only when it hid something, in the singular for one', () => {
    expect(hiddenMessagesNote({ hiddenMessages: 0, minUsers: 3 })).toBe('');
    expect(hiddenMessagesNote({ hiddenMessages: 1, minUsers: 3 })).toBe('1 message in groups of fewer than 3 users is not shown');
    expect(hiddenMessagesNote({ hiddenMessages: 1234, minUsers: 5 })).toBe('1,234 messages in groups of fewer than 5 users are not shown');
  });
});
