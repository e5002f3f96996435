import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo } from '../../src/main/demo/generate.js';
import { writeDemoToSnapshot } from '../../src/main/demo/sinks.js';
import { runIntentClustering } from '../../src/main/intelligence/intents.js';
import { readLlmConfig, type LlmConfig } from '../../src/main/llm/client.js';
import { openSnapshot, type Snapshot } from '../../src/main/snapshot/snapshot.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';

/**
 * Intent clustering with an OpenAI-compatible server: embeddings from /v1/embeddings replace TF-IDF, clusters are
 * named by the LLM (a malformed naming answer falls back to the top terms), and what is sent is redacted.
 */
let dir: string;
let snapshot: Snapshot;
let fake: FakeOpenAi;
let namingReply: 'ok' | 'malformed' = 'ok';

// A toy embedding: one axis per theme word, so the clusters are known.
const AXES = ['birthday', 'tiktok', 'ad', 'reel', 'research', 'wedding'];
function embed(texts: string[]): number[][] {
  return texts.map((t) => {
    const v: number[] = AXES.map((w) => (t.toLowerCase().includes(w) ? 1 : 0));
    return v.some(Boolean) ? v.concat(0.1) : v.concat(1);
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-llm-intents-'));
  snapshot = openSnapshot(path.join(dir, 'snapshot.sqlite'));
  writeDemoToSnapshot(snapshot, generateDemo({ users: 60, days: 14, endDay: '2026-01-31', seed: 11 }));
  // One message carrying private data, to check the embeddings payload.
  snapshot.db.prepare("UPDATE events SET message = 'Make a birthday video and mail it to ann@example.com' WHERE id = (SELECT MIN(id) FROM events WHERE message = 'Make a birthday video for my mom')").run();
  fake = await startFakeOpenAi((body) => {
    if (namingReply === 'malformed') return { content: 'Sure! Here are some names.' };
    const ids = [...String(body.messages[1]?.content ?? '').matchAll(/cluster (\d+) \(/g)].map((m) => Number(m[1]));
    return { content: JSON.stringify({ names: ids.map((id) => ({ id, name: `Intent ${id}` })) }) };
  }, embed);
});

afterAll(async () => {
  snapshot?.close();
  await fake?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function config(): LlmConfig {
  return readLlmConfig({ OPENAI_BASE_URL: fake.url, UIS_MODEL: 'local-model', UIS_EMBEDDINGS_MODEL: 'local-embed', UIS_LLM_MAX_RETRIES: '0' }) as LlmConfig;
}

describe('intent clusters with an embeddings endpoint and LLM naming', () => {
  it('clusters on embeddings, names clusters by the LLM, and redacts what it sends', async () => {
    const view = await runIntentClustering({ db: snapshot.db, llm: config() });
    expect(view.method).toBe('embeddings-spectral');
    expect(view.namedBy).toBe('llm');
    for (const c of view.clusters) expect(c.label).toBe(`Intent ${c.id}`);
    const embedRequests = fake.requests.filter((r) => r.path.endsWith('/embeddings'));
    expect(embedRequests.length).toBeGreaterThan(0);
    expect(embedRequests[0].body.model).toBe('local-embed');
    const everything = JSON.stringify(fake.requests.map((r) => r.body));
    expect(everything).not.toContain('ann@example.com');
    expect(everything).toContain('[EMAIL]');
    // With the toy embedding, every message that mentions "tiktok" lands in one cluster.
    const clusterOf = snapshot.db
      .prepare("SELECT DISTINCT m.cluster_id FROM ai_intent_members m JOIN events e ON e.id = m.event_id WHERE m.run_id = ? AND lower(e.message) LIKE '%tiktok%'")
      .all(view.runId) as Array<{ cluster_id: number }>;
    expect(clusterOf).toHaveLength(1);
    const logged = snapshot.db.prepare("SELECT purpose FROM ai_sent_log WHERE run_id = ? ORDER BY id").all(view.runId) as Array<{ purpose: string }>;
    expect(logged.map((l) => l.purpose)).toEqual([...embedRequests.map(() => 'embeddings'), 'cluster-names']);
  });

  it('keeps the top-term names when the naming answer is malformed', async () => {
    namingReply = 'malformed';
    const view = await runIntentClustering({ db: snapshot.db, llm: config() });
    expect(view.namedBy).toBe('terms');
    for (const c of view.clusters) expect(c.label).not.toMatch(/^Intent \d+$/);
  });
});
