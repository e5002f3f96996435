import { dashboardReady, expect, go, openWorkbench, test } from './fixtures.js';

test.describe('workbench rough edges', () => {
  test('a filter menu closes on Escape, on a click outside and on a page change', async ({ page, workbench }) => {
    await openWorkbench(page, workbench);
    await dashboardReady(page);
    const tools = page.getByTestId('filter-tools');
    const menu = tools.locator('.multi-menu');
    await tools.locator('summary').click();
    await expect(menu).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(menu).toBeHidden();
    await expect(tools.locator('summary')).toBeFocused();

    await tools.locator('summary').click();
    await expect(menu).toBeVisible();
    await page.locator('main').click({ position: { x: 5, y: 5 } });
    await expect(menu).toBeHidden();

    // Choosing inside the menu keeps it open; a page change closes it.
    await tools.locator('summary').click();
    await menu.locator('input[type=checkbox]').first().check();
    await expect(menu).toBeVisible();
    await go(page, 'usage');
    await expect(menu).toBeHidden();
  });

  test('the live feed has column headers', async ({ page, workbench }) => {
    await openWorkbench(page, workbench, 'live');
    await expect(page.getByTestId('live-head').getByRole('columnheader')).toHaveText(['Time (UTC)', 'User', 'Type / channel', 'Tool', 'Outcome', 'Credits', 'Message']);
  });
});
