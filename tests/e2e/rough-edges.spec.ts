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

test('a one-day range still draws its single point', async ({ page, workbench }) => {
  const last = workbench.engine.filterOptions().lastDay!;
  await openWorkbench(page, workbench, 'credits');
  await dashboardReady(page);
  await page.getByRole('textbox', { name: 'From' }).fill(last);
  await page.getByRole('textbox', { name: 'To' }).fill(last);
  await dashboardReady(page);
  const chart = page.getByRole('img', { name: 'Credits used per day' }).locator('canvas');
  await expect(chart).toBeVisible();
  // The series colour (#f59e0b) must appear in the plot (above the legend, whose swatch has it too): a lone value
  // without a point drew nothing there.
  await expect
    .poll(() =>
      chart.evaluate((c: HTMLCanvasElement) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, Math.floor(c.height * 0.7)).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 245) < 12 && Math.abs(d[i + 1] - 158) < 12 && Math.abs(d[i + 2] - 11) < 12 && d[i + 3] > 200) n++;
        return n;
      }),
    )
    .toBeGreaterThan(10);
});

test('the theme switch: system follows the OS, light and dark are kept across a reload', async ({ page, workbench }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await openWorkbench(page, workbench);
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const theme = page.getByRole('radiogroup', { name: 'Theme' });
  await expect(theme.getByRole('radio', { name: 'System' })).toHaveAttribute('aria-checked', 'true');
  const light = await background();

  await theme.getByRole('radio', { name: 'Dark' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  expect(await background()).not.toBe(light);
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.getByRole('radiogroup', { name: 'Theme' }).getByRole('radio', { name: 'Dark' })).toHaveAttribute('aria-checked', 'true');

  // Back to System: the OS decides, and a change of the OS's setting follows live.
  await page.getByRole('radiogroup', { name: 'Theme' }).getByRole('radio', { name: 'System' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.getByRole('radiogroup', { name: 'Theme' }).getByRole('radio', { name: 'Light' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  expect(await background()).toBe(light);
});

test('the bare address reopens the workbench once a link with the token was opened (a bookmark keeps working)', async ({ page, workbench }) => {
  await openWorkbench(page, workbench);
  await dashboardReady(page);
  const again = await page.context().newPage();
  await again.goto(`${workbench.origin}/#/retention`);
  await expect(again.getByTestId('tile-day1-value')).toBeVisible();
  await again.close();
});

test('Intelligence mentions hidden messages only when privacy hides some', async ({ page, workbench }) => {
  await openWorkbench(page, workbench, 'intelligence');
  await expect(page.getByTestId('intent-clusters')).toBeVisible({ timeout: 60_000 });
  const card = page.locator('.card', { hasText: 'What users are trying to do' }).first();
  await expect(card).toContainText('First message of each conversation, clustered');
  await expect(card).not.toContainText(/\b0 messages/);
});
