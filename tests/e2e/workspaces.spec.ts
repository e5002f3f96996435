import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AnalyticsEngine } from '../../src/main/analytics/engine.js';
import { startWebWorkbench, type WebWorkbench } from '../../src/main/cli/web.js';
import { generateDemo } from '../../src/main/demo/generate.js';
import { writeDemoToPostgres } from '../../src/main/demo/sinks.js';
import { openSnapshot } from '../../src/main/snapshot/snapshot.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { dashboardReady, expect, go, int, test } from './fixtures.js';

// Its own workbench and data folder: this test adds and switches workspaces, which the shared one must not see.
let db: TestDatabase;
let wb: WebWorkbench;
let dataDir: string;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  db = await createTestDatabase();
  // A fixed last day: data ending now would, early in the UTC day, hold a user who signed up after the last event so
  // far, outside the default range (it ends on the last day with activity), and the overview would count 39.
  await writeDemoToPostgres(db.pool, generateDemo({ users: 40, days: 21, seed: 7, endDay: '2026-03-31' }));
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-e2e-ws-'));
  wb = await startWebWorkbench({ dataDir, port: 0, log: () => {} });
});

test.afterAll(async () => {
  await wb?.close();
  await db?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('add a PostgreSQL workspace, sync it, see its numbers, switch back to the demo', async ({ page }) => {
  await page.goto(wb.server.url);
  await go(page, 'settings');
  await page.getByTestId('ws-name').fill('production');
  await page.getByTestId('ws-pg').fill(db.url);
  await page.getByTestId('ws-test').click();
  await expect(page.getByTestId('test-result')).toContainText('connected, schema found');
  await page.getByTestId('ws-save').click();
  await expect(page.getByTestId('workspace-chip')).toContainText('production');
  await expect(page.getByTestId('workspace-production')).toContainText('active');

  // The add starts a sync; wait for the snapshot to hold PostgreSQL's 40 users.
  await expect(page.getByTestId('sync-panel')).toContainText('40 users', { timeout: 60_000 });
  const snapshotPath = path.join(dataDir, 'workspaces', 'production', 'snapshot.sqlite');
  const snapshot = openSnapshot(snapshotPath, { readonly: true });
  try {
    const d = new AnalyticsEngine(snapshot).dashboard({});
    expect(d.summary.totals.users).toBe(40);
    await go(page, 'overview');
    await dashboardReady(page);
    await expect(page.getByTestId('tile-users-value')).toHaveText(int(d.summary.totals.users));
    await expect(page.getByTestId('tile-dau-value')).toHaveText(`${int(d.summary.dailyActiveUsers.count)}/${int(d.summary.dailyActiveUsers.total)}`);
  } finally {
    snapshot.close();
  }

  // Sync again from the page: a job with progress that completes.
  await go(page, 'settings');
  await page.getByTestId('sync-now').click();
  await expect(page.getByTestId('sync-job')).toHaveAttribute('data-state', 'succeeded', { timeout: 60_000 });

  // Switch back.
  await page.getByTestId('workspace-demo').getByRole('button', { name: 'Switch' }).click();
  await expect(page.getByTestId('workspace-chip')).toContainText('demo');
  await expect(page.getByTestId('workspace-demo')).toContainText('active');
});

test('with two workspaces the buttons stay inside the card; a removed demo workspace can be restored', async ({ page }) => {
  await wb.core.invoke('workspace.add', { workspace: { name: 'staging-eu-west-analytics', kind: 'postgres', pgUrl: db.url }, activate: false });
  await page.goto(wb.server.url);
  await go(page, 'settings');
  const card = page.locator('.card', { has: page.getByTestId('workspaces') });
  const cardBox = (await card.boundingBox())!;
  for (const button of await page.getByTestId('workspaces').getByRole('button').all()) {
    const b = (await button.boundingBox())!;
    expect(b.x + b.width).toBeLessThanOrEqual(cardBox.x + cardBox.width);
  }
  await page.screenshot({ path: 'test-results/screenshots/settings-workspaces.png' });

  // Remove the demo workspace (another one is active), then bring it back from the page.
  await page.getByTestId('workspace-staging-eu-west-analytics').getByRole('button', { name: 'Switch' }).click();
  await expect(page.getByTestId('workspace-chip')).toContainText('staging-eu-west-analytics');
  page.once('dialog', (d) => void d.accept());
  await page.getByTestId('workspace-demo').getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByTestId('workspace-demo')).toHaveCount(0);
  await page.getByRole('button', { name: 'Restore demo' }).click();
  await expect(page.getByTestId('workspace-demo')).toContainText('demo data');
  await expect(page.getByRole('button', { name: 'Restore demo' })).toHaveCount(0);
  await expect(page.getByTestId('workspace-chip')).toContainText('staging-eu-west-analytics'); // restoring does not switch
});
