import { addDays, weekStart } from '../../src/shared/metrics.js';
import { pmfOverall, pmfVerdictWord } from '../../src/shared/pmf.js';
import { dashboardReady, expect, go, int, openWorkbench, pct, test, users } from './fixtures.js';

test.describe('dashboard pages show the engine\'s numbers', () => {
  test('Overview: summary tiles and PMF verdicts', async ({ page, workbench }) => {
    const d = workbench.engine.dashboard({});
    await openWorkbench(page, workbench);
    await dashboardReady(page);
    const s = d.summary;
    await expect(page.getByTestId('tile-dau-value')).toHaveText(`${int(s.dailyActiveUsers.count)}/${int(s.dailyActiveUsers.total)}`);
    await expect(page.getByTestId('tile-week1-value')).toHaveText(pct(s.week1Retention.rate));
    await expect(page.getByTestId('tile-exhausted-value')).toHaveText(users(s.ranOut.count));
    await expect(page.getByTestId('tile-users-value')).toHaveText(int(s.totals.users));
    // One vocabulary: the scorecard, the overall verdict and the tile's badge all come from src/shared/pmf.ts.
    await expect(page.getByTestId('pmf-verdict').locator('.verdict-title')).toHaveText(pmfOverall(d.pmfSignals).word);
    await expect(page.getByTestId('tile-exhausted-badge')).toHaveText(pmfVerdictWord(d.pmfSignals.find((x) => x.id === 'credit_exhaustion')!.verdict));
    for (const signal of d.pmfSignals) {
      await expect(page.getByTestId(`signal-${signal.id}-verdict`)).toHaveText(pmfVerdictWord(signal.verdict));
      if (signal.value !== null && signal.unit === 'rate') await expect(page.getByTestId(`signal-${signal.id}-value`)).toHaveText(pct(signal.value));
    }
    const top = s.topUseCases[0];
    await expect(page.getByTestId('top-use-cases').locator('li').first()).toContainText(pct(top.share));
  });

  test('Journey, Retention, Usage and Credits', async ({ page, workbench }) => {
    const d = workbench.engine.dashboard({});
    await openWorkbench(page, workbench, 'journey');
    await dashboardReady(page);
    for (const step of d.journey.steps) {
      await expect(page.getByTestId(`funnel-${step.id}-count`)).toHaveText(int(step.count));
      if (step.id !== 'signed_up') await expect(page.getByTestId(`funnel-${step.id}-step`)).toHaveText(pct(step.stepConversion));
    }
    await expect(page.getByTestId('seed-funnel').locator('td').first()).toHaveText(int(d.seedFunnel.total_users));

    await go(page, 'retention');
    await expect(page.getByTestId('tile-day1-value')).toHaveText(pct(d.retention.day1.rate));
    await expect(page.getByTestId('tile-day7-value')).toHaveText(pct(d.retention.day7.rate));
    await expect(page.getByTestId('tile-week1-value')).toHaveText(pct(d.summary.week1Retention.rate));
    await expect(page.locator('table.heatmap tbody tr')).toHaveCount(d.retention.cohorts.length);

    await go(page, 'usage');
    await expect(page.getByTestId('tile-error-rate-value')).toHaveText(pct(d.usageHealth.overallErrorRate.rate));
    await expect(page.getByTestId('tile-completion-value')).toHaveText(pct(d.usageHealth.completionRate.rate));
    const firstFailure = d.failurePoints[0];
    const row = page.getByTestId('failure-points').locator('tbody tr').first();
    await expect(row).toContainText(firstFailure.errorType ?? 'unknown');
    await expect(row.locator('td').nth(2)).toHaveText(int(firstFailure.failures));
    await expect(row.locator('td').nth(3)).toHaveText(int(firstFailure.affectedUsers));
    // Most frequent messages: the users' own by default, the seed's query 2 (replies included) one click away.
    const intentRows = page.getByTestId('intents').locator('tbody tr');
    const messages = (rows: typeof d.intents.rows) => rows.slice(0, 12).map((r) => r.userMessage ?? '—');
    await expect(intentRows.locator('td:nth-child(2)')).toHaveText(messages(d.userIntents.rows));
    await page.getByTestId('intents-seed').click();
    await expect(intentRows.locator('td:nth-child(2)')).toHaveText(messages(d.intents.rows));
    expect(messages(d.intents.rows)).not.toEqual(messages(d.userIntents.rows));

    await go(page, 'credits');
    await expect(page.getByTestId('tile-exhausted-value')).toHaveText(int(d.summary.ranOut.count));
    await expect(page.getByTestId('credit-exhaustion').locator('tbody tr')).toHaveCount(Math.max(1, d.ranOutUsers.rows.length));
    if (d.ranOutUsers.rows.length) {
      const first = d.ranOutUsers.rows[0];
      const r = page.getByTestId('credit-exhaustion').locator('tbody tr').first();
      await expect(r.locator('td').first()).toHaveText(first.userId);
      await expect(r.locator('td').nth(2)).toHaveText(int(first.totalCreditsUsed));
      await r.click();
      await expect(page.locator('.leadup')).toBeVisible();
    }

    // Exhaustion over time: the last week's users who ran out (tests/unit/rollups.test.ts checks them against the
    // events) of its active users (the dashboard narrowed to that week).
    const last = workbench.engine.filterOptions().lastDay!;
    const lastWeek = workbench.engine.dashboard({ since: weekStart(last), until: last });
    const ranOut = workbench.engine.weekTrend({ since: weekStart(last), until: last }).ranOutUsers;
    expect(ranOut).toBeGreaterThan(0);
    await expect(page.getByTestId('exhaustion-trend')).toContainText(`${ranOut}/${lastWeek.summary.totals.activeUsers} (`);
  });

  test('filters change the numbers as the engine says', async ({ page, workbench }) => {
    const opts = workbench.engine.filterOptions();
    const last = opts.lastDay!;
    const week = workbench.engine.dashboard({ since: addDays(last, -6), until: last });
    await openWorkbench(page, workbench);
    await dashboardReady(page);
    await page.getByRole('button', { name: '7D' }).click();
    await dashboardReady(page);
    await expect(page.getByTestId('tile-dau-value')).toHaveText(`${int(week.summary.dailyActiveUsers.count)}/${int(week.summary.dailyActiveUsers.total)}`);
    await expect(page.getByTestId('tile-exhausted-value')).toHaveText(users(week.summary.ranOut.count));
    await expect(page.getByTestId('tile-users-value')).toHaveText(int(week.summary.totals.users));

    // Segment: power users only, all time.
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await page.getByTestId('filter-activation').locator('summary').click();
    await page.getByRole('group', { name: 'Activation' }).getByLabel('Power user').check();
    const power = workbench.engine.dashboard({ activation: ['power_user'] });
    await dashboardReady(page);
    await expect(page.getByTestId('tile-users-value')).toHaveText(int(power.summary.totals.users));
    await go(page, 'journey');
    await expect(page.getByTestId('funnel-signed_up-count')).toHaveText(int(power.journey.steps[0].count));

    // The users table honours the same filters.
    await go(page, 'users');
    const list = workbench.engine.listUsers({ filters: { activation: ['power_user'] }, limit: 1 });
    await expect(page.getByRole('heading', { name: 'Users' }).locator('..')).toContainText(`${users(list.total)} match`);
  });
});
