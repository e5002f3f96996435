import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileKeySecretStore } from '../../src/main/workspace/secrets.js';
import { WorkspaceStore } from '../../src/main/workspace/store.js';
import { startFakeOpenAi, type ChatRequestBody, type FakeOpenAi } from '../helpers/fake-openai.js';

/**
 * The CLI uses the workspace's LLM (Settings → AI) as the workbench does, with no OPENAI_* in its environment:
 * `uis intelligence --ask`, `uis analytics --ai-analysis` and `uis report --narrative`, each with --workspace.
 */
const UIS = new URL('../../bin/uis.js', import.meta.url).pathname;
const KEY = 'sk-cli-W0rkspace-key';
let dataDir: string;
let fake: FakeOpenAi;

function uis(args: string[]) {
  const child = spawn(process.execPath, [UIS, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, UIS_DATA_DIR: dataDir, UIS_DEMO_USERS: '20', UIS_DEMO_DAYS: '7' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.on('exit', (code) => resolve({ code, out: stdout, err: stderr })));
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-llm-cli-'));
  fake = await startFakeOpenAi((body: ChatRequestBody) => {
    if (!body.tools?.length) return { content: 'A quiet month.' };
    return body.messages.some((m) => m.role === 'tool') ? { content: 'Counted.' } : { toolCalls: [{ name: 'run_sql', arguments: { sql: 'SELECT COUNT(*) AS n FROM users' } }] };
  });
  const store = new WorkspaceStore(dataDir, new FileKeySecretStore(path.join(dataDir, 'secret.key'), () => {}));
  store.getActive();
  store.add({ name: 'other', kind: 'demo' }, { activate: true });
  // The LLM is set on "demo" only; "other" is the active workspace and has none.
  store.setLlm('demo', { baseUrl: fake.url, model: 'cli-model', apiKey: KEY });
});
afterAll(async () => {
  await fake?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the CLI takes the LLM of the workspace it is given', () => {
  it('uis intelligence --ask --workspace demo sends the saved model and key; the other workspace has no LLM', async () => {
    const r = await uis(['intelligence', '--workspace', 'demo', '--ask', 'How many users do we have?']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Counted.');
    expect(fake.requests.length).toBe(2);
    for (const q of fake.requests) expect(q).toMatchObject({ authorization: `Bearer ${KEY}`, body: { model: 'cli-model' } });
    const none = await uis(['intelligence', '--workspace', 'other', '--ask', 'How many users do we have?']);
    expect(none.code).toBe(1);
    expect(none.err).toContain('Settings → AI');
    expect(fake.requests.length).toBe(2);
    expect(r.out + r.err + none.out + none.err).not.toContain(KEY);
  }, 180_000);

  it('uis analytics --ai-analysis and uis report --narrative with --workspace demo', async () => {
    const before = fake.requests.length;
    const a = await uis(['analytics', '--workspace', 'demo', '--ai-analysis', 'How many users do we have?']);
    expect(a.code, a.err).toBe(0);
    expect(a.out).toContain('Counted.');
    const out = path.join(dataDir, 'r.md');
    const r = await uis(['report', '--format', 'md', '--narrative', '--workspace', 'demo', '--out', out]);
    expect(r.code, r.err).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toContain('A quiet month.');
    const sent = fake.requests.slice(before);
    expect(sent.length).toBe(3);
    for (const q of sent) expect(q).toMatchObject({ authorization: `Bearer ${KEY}`, body: { model: 'cli-model' } });
  }, 180_000);
});
