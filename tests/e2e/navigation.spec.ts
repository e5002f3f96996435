import { expect, openWorkbench, test } from './fixtures.js';

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
