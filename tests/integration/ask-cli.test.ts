import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeOpenAi, type ChatRequestBody, type FakeOpenAi } from '../helpers/fake-openai.js';

/** `uis intelligence --ask` as a founder runs it: exit codes, and Ctrl-C cancelling a running statement. */
const UIS = new URL('../../bin/uis.js', import.meta.url).pathname;
const RECURSIVE = 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r) SELECT count(*) FROM r';
let dataDir: string;
let fake: FakeOpenAi;

function uis(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [UIS, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, UIS_DATA_DIR: dataDir, UIS_DEMO_USERS: '20', UIS_DEMO_DAYS: '7', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exit, out: () => stdout, err: () => stderr };
}
/** Ask boxes started from this worktree that are still alive, wherever their parent went. */
const boxes = () =>
  execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(path.resolve('src/main/intelligence/ask-sql-box.mjs')));
/** CPU time (clock ticks) a process has used: it grows while the box runs a statement, not while it waits. */
const cpuTicks = (pid: number) => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-ask-cli-'));
  fake = await startFakeOpenAi((body: ChatRequestBody) =>
    body.messages.some((m) => m.role === 'tool') ? { content: 'Done.' } : { toolCalls: [{ name: 'run_sql', arguments: { sql: RECURSIVE } }] },
  );
});
afterAll(async () => {
  await fake?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('uis intelligence --ask', () => {
  it('exits non-zero with what to configure when no LLM is set', async () => {
    const r = uis(['intelligence', '--ask', 'How many users do we have?'], {});
    expect(await r.exit).toBe(1);
    expect(r.err()).toContain('Ask needs an LLM');
    expect(r.err()).toContain('OPENAI_BASE_URL');
    expect(r.out()).toBe('');
  });

  it('Ctrl-C cancels a running statement: exit 130, and its process is gone', async () => {
    const r = uis(['intelligence', '--ask', 'How many numbers are there?'], { OPENAI_BASE_URL: fake.url, UIS_MODEL: 'local-model', UIS_LLM_MAX_RETRIES: '0', UIS_ASK_QUERY_TIMEOUT_MS: '300000' });
    await vi.waitFor(() => expect(r.err()).toContain('Running query 1…'), { timeout: 60_000, interval: 50 });
    await vi.waitFor(() => expect(boxes()).toHaveLength(1), { timeout: 10_000, interval: 50 });
    r.child.kill('SIGINT');
    expect(await r.exit).toBe(130);
    expect(r.err()).toContain('cancelled');
    await vi.waitFor(() => expect(boxes()).toEqual([]), { timeout: 5_000, interval: 50 });
  });

  it('a box outlives no service: when the command is killed with -9 mid-statement, its box ends by itself', async () => {
    const r = uis(['intelligence', '--ask', 'How many numbers are there?'], { OPENAI_BASE_URL: fake.url, UIS_MODEL: 'local-model', UIS_LLM_MAX_RETRIES: '0', UIS_ASK_QUERY_TIMEOUT_MS: '300000' });
    await vi.waitFor(() => expect(r.err()).toContain('Running query 1…'), { timeout: 60_000, interval: 50 });
    const pid = Number(boxes()[0].trim().split(' ')[0]);
    const start = cpuTicks(pid);
    // The box is inside the never-ending statement (its CPU time grows), where it cannot read messages.
    await vi.waitFor(() => expect(cpuTicks(pid) - start).toBeGreaterThan(30), { timeout: 10_000, interval: 50 });
    r.child.kill('SIGKILL');
    await r.exit;
    await vi.waitFor(() => expect(boxes()).toEqual([]), { timeout: 5_000, interval: 50 });
  });
});
