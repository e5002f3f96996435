import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Core } from '../../src/main/core/index.js';
import { tempCore } from '../unit/core-helpers.js';
import { startFakeOpenAi, type ChatRequestBody, type FakeOpenAi } from '../helpers/fake-openai.js';

/**
 * Settings → AI over the core's handlers against a local OpenAI-compatible server: set, test, clear; the one resolved
 * configuration is what Intelligence, Ask and the report narrative send (model and key as saved), environment
 * variables are defaults only, and the key never comes back out (outputs, logs, the data folder).
 */
const KEY = 'sk-w0rkspace-Secr3t-key';
const ENV_KEYS = ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'UIS_MODEL', 'UIS_DEMO_USERS', 'UIS_DEMO_DAYS'] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

function reply(body: ChatRequestBody) {
  if (body.messages.some((m) => m.content === 'Reply with OK.')) return { content: 'OK' };
  if (body.tools?.length) {
    // Ask: one query, then an answer without numbers of its own
    return body.messages.at(-1)?.role === 'tool' ? { content: 'Every user is in the users table.' } : { toolCalls: [{ name: 'run_sql', arguments: { sql: 'SELECT COUNT(*) AS n FROM users' } }] };
  }
  return { content: 'A quiet month.' };
}

let fake: FakeOpenAi;
let t: ReturnType<typeof tempCore>;
let core: Core;
const logs: string[] = [];
const outputs: unknown[] = [];

// Handler outputs, read field by field by the assertions below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

async function call(channel: string, input: unknown) {
  const r = await core.dispatch(channel, input);
  outputs.push(r);
  return r as { ok: boolean; value?: Loose; error?: { code: string; message: string } };
}

async function finished(jobId: string) {
  let job: Loose;
  await vi.waitFor(
    async () => {
      job = (await call('jobs.get', { jobId })).value;
      expect(job.state).not.toBe('running');
    },
    { timeout: 120_000, interval: 50 },
  );
  return job;
}

beforeAll(async () => {
  for (const k of ENV_KEYS) delete process.env[k];
  Object.assign(process.env, { UIS_DEMO_USERS: '40', UIS_DEMO_DAYS: '21' });
  fake = await startFakeOpenAi(reply);
  t = tempCore({ log: (l) => logs.push(l) });
  core = t.core;
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
  await fake?.close();
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

describe('one LLM configuration per workspace, set in Settings', () => {
  it('without any: not configured everywhere, and the test says where to set one up', async () => {
    expect((await call('llm.get', {})).value.effective).toMatchObject({ configured: false, hasApiKey: false, from: { baseUrl: 'default', model: 'default', apiKey: 'default' } });
    expect((await call('intelligence.overview', { filters: {} })).value.llmConfigured).toBe(false);
    const test = (await call('llm.test', {})).value;
    expect(test).toMatchObject({ ok: false, model: null });
    expect(test.message).toContain('Settings → AI');
    expect(fake.requests).toHaveLength(0);
  }, 180_000);

  it('refuses bad input naming the field, and changes nothing', async () => {
    const before = (await call('llm.get', {})).value;
    for (const [input, field] of [
      [{ baseUrl: 'ftp://example.com/v1' }, 'baseUrl'],
      [{ apiKey: '' }, 'apiKey'],
      [{ model: 'm'.repeat(201) }, 'model'],
      [{ key: KEY }, 'key'],
      [{ name: 'no such/name' }, 'name'],
    ] as const) {
      const r = await call('workspace.setLlm', input);
      expect(r.ok, JSON.stringify(input)).toBe(false);
      expect(r.error!.code).toBe('invalid_input');
      expect(r.error!.message).toContain(field);
    }
    expect((await call('workspace.setLlm', { name: 'nowhere', model: 'x' })).error!.code).toBe('not_found');
    expect((await call('llm.get', {})).value).toEqual(before);
  });

  it('set: summaries carry hasApiKey only; Test reaches the server with the saved model and key and says what answered', async () => {
    const set = await call('workspace.setLlm', { baseUrl: fake.url, model: 'founder-model', apiKey: KEY });
    expect(set.ok).toBe(true);
    expect(set.value.workspace.llm).toEqual({ baseUrl: fake.url, model: 'founder-model', hasApiKey: true });
    expect(set.value.effective).toMatchObject({ configured: true, model: 'founder-model', hasApiKey: true, from: { baseUrl: 'workspace', model: 'workspace', apiKey: 'workspace' } });

    const test = (await call('llm.test', {})).value;
    const host = new URL(fake.url).host;
    expect(test).toMatchObject({ ok: true, model: 'founder-model', requestedModel: 'founder-model', host });
    expect(test.latencyMs).toBeGreaterThanOrEqual(0);
    const sent = fake.requests.at(-1)!;
    expect(sent.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.body.model).toBe('founder-model');
    expect((sent.body as unknown as { max_tokens: number }).max_tokens).toBe(1);

    // Unsaved values typed in the card are tried over the saved ones, and not saved
    expect((await call('llm.test', { model: 'other-model' })).value).toMatchObject({ ok: true, model: 'other-model' });
    expect((await call('llm.get', {})).value.workspace.llm.model).toBe('founder-model');
  });

  it('Intelligence, Ask and the report narrative send the configured model and key', async () => {
    expect((await call('intelligence.overview', { filters: {} })).value.llmConfigured).toBe(true);
    expect((await call('intelligence.estimate', { source: 'auto', filters: {} })).value).toMatchObject({ source: 'llm', model: 'founder-model' });

    let from = fake.requests.length;
    const askJob = await finished((await call('intelligence.ask', { question: 'How many users are there?' })).value.jobId);
    expect(askJob.state).toBe('succeeded');
    expect(askJob.result).toMatchObject({ configured: true, answer: 'Every user is in the users table.' });
    const askRequests = fake.requests.slice(from);
    expect(askRequests.length).toBe(2);
    for (const r of askRequests) {
      expect(r.body.model).toBe('founder-model');
      expect(r.authorization).toBe(`Bearer ${KEY}`);
    }

    from = fake.requests.length;
    const exportJob = await finished((await call('reports.export', { format: 'md', narrative: true })).value.jobId);
    expect(exportJob.state).toBe('succeeded');
    const narrativeRequests = fake.requests.slice(from);
    expect(narrativeRequests).toHaveLength(1);
    expect(narrativeRequests[0].body.model).toBe('founder-model');
    expect(narrativeRequests[0].authorization).toBe(`Bearer ${KEY}`);
    const md = fs.readFileSync(path.join(t.dir, 'reports', exportJob.result.fileName), 'utf8');
    expect(md).toContain('A quiet month.');
  }, 240_000);

  it('a failure names the host and what failed, never the key', async () => {
    const refusing = await startFakeOpenAi(() => ({ status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}`, type: 'invalid_request_error' } } }));
    try {
      const host = new URL(refusing.url).host;
      const refused = (await call('llm.test', { baseUrl: refusing.url })).value;
      expect(refused).toMatchObject({ ok: false, model: null, host });
      expect(refused.message).toContain('HTTP 401');
      expect(refused.message).toContain(host);
      const down = (await call('llm.test', { baseUrl: 'http://127.0.0.1:1/v1' })).value;
      expect(down).toMatchObject({ ok: false, host: '127.0.0.1:1' });
      expect(down.message).toMatch(/could not reach 127\.0\.0\.1:1/);
      const nf = await startFakeOpenAi(() => ({ status: 500, body: { error: { message: `upstream said ${KEY}` } } }));
      try {
        const failed = (await call('llm.test', { baseUrl: nf.url })).value;
        expect(failed.message).toContain('HTTP 500');
        expect(failed.message).not.toContain(KEY);
      } finally {
        await nf.close();
      }
    } finally {
      await refusing.close();
    }
  }, 60_000);

  it('environment variables are defaults; the environment key goes only to the environment server', async () => {
    const envServer = await startFakeOpenAi(reply);
    try {
      Object.assign(process.env, { OPENAI_BASE_URL: envServer.url, OPENAI_API_KEY: 'sk-from-the-environment', UIS_MODEL: 'env-model' });
      // The workspace's settings win over the environment
      expect((await call('llm.test', {})).value).toMatchObject({ ok: true, model: 'founder-model', host: new URL(fake.url).host });
      expect(fake.requests.at(-1)!.authorization).toBe(`Bearer ${KEY}`);

      // Clear the key: the workspace's own server gets no key, not the environment's
      const cleared = await call('workspace.setLlm', { apiKey: null });
      expect(cleared.value.workspace.llm.hasApiKey).toBe(false);
      await call('llm.test', {});
      expect(fake.requests.at(-1)!.authorization).not.toContain('sk-from-the-environment');

      // Clear everything: the environment's server, model and key
      await call('workspace.setLlm', { baseUrl: null, model: null });
      const eff = (await call('llm.get', {})).value.effective;
      expect(eff).toMatchObject({ configured: true, model: 'env-model', hasApiKey: true, from: { baseUrl: 'environment', model: 'environment', apiKey: 'environment' } });
      expect((await call('llm.test', {})).value).toMatchObject({ ok: true, model: 'env-model', host: new URL(envServer.url).host });
      expect(envServer.requests.at(-1)!.authorization).toBe('Bearer sk-from-the-environment');
    } finally {
      for (const k of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'UIS_MODEL']) delete process.env[k];
      await envServer.close();
    }
  }, 60_000);

  it('the key never came back out: not in any output, log line or file of the data folder', () => {
    const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    expect(JSON.stringify(outputs)).not.toContain(KEY);
    expect(logs.join('\n')).not.toContain(KEY);
    expect(logs.join('\n')).toContain('LLM API key saved');
    for (const f of files(t.dir)) expect(fs.readFileSync(f).includes(KEY), f).toBe(false);
  });
});
