import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { REDIS_URL, testPrefix } from '../helpers/redis.js';

const run = promisify(execFile);
const redisPort = new URL(REDIS_URL).port || '6379';

/** `redis-cli` as a founder or the platform would use it: the page must show what arrives this way. */
const redisCli = (...args: string[]) => run('redis-cli', ['-h', new URL(REDIS_URL).hostname, '-p', redisPort, ...args]);

let seq = 0;
function storedEvent(over: Record<string, unknown>) {
  seq++;
  return {
    id: `01940000-0000-7000-9000-${seq.toString(16).padStart(12, '0')}`,
    conversation_id: '01940000-0000-7000-8000-000000000001',
    user_id: 'alice',
    timestamp: new Date().toISOString(),
    event_type: 'message',
    content: { role: 'user', message: `hello ${seq}` },
    tool_name: null,
    success: null,
    credits_consumed: 0,
    ...over,
  };
}

/** Starts `uis web` with its own data folder and returns the URL with the token. */
async function startWeb(env: NodeJS.ProcessEnv): Promise<{ proc: ChildProcess; url: string; origin: string; token: string }> {
  const proc = spawn('node', ['bin/uis.js', 'web', '--open-browser', 'no'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`uis web did not start: ${err}`)), 240_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /Workbench: (\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => reject(new Error(`uis web exited ${code}: ${err}`)));
  });
  const u = new URL(url);
  return { proc, url, origin: u.origin, token: decodeURIComponent(u.hash.replace('#token=', '')) };
}

test.describe('Live page', () => {
  test.describe.configure({ mode: 'serial' });
  let db: TestDatabase;
  let web: Awaited<ReturnType<typeof startWeb>>;
  let dataDir: string;
  const prefix = testPrefix();
  const stream = `${prefix}uis:events`;

  test.beforeAll(async () => {
    test.setTimeout(300_000);
    db = await createTestDatabase();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'uis-live-e2e-'));
    web = await startWeb({ UIS_DATA_DIR: dataDir, UIS_REDIS_PREFIX: prefix });
    // A workspace on real PostgreSQL + Redis, as a founder adds it in Settings.
    const res = await fetch(`${web.origin}/rpc/workspace.add`, {
      method: 'POST',
      headers: { authorization: `Bearer ${web.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ workspace: { name: 'prod', kind: 'postgres', pgUrl: db.url, redisUrl: REDIS_URL }, activate: true }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  });

  test.afterAll(async () => {
    web?.proc.kill('SIGTERM');
    await redisCli('DEL', stream).catch(() => {});
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('shows events XADDed with redis-cli and messages PUBLISHed on a typed channel; filters and pause work', async ({ page }) => {
    await page.goto(web.url);
    await page.evaluate(() => (window.location.hash = '#/live'));
    await expect(page.getByTestId('live-status')).toContainText('Redis stream · live', { timeout: 30_000 });

    const a = storedEvent({ user_id: 'alice', event_type: 'tool_call', tool_name: 'video_gen', success: true, credits_consumed: 12, content: { params: { style: 'cinematic', aspect_ratio: '9:16' } } });
    const b = storedEvent({ user_id: 'bob', event_type: 'error', tool_name: 'image_gen', success: false, content: { error: 'content_policy violation' } });
    const c = storedEvent({ user_id: 'alice', content: { role: 'user', message: 'Always make it vertical' } });
    for (const e of [a, b, c]) await redisCli('XADD', stream, '*', 'event', JSON.stringify(e));
    const row = (id: string) => page.locator(`[data-testid="live-row"][data-event-id="${id}"]`);
    await expect(row(a.id)).toContainText('video_gen');
    await expect(row(a.id)).toContainText('12 cr');
    await expect(row(b.id)).toContainText('content_policy violation');
    await expect(row(c.id)).toContainText('Always make it vertical');
    await expect(page.getByTestId('tile-credits')).toContainText('12');
    await expect(page.getByTestId('tile-errors')).toContainText('1');

    // A pub/sub channel typed by the founder.
    await page.getByLabel('Channel or pattern').fill('user_context');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await expect(page.locator('.live-chip')).toContainText('user_context');
    await redisCli('PUBLISH', `${prefix}user_context`, JSON.stringify({ userId: 'carol', event: 'new_interaction', data: { message: 'make me a logo', toolCalls: [] } }));
    const logo = page.locator('[data-testid="live-row"]', { hasText: 'make me a logo' });
    await expect(logo).toContainText('carol');
    // The channel's badge shows its whole name (it was cut off in a narrow column).
    expect(await logo.locator('.live-type .badge').evaluate((b) => b.scrollWidth <= b.clientWidth && b.getBoundingClientRect().right <= b.parentElement!.getBoundingClientRect().right + 0.5)).toBe(true);

    // Filters: user, then type.
    await page.getByLabel('Filter by user').fill('alice');
    await expect(page.getByTestId('live-row')).toHaveCount(2);
    await page.getByLabel('Filter by event type').selectOption('message');
    await expect(page.getByTestId('live-row')).toHaveCount(1);
    await expect(row(c.id)).toBeVisible();
    await page.getByLabel('Filter by user').fill('');
    await page.getByLabel('Filter by event type').selectOption('');
    await page.getByLabel('Filter by outcome').selectOption('false');
    await expect(page.getByTestId('live-row')).toHaveCount(1);
    await expect(row(b.id)).toBeVisible();
    await page.getByLabel('Filter by outcome').selectOption('');
    await expect(page.getByTestId('live-row')).toHaveCount(4);

    // Pause: the list stands still, new events wait and appear on resume.
    await page.getByTestId('live-pause').click();
    const d = storedEvent({ user_id: 'dave', content: { role: 'user', message: 'arrived while paused' } });
    await redisCli('XADD', stream, '*', 'event', JSON.stringify(d));
    await expect(page.getByTestId('live-resume')).toHaveText('Resume (1 new)');
    await expect(row(d.id)).toHaveCount(0);
    await page.getByTestId('live-resume').click();
    await expect(row(d.id)).toBeVisible();

    await page.evaluate(() => document.querySelectorAll('main, .content').forEach((el) => el.scrollTo(0, 0)));
    await page.screenshot({ path: 'test-results/e2e/live.png' });

    // A click opens the user's drill-down.
    await row(a.id).click();
    await expect(page).toHaveURL(/#\/users\/alice$/);
  });

  test('follow pauses when scrolling up and resumes at the bottom', async ({ page }) => {
    await page.goto(web.url);
    await page.evaluate(() => (window.location.hash = '#/live'));
    await expect(page.getByTestId('live-status')).toContainText('live', { timeout: 30_000 });
    const many = Array.from({ length: 120 }, (_, i) => storedEvent({ user_id: `u${i % 7}`, content: { role: 'user', message: `bulk ${i}` } }));
    const args = many.flatMap((e) => ['XADD', stream, '*', 'event', JSON.stringify(e)].join('\u0001'));
    // One redis-cli per event would be slow; pipe them instead.
    await new Promise<void>((resolve, reject) => {
      const p = spawn('redis-cli', ['-h', new URL(REDIS_URL).hostname, '-p', redisPort], { stdio: ['pipe', 'ignore', 'inherit'] });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-cli ${code}`))));
      p.stdin.end(args.map((a) => a.split('\u0001').map((x) => `'${x.replace(/'/g, "\\'")}'`).join(' ')).join('\n') + '\n');
    });
    const last = many[many.length - 1];
    await expect(page.locator(`[data-event-id="${last.id}"]`)).toBeVisible();
    await expect(page.getByTestId('live-follow')).toHaveText('Following');
    await page.getByTestId('live-list').evaluate((el) => el.scrollTo({ top: 0 }));
    await expect(page.getByTestId('live-follow')).toHaveText('Follow');
    const before = Number((await page.getByTestId('live-count').innerText()).match(/^([\d,]+) shown/)![1].replace(/,/g, ''));
    const next = storedEvent({ user_id: 'zed', content: { role: 'user', message: 'not followed' } });
    await redisCli('XADD', stream, '*', 'event', JSON.stringify(next));
    await expect(page.getByTestId('live-count')).toContainText(`${before + 1} shown`);
    // Still at the top: the new row is not scrolled into view.
    expect(await page.getByTestId('live-list').evaluate((el) => el.scrollTop)).toBe(0);
    await page.getByTestId('live-follow').click();
    await expect(page.locator(`[data-event-id="${next.id}"]`)).toBeVisible();
  });
});

test.describe('Live page across a dropped connection', () => {
  test.describe.configure({ mode: 'serial' });
  let db: TestDatabase;
  let workbench: { server: { url: string; origin: string; app: { server: { closeAllConnections(): void } } }; close(): Promise<void> };
  let dataDir: string;
  const prefix = testPrefix();
  const stream = `${prefix}uis:events`;
  const token = 'live-e2e-drop-token';
  const savedPrefix = process.env.UIS_REDIS_PREFIX;

  test.beforeAll(async () => {
    test.setTimeout(300_000);
    db = await createTestDatabase();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'uis-live-e2e-'));
    // In this process, so the test can cut every connection of the server (the page's push stream among them).
    process.env.UIS_REDIS_PREFIX = prefix;
    const { startWebWorkbench } = await import('../../src/main/cli/web.js');
    workbench = await startWebWorkbench({ dataDir, token, build: 'auto', log: () => {} });
    const res = await fetch(`${workbench.server.origin}/rpc/workspace.add`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ workspace: { name: 'prod', kind: 'postgres', pgUrl: db.url, redisUrl: REDIS_URL }, activate: true }),
    });
    expect(res.status).toBe(200);
  });
  test.afterAll(async () => {
    await workbench?.close();
    if (savedPrefix === undefined) delete process.env.UIS_REDIS_PREFIX;
    else process.env.UIS_REDIS_PREFIX = savedPrefix;
    await redisCli('DEL', stream).catch(() => {});
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('events published while the push stream was cut appear after it reconnects, none twice', async ({ page }) => {
    await page.goto(workbench.server.url);
    await page.evaluate(() => (window.location.hash = '#/live'));
    await expect(page.getByTestId('live-status')).toContainText('Redis stream · live', { timeout: 30_000 });
    const before = storedEvent({ user_id: 'olga', content: { role: 'user', message: 'before the drop' } });
    await redisCli('XADD', stream, '*', 'event', JSON.stringify(before));
    await expect(page.locator(`[data-event-id="${before.id}"]`)).toBeVisible();

    // Cut the page's push stream, publish while it reconnects (its first retry waits 500 ms).
    workbench.server.app.server.closeAllConnections();
    const during = Array.from({ length: 3 }, (_, i) => storedEvent({ user_id: 'olga', content: { role: 'user', message: `while cut ${i}` } }));
    for (const e of during) await redisCli('XADD', stream, '*', 'event', JSON.stringify(e));

    for (const e of during) await expect(page.locator(`[data-event-id="${e.id}"]`)).toBeVisible({ timeout: 20_000 });
    await expect(page.locator(`[data-event-id="${before.id}"]`)).toHaveCount(1);
    await expect(page.getByTestId('live-count')).toContainText('4 shown');
  });
});

test.describe('Live page on the demo workspace', () => {
  let web: Awaited<ReturnType<typeof startWeb>>;
  let dataDir: string;

  test.beforeAll(async () => {
    test.setTimeout(300_000);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'uis-live-demo-'));
    // No REDIS_URL, no workspace: the embedded demo with its in-process simulator.
    web = await startWeb({ UIS_DATA_DIR: dataDir, REDIS_URL: '', UIS_DEMO_USERS: '40', UIS_DEMO_DAYS: '14' });
  });
  test.afterAll(async () => {
    web?.proc.kill('SIGTERM');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('the simulator moves the feed with no Redis, as the demo users; a click opens the user', async ({ page }) => {
    await page.goto(web.url);
    await page.evaluate(() => (window.location.hash = '#/live'));
    await expect(page.getByTestId('live-status')).toContainText('Demo simulator · live', { timeout: 60_000 });
    await expect(page.getByTestId('live-row').first()).toBeVisible({ timeout: 15_000 });
    await expect(page.getByTestId('tile-events')).not.toContainText(/^Events \/ min0/);
    // Pub/sub needs Redis: the demo offers no channel form.
    await expect(page.getByText('Pub/sub channels')).toHaveCount(0);
    // A filter that hides every event says so, with how many arrived; clearing it brings the rows back.
    await page.getByLabel('Filter by user').fill('nobody_by_this_name');
    await expect(page.getByTestId('live-empty')).toContainText(/No event matches the filters \([\d,.k]+ received\)/);
    await expect(page.getByTestId('live-row')).toHaveCount(0);
    await page.getByLabel('Filter by user').fill('');
    await expect(page.getByTestId('live-empty')).toHaveCount(0);
    const first = page.getByTestId('live-row').first();
    const user = (await first.locator('.live-user').innerText()).trim();
    expect(user).toMatch(/^user_\d+$/);
    await first.click();
    await expect(page).toHaveURL(new RegExp(`#/users/${user}$`));
  });
});
