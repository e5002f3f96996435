import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWebWorkbench, type WebWorkbench } from '../../src/main/cli/web.js';
import { expect, go, test } from './fixtures.js';

test('when the workbench server goes away the page says so, and recovers when it is back', async ({ page }) => {
  test.setTimeout(120_000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-e2e-offline-'));
  const token = 'offline-test-token-123456';
  let wb: WebWorkbench | null = await startWebWorkbench({ dataDir, port: 0, token, log: () => {} });
  const port = Number(new URL(wb.server.origin).port);
  try {
    await page.goto(wb.server.url);
    await expect(page.getByTestId('tile-users-value')).toBeVisible({ timeout: 30_000 });
    await wb.close();
    wb = null;
    await page.getByRole('button', { name: '7D' }).click(); // the dashboard call fails: the banner appears at once
    await expect(page.getByTestId('offline-banner')).toContainText('Workbench server not reachable');
    await go(page, 'settings'); // its code cannot load either: a clear message, not a blank page
    await expect(page.getByText('the workbench server is not reachable')).toBeVisible();
    wb = await startWebWorkbench({ dataDir, port, token, log: () => {} });
    await expect(page.getByTestId('offline-banner')).toHaveCount(0, { timeout: 20_000 });
    await page.getByRole('button', { name: 'Try again' }).click();
    await expect(page.getByTestId('workspace-demo')).toContainText('active', { timeout: 20_000 });
  } finally {
    await wb?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
