import { expect, go, openWorkbench, screenshot, test, type Workbench } from './fixtures.js';

/** Power users of the demo workspace, and one whose memory holds a preference they later changed. */
function powerUsers(wb: Workbench) {
  const rows = wb.engine.listUsers({ filters: { activation: ['power_user'] }, sort: { field: 'creditsUsed', dir: 'desc' }, limit: 200 }).rows;
  const details = rows.map((r) => wb.engine.userDetail(r.userId)!);
  const changedMind = details.find((d) => d.memory.preferenceDetails.some((p) => p.history.some((h) => h.superseded_at)));
  return { details, changedMind };
}

test('the Memory card shows what the profile builder knows: summary, preferences with evidence, a change of mind struck through, frequent prompts, favourite tools', async ({ page, workbench }) => {
  const { details, changedMind } = powerUsers(workbench);
  expect(details.length).toBeGreaterThan(3);
  expect(changedMind, 'a demo power user who changed a stated preference').toBeTruthy();
  const d = changedMind!;
  await openWorkbench(page, workbench);
  await go(page, `users/${d.profile.userId}`);
  const memory = page.getByTestId('memory');
  await expect(memory).toBeVisible();
  await expect(page.getByTestId('memory-summary')).toHaveText(d.memory.contextSummary!);
  await expect(page.getByTestId('memory-prompts').locator('li')).toHaveText(d.memory.frequentlyUsedPrompts);
  // Every current preference, with its value and where it comes from.
  const prefs = page.getByTestId('memory-preference');
  await expect(prefs).toHaveCount(d.memory.preferenceDetails.length);
  for (const p of d.memory.preferenceDetails) {
    const item = page.locator(`[data-testid="memory-preference"][data-key="${p.key}"]`);
    await expect(item.locator('.chip')).toContainText(p.value);
    await expect(item.locator('.badge').first()).toHaveText(p.source);
  }
  // The superseded statement is marked: struck through, with a "superseded" badge; the current one is not.
  const changed = d.memory.preferenceDetails.find((p) => p.history.some((h) => h.superseded_at))!;
  const item = page.locator(`[data-testid="memory-preference"][data-key="${changed.key}"]`);
  // Statements are listed newest first: the first struck-through one is the latest superseded (a user may change
  // their mind more than once; the demo's data moves with today's date).
  const old = item.locator('[data-testid="memory-statement"][data-superseded="true"]').first();
  await expect(old).toContainText(changed.history.filter((h) => h.superseded_at).at(-1)!.excerpt);
  await expect(old.locator('.badge')).toContainText('superseded');
  expect(await old.locator('.memory-excerpt').evaluate((el) => getComputedStyle(el).textDecorationLine)).toBe('line-through');
  const current = item.locator('[data-testid="memory-statement"][data-superseded="false"]').first();
  await expect(current).toContainText(changed.history.at(-1)!.excerpt);
  expect(await current.locator('.memory-excerpt').evaluate((el) => getComputedStyle(el).textDecorationLine)).toBe('none');
  // Favourite tools, most used first.
  const topTool = Object.entries(d.memory.preferredTools as Record<string, number>).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0];
  await expect(page.getByTestId('memory-tools').locator('.chip').first()).toContainText(topTool);

  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(200);
    await screenshot(page, `user-memory-${scheme}`);
  }
});

test('every demo power user has a memory: summary, preferences and frequent prompts, never "No summary yet"', async ({ page, workbench }) => {
  const { details } = powerUsers(workbench);
  await openWorkbench(page, workbench);
  for (const d of details.slice(0, 4)) {
    await go(page, `users/${d.profile.userId}`);
    await expect(page.getByTestId('memory-summary')).toHaveText(d.memory.contextSummary!);
    await expect(page.getByTestId('memory-summary')).not.toContainText('No summary yet');
    await expect(page.getByTestId('memory-preference').first()).toBeVisible();
    await expect(page.getByTestId('memory-prompts').locator('li').first()).toBeVisible();
  }
});
