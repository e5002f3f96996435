import { expect, go, int, openWorkbench, test, users } from './fixtures.js';

test.describe('users', () => {
  test('the table lists every user, sorts, searches, and a row opens the right drill-down', async ({ page, workbench }) => {
    const all = workbench.engine.listUsers({ sort: { field: 'lastActiveAt', dir: 'desc' }, limit: 5 });
    await openWorkbench(page, workbench, 'users');
    await expect(page.getByText(`${users(all.total)} match`)).toBeVisible();
    const rows = page.getByTestId('users-row');
    await expect(rows.first()).toHaveAttribute('data-user-id', all.rows[0].userId);

    // Sort by credits, highest first (click twice: ascending then descending).
    const byCredits = workbench.engine.listUsers({ sort: { field: 'creditsUsed', dir: 'desc' }, limit: 1 });
    const creditsHeader = page.getByRole('columnheader', { name: 'Credits' });
    await creditsHeader.click();
    await expect(creditsHeader).toHaveAttribute('aria-sort', /ascending|descending/);
    if ((await creditsHeader.getAttribute('aria-sort')) === 'ascending') await creditsHeader.click();
    await expect(creditsHeader).toHaveAttribute('aria-sort', 'descending');
    await expect(rows.first().locator('[data-col="creditsUsed"]')).toHaveText(int(byCredits.rows[0].creditsUsed));

    // Search narrows to the engine's matches.
    const target = all.rows[2];
    const found = workbench.engine.listUsers({ search: target.userId });
    await page.getByTestId('users-search').fill(target.userId);
    // One match reads "1 user matches" (it said "1 users match").
    await expect(page.getByText(`${users(found.total)} ${found.total === 1 ? 'matches' : 'match'}`)).toBeVisible();
    await expect(rows.first()).toHaveAttribute('data-user-id', found.rows[0].userId);

    // Column choice: hide Email.
    await page.getByText('Columns').click();
    await page.getByRole('group', { name: 'Columns' }).getByLabel('Email').uncheck();
    await expect(page.getByRole('columnheader', { name: 'Email' })).toHaveCount(0);

    // Drill-down.
    await rows.first().click();
    const detail = workbench.engine.userDetail(found.rows[0].userId)!;
    await expect(page.getByRole('heading', { name: detail.profile.userId, level: 1 })).toBeVisible();
    await expect(page.getByTestId('user-conversations-value')).toHaveText(int(detail.profile.conversations));
    await expect(page.getByTestId('user-creations-value')).toHaveText(int(detail.pmf.creations));
    await expect(page.getByTestId('conversation')).toHaveCount(detail.conversations.length);
    const firstConversation = detail.conversations[0];
    if (firstConversation.firstIntent) await expect(page.getByTestId('conversation').first()).toContainText(firstConversation.firstIntent.slice(0, 30));
  });

  test('after scrolling, every rendered row shows the user the engine lists at its position (rows are recycled)', async ({ page, workbench }) => {
    const all = workbench.engine.listUsers({ sort: { field: 'lastActiveAt', dir: 'desc' }, limit: 10_000 });
    await openWorkbench(page, workbench, 'users');
    const table = page.getByTestId('users-table');
    await expect(page.getByTestId('users-row').first()).toHaveAttribute('data-user-id', all.rows[0].userId);
    for (const fraction of [0.5, 1, 0.2]) {
      await table.evaluate((el, f) => (el.scrollTop = (el.scrollHeight - el.clientHeight) * f), fraction);
      await page.waitForTimeout(150);
      const rendered = await page.getByTestId('users-row').evaluateAll((rows) =>
        rows.map((r) => ({ index: Number(r.getAttribute('aria-rowindex')) - 2, id: r.getAttribute('data-user-id'), cell: r.querySelector('[data-col="userId"]')?.textContent })),
      );
      expect(rendered.length).toBeGreaterThan(5);
      for (const r of rendered) {
        expect(r.id, `row ${r.index}`).toBe(all.rows[r.index].userId);
        expect(r.cell).toContain(r.id);
      }
    }
  });

  test('a user who ran out: Blockers agree with the timeline, each praise quote is listed once', async ({ page, workbench }) => {
    const d = workbench.engine.dashboard({});
    const ran = d.ranOutUsers.rows[0];
    test.skip(!ran, 'nobody ran out in this demo');
    const detail = workbench.engine.userDetail(ran.userId)!;
    await openWorkbench(page, workbench);
    await go(page, `users/${ran.userId}`);
    await expect(page.getByTestId('timeline')).toBeVisible();
    // One row per event-derived blocker, the same list the engine (and every report) counts.
    await expect(page.getByTestId('user-blocker')).toHaveCount(detail.pmf.blockers.length);
    expect(detail.pmf.blockers.some((b) => b.blocker === 'insufficient_credits')).toBe(true);
    await expect(page.getByTestId('user-blockers')).toContainText('Insufficient credits');
    await expect(page.getByTestId('user-praise')).toHaveCount(new Set(detail.pmf.praise).size);

    // A user who said the same praise twice: it is listed once, with how many times.
    const repeated = workbench.engine
      .listUsers({ sort: { field: 'messages', dir: 'desc' }, limit: 200 })
      .rows.map((u) => workbench.engine.userDetail(u.userId)!)
      .find((u) => new Set(u.pmf.praise).size < u.pmf.praise.length);
    test.skip(!repeated, 'nobody repeated a praise');
    await go(page, `users/${repeated!.profile.userId}`);
    await expect(page.getByTestId('timeline')).toBeVisible();
    await expect(page.getByTestId('user-praise')).toHaveCount(new Set(repeated!.pmf.praise).size);
    await expect(page.getByTestId('user-praise').filter({ hasText: '×' }).first()).toBeVisible();
  });

  test('an unknown user shows a designed not-found state', async ({ page, workbench }) => {
    await openWorkbench(page, workbench);
    await go(page, 'users/nobody_here');
    await expect(page.getByText('User not found')).toBeVisible();
    await page.getByRole('link', { name: '← All users' }).click();
    await expect(page.getByTestId('users-row').first()).toBeVisible();
  });
});
