import { test, expect, go, openWorkbench, screenshot, type Workbench } from './fixtures.js';
import { startFakeOpenAi, type ChatRequestBody } from '../helpers/fake-openai.js';

/**
 * A founder sets the AI in Settings (base URL, model, key), presses Test and sees which model answered and how fast,
 * then Ask on the Intelligence page answers, with no OPENAI_* / UIS_MODEL in the environment.
 */
const KEY = 'sk-e2e-Settings-k3y';

async function rpc(wb: Workbench, channel: string, input: unknown): Promise<void> {
  await fetch(`${wb.origin}/rpc/${channel}`, { method: 'POST', headers: { authorization: `Bearer ${wb.token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
}

test('Settings → AI: set, Test shows the model and latency, Ask answers without any env var, the key is cleared', async ({ page, workbench }) => {
  const fake = await startFakeOpenAi((body: ChatRequestBody) => {
    if (!body.tools?.length) return { content: 'OK' };
    return body.messages.some((m) => m.role === 'tool') ? { content: 'Your users are all in the users table.' } : { toolCalls: [{ name: 'run_sql', arguments: { sql: 'SELECT COUNT(*) AS n FROM users' } }] };
  });
  const saved = { base: process.env.OPENAI_BASE_URL, key: process.env.OPENAI_API_KEY, model: process.env.UIS_MODEL };
  delete process.env.OPENAI_BASE_URL;
  delete process.env.OPENAI_API_KEY;
  delete process.env.UIS_MODEL;
  try {
    await openWorkbench(page, workbench, 'settings');
    const card = page.getByTestId('ai-card');
    await expect(card).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('ai-status')).toHaveText('not set up');
    await expect(page.getByTestId('ai-key-state')).toHaveText('none');

    await page.getByTestId('ai-base-url').fill(fake.url);
    await page.getByTestId('ai-model').fill('founder-model');
    await page.getByTestId('ai-key').fill(KEY);
    await page.getByTestId('ai-save').click();
    await expect(page.getByTestId('ai-saved')).toBeVisible();
    await expect(page.getByTestId('ai-status')).toHaveText('configured');
    await expect(page.getByTestId('ai-key-state')).toContainText('saved (hidden)');
    // Write-only: the key is in no field and nowhere on the page
    await expect(page.getByTestId('ai-key')).toHaveValue('');
    expect(await page.content()).not.toContain(KEY);

    await page.getByTestId('ai-test').click();
    const result = page.getByTestId('ai-test-result');
    await expect(result).toContainText('answered from', { timeout: 30_000 });
    await expect(page.getByTestId('ai-test-model')).toHaveText('founder-model');
    await expect(page.getByTestId('ai-test-latency')).toHaveText(/^\d+ ms$/);
    await expect(result).toContainText(new URL(fake.url).host);
    expect(fake.requests.at(-1)).toMatchObject({ authorization: `Bearer ${KEY}`, body: { model: 'founder-model' } });

    const cardSection = page.locator('section.card', { has: card });
    await cardSection.scrollIntoViewIfNeeded();
    await screenshot(page, 'settings-ai-light');
    await cardSection.screenshot({ path: 'test-results/screenshots/settings-ai-card-light.png' });
    await page.emulateMedia({ colorScheme: 'dark' });
    await cardSection.screenshot({ path: 'test-results/screenshots/settings-ai-card-dark.png' });
    await screenshot(page, 'settings-ai-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    await go(page, 'intelligence');
    await expect(page.getByTestId('ask-input')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('ask-not-configured')).toHaveCount(0);
    const before = fake.requests.length;
    await page.getByTestId('ask-input').fill('How many users do we have?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await expect(page.getByTestId('ask-result')).toContainText('Your users are all in the users table.', { timeout: 60_000 });
    const askRequests = fake.requests.slice(before);
    expect(askRequests.length).toBeGreaterThanOrEqual(2);
    for (const r of askRequests) expect(r).toMatchObject({ authorization: `Bearer ${KEY}`, body: { model: 'founder-model' } });

    // Clear the key and the rest: the card says so, and Ask goes back to explaining where to set it up
    await go(page, 'settings');
    await page.getByTestId('ai-clear-key').click();
    await expect(page.getByTestId('ai-key-state')).toHaveText('none');
    await page.getByTestId('ai-clear-baseUrl').click();
    await page.getByTestId('ai-clear-model').click();
    await expect(page.getByTestId('ai-status')).toHaveText('not set up');
    await go(page, 'intelligence');
    await expect(page.getByTestId('ask-not-configured')).toContainText('Settings → AI', { timeout: 60_000 });
  } finally {
    // The workbench is shared by the worker's other tests: leave it without an LLM whatever happened
    await rpc(workbench, 'workspace.setLlm', { baseUrl: null, model: null, apiKey: null });
    if (saved.base !== undefined) process.env.OPENAI_BASE_URL = saved.base;
    if (saved.key !== undefined) process.env.OPENAI_API_KEY = saved.key;
    if (saved.model !== undefined) process.env.UIS_MODEL = saved.model;
    await fake.close();
  }
});
