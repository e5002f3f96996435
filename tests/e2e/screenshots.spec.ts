import { dashboardReady, expect, go, openWorkbench, screenshot, test } from './fixtures.js';

const PAGES = ['overview', 'journey', 'retention', 'usage', 'credits', 'users', 'live', 'intelligence', 'reports', 'settings'];

for (const scheme of ['light', 'dark'] as const) {
  test(`screenshots of every page (${scheme})`, async ({ page, workbench }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await openWorkbench(page, workbench);
    for (const id of PAGES) {
      await go(page, id);
      await expect(page.locator(`.nav-item.active[href="#/${id}"]`)).toBeVisible();
      if (['overview', 'journey', 'retention', 'usage', 'credits'].includes(id)) await dashboardReady(page);
      if (id === 'users') await expect(page.getByTestId('users-row').first()).toBeVisible();
      await page.waitForTimeout(300); // charts finish their first layout
      await screenshot(page, `${id}-${scheme}`);
    }
    // A user with a credit-exhaustion episode: its Blockers must agree with the blocked conversation on its timeline.
    const d = workbench.engine.dashboard({});
    const user = d.ranOutUsers[0] ?? workbench.engine.listUsers({ sort: { field: 'creditsUsed', dir: 'desc' }, limit: 1 }).rows[0];
    await go(page, `users/${user.userId}`);
    await expect(page.getByTestId('timeline')).toBeVisible();
    if (d.ranOutUsers[0]) await expect(page.getByTestId('user-blocker').first()).toBeVisible();
    await screenshot(page, `user-detail-${scheme}`);
  });
}

test('a link with a route and the token opens that page, and the token leaves the address bar', async ({ page, workbench }) => {
  await page.goto(`${workbench.origin}/#/retention&token=${encodeURIComponent(workbench.token)}`);
  await expect(page.locator('.nav-item.active[href="#/retention"]')).toBeVisible();
  await expect(page).toHaveURL(/#\/retention$/);
  await expect(page.getByTestId('tile-day1-value')).toBeVisible();
});

test('keyboard: number keys and [ ] move between pages', async ({ page, workbench }) => {
  await openWorkbench(page, workbench);
  await page.keyboard.press('2');
  await expect(page).toHaveURL(/#\/journey$/);
  await page.keyboard.press(']');
  await expect(page).toHaveURL(/#\/retention$/);
  await page.keyboard.press('[');
  await page.keyboard.press('[');
  await expect(page).toHaveURL(/#\/overview$/);
  await page.keyboard.press('0');
  await expect(page).toHaveURL(/#\/settings$/);
});
