import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { AnalyticsEngine } from '../../src/main/analytics/engine.js';
import { startWebWorkbench, type WebWorkbench } from '../../src/main/cli/web.js';
import { openSnapshot, type Snapshot } from '../../src/main/snapshot/snapshot.js';
import { WorkspaceStore } from '../../src/main/workspace/store.js';
import { FileKeySecretStore } from '../../src/main/workspace/secrets.js';
import { int } from '../../src/shared/format.js';

export interface Workbench {
  origin: string;
  token: string;
  dataDir: string;
  /** An engine opened independently on the demo workspace's snapshot: the numbers the UI must show. */
  engine: AnalyticsEngine;
}

/**
 * One web-mode workbench per worker, on its own data folder under the OS temp dir, with the demo workspace.
 * Tests compute the expected numbers with their own AnalyticsEngine on the same snapshot file.
 */
export const test = base.extend<object, { workbench: Workbench }>({
  workbench: [
    // Playwright reads the fixtures a function needs from its destructured first argument: none here.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-e2e-'));
      let running: WebWorkbench | null = null;
      let snapshot: Snapshot | null = null;
      try {
        running = await startWebWorkbench({ dataDir, port: 0, build: 'auto', log: () => {} });
        // First call generates the demo snapshot; then the test opens the same file read-only.
        await running.core.invoke('workspace.active', {});
        const store = new WorkspaceStore(dataDir, new FileKeySecretStore(path.join(dataDir, 'secret.key'), () => {}));
        snapshot = openSnapshot(store.getActive().snapshotPath, { readonly: true });
        await use({ origin: running.server.origin, token: new URL(running.server.url).hash.replace('#token=', ''), dataDir, engine: new AnalyticsEngine(snapshot) });
      } finally {
        snapshot?.close();
        await running?.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
    { scope: 'worker', timeout: 180_000 },
  ],
});

export { expect };

/** Opens the workbench (token in the fragment, as `uis web` prints it) on a page, and waits for it to render. */
export async function openWorkbench(page: Page, wb: Workbench, route = 'overview'): Promise<void> {
  await page.goto(`${wb.origin}/#token=${encodeURIComponent(wb.token)}`);
  await expect(page.locator('.sidebar')).toBeVisible();
  if (route !== 'overview') await go(page, route);
}

export async function go(page: Page, route: string): Promise<void> {
  await page.evaluate((r) => (window.location.hash = '#/' + r), route);
}

/** The dashboard finished (re)computing: content present and no refresh in progress. */
export async function dashboardReady(page: Page): Promise<void> {
  await expect(page.locator('.dash')).toBeVisible({ timeout: 30_000 });
  await expect(page.locator('.dash.refreshing')).toHaveCount(0, { timeout: 30_000 });
}

/** The pages' own formats (src/shared/format.ts; tests/unit/format.test.ts checks them against Intl en-US). */
export { int, pct } from '../../src/shared/format.js';
/** "1 user", "12 users": what a count with its noun reads on the pages. */
export const users = (n: number) => `${int(n)} ${n === 1 ? 'user' : 'users'}`;

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync('test-results/screenshots', { recursive: true });
  // The page scrolls inside .content, so grow the viewport to the content's height for a whole-page picture.
  const size = page.viewportSize() ?? { width: 1440, height: 900 };
  const height = await page.evaluate(() => Math.max(document.querySelector('.content')?.scrollHeight ?? 0, window.innerHeight));
  await page.setViewportSize({ width: size.width, height: Math.min(height, 6000) });
  await page.waitForTimeout(200); // charts resize
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
  await page.setViewportSize(size);
}
