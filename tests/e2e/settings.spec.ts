import { dashboardReady, expect, go, int, openWorkbench, test } from './fixtures.js';

test.describe('settings and connections', () => {
  test('the token survives a route change made before the first call (a quick click after opening the link)', async ({ page, workbench }) => {
    // Runs as soon as the page's scripts have run, before React's first effects make any call.
    await page.addInitScript(() => document.addEventListener('DOMContentLoaded', () => (window.location.hash = '#/settings')));
    await page.goto(`${workbench.origin}/#token=${encodeURIComponent(workbench.token)}`);
    await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
    await expect(page.getByTestId('workspace-demo')).toContainText('active');
    await expect(page.getByTestId('offline-banner')).toHaveCount(0);
  });

  test('a bad connection string gives a clear error and the current workspace keeps working', async ({ page, workbench }) => {
    await openWorkbench(page, workbench, 'settings');
    await expect(page.getByTestId('workspace-demo')).toContainText('active');
    await page.getByTestId('ws-name').fill('production');

    // Not a PostgreSQL URL: refused by the contract's schema, naming the field.
    await page.getByTestId('ws-pg').fill('mysql://root:hunter2@db:3306/app');
    await page.getByTestId('ws-save').click();
    await expect(page.getByTestId('add-error')).toContainText('pgUrl');
    await expect(page.getByTestId('add-error')).toContainText('must start with postgres://');
    await expect(page.getByTestId('add-error')).not.toContainText('hunter2');

    // A PostgreSQL URL nobody answers: the connection test fails, nothing is saved.
    await page.getByTestId('ws-pg').fill('postgres://founder:hunter2@127.0.0.1:1/product');
    await page.getByTestId('ws-test').click();
    await expect(page.getByTestId('test-result')).toContainText('PostgreSQL');
    await page.getByTestId('ws-save').click();
    await expect(page.getByTestId('add-error')).toContainText('Could not connect');
    await expect(page.getByTestId('add-error')).not.toContainText('hunter2');
    await expect(page.getByTestId('workspaces').locator('tbody tr')).toHaveCount(1);
    await expect(page.getByTestId('workspace-chip')).toContainText('demo');

    // The demo workspace still answers.
    const d = workbench.engine.dashboard({});
    await go(page, 'overview');
    await dashboardReady(page);
    await expect(page.getByTestId('tile-users-value')).toHaveText(int(d.summary.totals.users));
  });

  test('sync on the demo workspace runs as a job to completion', async ({ page, workbench }) => {
    await openWorkbench(page, workbench, 'settings');
    await page.getByTestId('sync-now').click();
    await expect(page.getByTestId('sync-job')).toHaveAttribute('data-state', 'succeeded');
    await expect(page.getByTestId('sync-job')).toContainText('nothing to sync');
  });
});
