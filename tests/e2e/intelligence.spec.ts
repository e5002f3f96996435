import path from 'node:path';
import Database from 'better-sqlite3';
import { WorkspaceStore } from '../../src/main/workspace/store.js';
import { FileKeySecretStore } from '../../src/main/workspace/secrets.js';
import { startFakeOpenAi, type ChatRequestBody } from '../helpers/fake-openai.js';
import { expect, go, openWorkbench, screenshot, test } from './fixtures.js';

/**
 * The Intelligence page on the demo workspace: without an LLM the local analysis runs and fills the page (clusters,
 * requests, blockers, satisfaction, worth reading) and Ask says what to configure; with an OpenAI-compatible server
 * (a local fake speaking the protocol) Ask shows its answer, the SQL it ran and the result table.
 */
function snapshotPath(dataDir: string): string {
  return new WorkspaceStore(dataDir, new FileKeySecretStore(path.join(dataDir, 'secret.key'), () => {})).getActive().snapshotPath;
}

test('without an LLM: local analysis, clusters with click-through, requests counted as stored, Ask explains setup', async ({ page, workbench }) => {
  delete process.env.OPENAI_API_KEY;
  delete process.env.OPENAI_BASE_URL;
  await openWorkbench(page, workbench);
  await go(page, 'intelligence');
  await expect(page.getByTestId('intent-clusters')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('ask-not-configured')).toContainText('OPENAI_API_KEY');

  // The counts shown are the stored analyses' counts.
  const db = new Database(snapshotPath(workbench.dataDir), { readonly: true });
  const top = db
    .prepare("SELECT j.value AS request, COUNT(*) AS n FROM ai_conversation_analysis a, json_each(a.feature_requests) j WHERE a.source = 'local' AND a.status = 'ok' GROUP BY 1 ORDER BY n DESC, request LIMIT 1")
    .get() as { request: string; n: number };
  const analysed = (db.prepare("SELECT COUNT(*) AS n FROM ai_conversation_analysis WHERE source = 'local' AND status = 'ok'").get() as { n: number }).n;
  db.close();
  await expect(page.getByTestId('tile-analysed-value')).toHaveText(new Intl.NumberFormat('en-US').format(analysed));
  const firstRequest = page.getByTestId('feature-requests').locator('tbody tr').first();
  await expect(firstRequest.locator('td').nth(0)).toContainText(top.request);
  await expect(firstRequest.locator('td').nth(1)).toHaveText(String(top.n));
  await expect(page.getByTestId('blockers').locator('tbody tr').first()).toBeVisible();
  await expect(page.getByTestId('worth-reading')).toBeVisible();

  // Click-through: a cluster opens its examples and conversations; a conversation opens with its analysis.
  await page.getByTestId('intent-row').first().click();
  await page.getByTestId('conversation-chip').first().click();
  await expect(page.getByTestId('conversation-panel')).toContainText('satisfaction');
  await page.waitForTimeout(300);
  await screenshot(page, 'intelligence-local');

  const question = page.getByTestId('ask-input');
  await question.fill('How many users do we have?');
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
  await expect(page.getByTestId('ask-result')).toContainText('Ask needs an LLM');
});

test('with an OpenAI-compatible server: Ask shows the answer, the SQL and the result table', async ({ page, workbench }) => {
  const fake = await startFakeOpenAi((body: ChatRequestBody) => {
    const tool = [...body.messages].reverse().find((m) => m.role === 'tool');
    if (!tool) return { toolCalls: [{ name: 'run_sql', arguments: { sql: 'SELECT COUNT(*) AS users FROM users' } }] };
    const rows = (JSON.parse(String(tool.content)) as { rows: number[][] }).rows;
    return { content: `There are ${rows[0][0]} users in this workspace.` };
  });
  process.env.OPENAI_BASE_URL = fake.url;
  process.env.UIS_MODEL = 'local-test-model';
  try {
    const db = new Database(snapshotPath(workbench.dataDir), { readonly: true });
    const users = (db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
    db.close();
    await openWorkbench(page, workbench);
    await go(page, 'intelligence');
    await expect(page.getByTestId('ask-input')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('ask-not-configured')).toHaveCount(0);
    // A run would cost money: the estimate comes first, and nothing is sent until the founder confirms.
    await page.getByTestId('run-analysis').click();
    await expect(page.getByTestId('run-estimate')).toContainText('to local-test-model');
    await expect(page.getByTestId('run-estimate')).toContainText('input');
    expect(fake.chatRequests()).toHaveLength(0);
    await page.getByRole('button', { name: 'Not now' }).click();
    await expect(page.getByTestId('run-estimate')).toHaveCount(0);
    await page.getByTestId('ask-input').fill('How many users do we have?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    const result = page.getByTestId('ask-result');
    await expect(result).toContainText(`There are ${users} users in this workspace.`, { timeout: 30_000 });
    await expect(result).toContainText('every number comes from the results below');
    await expect(result).toContainText('SELECT COUNT(*) AS users FROM users');
    await expect(result.locator('table.data td').first()).toHaveText(String(users));
    await screenshot(page, 'intelligence-ask');
  } finally {
    delete process.env.OPENAI_BASE_URL;
    delete process.env.UIS_MODEL;
    await fake.close();
  }
});

test('Ask is a job: it shows the running query and Cancel stops it', async ({ page, workbench }) => {
  const never = 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r) SELECT count(*) FROM r';
  const fake = await startFakeOpenAi((body: ChatRequestBody) =>
    body.messages.some((m) => m.role === 'tool') ? { content: 'Done.' } : { toolCalls: [{ name: 'run_sql', arguments: { sql: never } }] },
  );
  Object.assign(process.env, { OPENAI_BASE_URL: fake.url, UIS_MODEL: 'local-test-model', UIS_ASK_QUERY_TIMEOUT_MS: '300000' });
  try {
    await openWorkbench(page, workbench);
    await go(page, 'intelligence');
    await page.getByTestId('ask-input').fill('How many numbers are there?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await expect(page.getByTestId('ask-progress')).toHaveText('Running query 1…', { timeout: 60_000 });
    await expect(page.getByRole('button', { name: 'Ask', exact: true })).toHaveCount(0);
    const card = page.locator('section.card', { has: page.getByTestId('ask-input') });
    const shot = (name: string) => card.screenshot({ path: `test-results/screenshots/${name}.png` });
    await shot('intelligence-ask-running-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('intelligence-ask-running-dark');
    await page.getByTestId('ask-cancel').click();
    await expect(page.getByTestId('ask-cancelled')).toContainText('Cancelled');
    await expect(page.getByTestId('ask-progress')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Ask', exact: true })).toBeEnabled();
    await shot('intelligence-ask-cancelled-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await shot('intelligence-ask-cancelled-light');
  } finally {
    delete process.env.OPENAI_BASE_URL;
    delete process.env.UIS_MODEL;
    delete process.env.UIS_ASK_QUERY_TIMEOUT_MS;
    await fake.close();
  }
});
