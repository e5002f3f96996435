import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLlmConfig } from '../../src/main/llm/client.js';
import { buildReportData, resolvePeriods } from '../../src/main/reports/build.js';
import { checkNarrativeNumbers, extractNumbers } from '../../src/main/reports/narrative-check.js';
import { narrativeInput, writeNarrative } from '../../src/main/reports/narrative.js';
import { fixtureDashboard } from './report.fixture.js';

describe('narrative number check', () => {
  const metrics = { active_users: 67, day7_retention: 0.4333, credits_used: 12345, period: { since: '2026-11-01' } };

  it('reads numbers with thousands separators and decimals', () => {
    expect(extractNumbers('12,345 credits, 43.3% and 7 days')).toEqual([
      { text: '12,345', value: 12345, decimals: 0 },
      { text: '43.3', value: 43.3, decimals: 1 },
      { text: '7', value: 7, decimals: 0 },
    ]);
  });

  it('accepts numbers that are in the metrics, rounded, or rates written as percentages', () => {
    expect(checkNarrativeNumbers('We had 67 active users, used 12,345 credits; day-7 retention was 43% (43.3%) since 2026-11-01.', metrics)).toEqual({ ok: true, invented: [] });
  });

  it('rejects a number that is not in the metrics', () => {
    const r = checkNarrativeNumbers('We had 67 active users and grew revenue 42%.', metrics);
    expect(r.ok).toBe(false);
    expect(r.invented).toEqual(['42']);
  });

  it('rejects a precise-looking number that only rounds to a metric at a coarser precision', () => {
    // 43.4 is not 43.33 rounded to one decimal.
    expect(checkNarrativeNumbers('Retention reached 43.4%.', metrics).invented).toEqual(['43.4']);
  });
});

/** A local server speaking the OpenAI chat-completions protocol; the test chooses its answer. */
let server: Server;
let baseUrl: string;
let answer = '';
const requests: { auth: string | undefined; body: { model: string; messages: { role: string; content: string }[] } }[] = [];

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = JSON.parse(await readBody(req));
    requests.push({ auth: req.headers.authorization, body });
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        id: 'chatcmpl-test',
        object: 'chat.completion',
        created: 1764288000,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('writeNarrative with a real openai client', () => {
  const periods = resolvePeriods({ since: '2026-11-01', until: '2026-11-27' }, null);
  const current = fixtureDashboard(periods.current.since, periods.current.until);
  const data = buildReportData({
    current,
    ranOutUsers: current.ranOutUsers.rows,
    previous: fixtureDashboard(periods.previous.since, periods.previous.until, 0.8),
    periods,
    settings: { companyName: 'Latent Labs', logoDataUrl: null },
    workspace: 'demo',
  });
  const llm = (url: string) => readLlmConfig({ OPENAI_BASE_URL: url, OPENAI_API_KEY: 'sk-test-secret', UIS_MODEL: 'test-model' });

  it('keeps a narrative whose numbers all come from the metrics', async () => {
    answer = 'In November 67 people were active, up 24.1% on October, and day-7 retention reached 43.3%, above the 40% bar.';
    const r = await writeNarrative(data, llm(baseUrl));
    expect(r.note).toBeNull();
    expect(r.narrative).toEqual({ text: answer, model: 'test-model' });
    const sent = requests.at(-1)!;
    expect(sent.auth).toBe('Bearer sk-test-secret');
    expect(sent.body.model).toBe('test-model');
    // The model sees the computed metrics only: no e-mail addresses or user ids.
    const userMessage = sent.body.messages.find((m) => m.role === 'user')!.content;
    expect(JSON.parse(userMessage)).toEqual(JSON.parse(JSON.stringify(narrativeInput(data))));
    expect(userMessage).not.toContain('ana@example.com');
    expect(userMessage).not.toContain('u_001');
  });

  it('redacts personal data in the labels it sends', async () => {
    answer = 'Quiet month.';
    const withPii = { ...data, featureRequests: [{ text: 'email me at bob@example.com when 4K export ships', count: 3, users: 2 }] };
    await writeNarrative(withPii, llm(baseUrl));
    const userMessage = requests.at(-1)!.body.messages.find((m) => m.role === 'user')!.content;
    expect(userMessage).toContain('email me at [EMAIL] when 4K export ships');
    expect(userMessage).not.toContain('bob@example.com');
  });

  it('rejects a narrative that invents a number, and says which', async () => {
    answer = 'We had 67 active users and revenue grew 250% month over month.';
    const r = await writeNarrative(data, llm(baseUrl));
    expect(r.narrative).toBeNull();
    expect(r.note).toContain('250');
    expect(r.note).toMatch(/goes out without it/);
  });

  it('reports a failed call without throwing and without the key', async () => {
    const r = await writeNarrative(data, llm('http://127.0.0.1:1/v1'), { timeoutMs: 2000 });
    expect(r.narrative).toBeNull();
    expect(r.note).toMatch(/model call failed/);
    expect(r.note).not.toContain('sk-test-secret');
  });

  it('is skipped without configuration', async () => {
    const r = await writeNarrative(data, readLlmConfig({}));
    expect(r).toEqual({ narrative: null, note: expect.stringContaining('no LLM is set up') });
  });
});
