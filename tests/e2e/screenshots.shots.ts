import { PAGES } from '../../src/shared/pages.js';
import { dashboardReady, expect, go, openWorkbench, screenshot, test } from './fixtures.js';

/**
 * Screenshots of every page, light and dark, and a user's drill-down, into test-results/screenshots/ for a person to
 * look at: `npm run screenshots` (playwright.screenshots.config.ts). Not a test (it compares nothing), so `npm test`
 * does not run it.
 */
for (const scheme of ['light', 'dark'] as const) {
  test(`screenshots of every page (${scheme})`, async ({ page, workbench }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await openWorkbench(page, workbench);
    for (const p of PAGES) {
      await go(page, p.id);
      await expect(page.locator(`.nav-item.active[href="#/${p.id}"]`)).toBeVisible();
      if ('dashboard' in p && p.dashboard) await dashboardReady(page);
      if (p.id === 'users') await expect(page.getByTestId('users-row').first()).toBeVisible();
      await page.waitForTimeout(300); // charts finish their first layout
      await screenshot(page, `${p.id}-${scheme}`);
    }
    const d = workbench.engine.dashboard({});
    const user = d.ranOutUsers.rows[0] ?? workbench.engine.listUsers({ sort: { field: 'creditsUsed', dir: 'desc' }, limit: 1 }).rows[0];
    await go(page, `users/${user.userId}`);
    await expect(page.getByTestId('timeline')).toBeVisible();
    if (d.ranOutUsers.rows[0]) await expect(page.getByTestId('user-blocker').first()).toBeVisible();
    await screenshot(page, `user-detail-${scheme}`);
  });
}
