import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { addDays } from '../../src/shared/metrics.js';
import { formatChange } from '../../src/shared/report.js';
import { int, NONE } from '../../src/shared/format.js';
import { expect, openWorkbench, screenshot, test } from './fixtures.js';

test.describe('Reports page', () => {
  test('exports Markdown for a chosen period with the engine numbers, and downloads it', async ({ page, workbench }) => {
    const until = workbench.engine.snapshot.info().latestDay!;
    const since = addDays(until, -13);
    await openWorkbench(page, workbench, 'reports');
    await page.getByTestId('report-since').fill(since);
    await page.getByTestId('report-until').fill(until);
    await page.getByTestId('format-md').click();
    const download = page.waitForEvent('download');
    await page.getByTestId('report-export').click();
    await expect(page.getByTestId('report-job')).toHaveAttribute('data-state', 'succeeded', { timeout: 60_000 });
    await expect(page.getByTestId('report-result')).toContainText(`${since} – ${until}`);
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^demo-report-\d{8}T\d{6}\.md$/);
    const md = fs.readFileSync(await file.path(), 'utf8');
    const cur = workbench.engine.dashboard({ since, until }).summary.totals;
    const prev = workbench.engine.dashboard({ since: addDays(since, -14), until: addDays(since, -1) }).summary.totals;
    expect(md).toContain(`| Active users | ${int(cur.activeUsers)} | ${int(prev.activeUsers)} | ${formatChange(cur.activeUsers, prev.activeUsers, 'count') ?? NONE} |`);
    expect(md).toContain(`| Conversations | ${int(cur.conversations)} |`);
  });

  test('exports a PDF whose text carries the engine numbers', async ({ page, workbench }) => {
    const until = workbench.engine.snapshot.info().latestDay!;
    const since = addDays(until, -29);
    await openWorkbench(page, workbench, 'reports');
    await page.getByTestId('format-pdf').click();
    const download = page.waitForEvent('download', { timeout: 90_000 });
    await page.getByTestId('report-export').click();
    await expect(page.getByTestId('report-job')).toHaveAttribute('data-state', 'succeeded', { timeout: 90_000 });
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/\.pdf$/);
    const text = execFileSync('pdftotext', ['-layout', await file.path(), '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    const s = workbench.engine.dashboard({ since, until }).summary;
    expect(text).toContain('Investor update');
    expect(text).toContain(`${int(s.ranOut.count)} of ${int(s.ranOut.total)} users`);
    expect(text).toContain(int(s.totals.conversations));
  });

  test('a PDF export can be cancelled and leaves no file', async ({ page, workbench }) => {
    await openWorkbench(page, workbench, 'reports');
    const dir = path.join(workbench.dataDir, 'reports');
    const before = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.pdf')) : [];
    await page.getByTestId('format-pdf').click();
    await page.getByTestId('report-export').click();
    await page.getByTestId('report-cancel').click();
    await expect(page.getByTestId('report-job')).toHaveAttribute('data-state', 'cancelled', { timeout: 30_000 });
    await expect(page.getByTestId('report-job-message')).toHaveText('Cancelled: no file was written.');
    // A job reads 'cancelled' only once its export function has returned (src/main/core/jobs.ts sets the final state
    // after run() settles; the atomic write removes its .part on the way out): nothing can write after this point.
    const after = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    expect(after.filter((f) => f.endsWith('.pdf'))).toEqual(before);
    expect(after.filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  test('company name is saved and used by the digest preview; screenshot', async ({ page, workbench }) => {
    await openWorkbench(page, workbench, 'reports');
    await page.getByTestId('company-name').fill('Acme AI');
    await page.getByTestId('save-settings').click();
    await expect(page.getByTestId('settings-message')).toHaveText('Saved.');
    // A 1×1 PNG as the logo: stored as a data URL and shown back.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    await page.getByTestId('company-logo').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png });
    await expect(page.getByAltText('Company logo')).toBeVisible();
    await page.reload();
    await expect(page.getByTestId('company-name')).toHaveValue('Acme AI');
    await expect(page.getByAltText('Company logo')).toBeVisible();
    await expect(page.getByTestId('digest-subject')).toContainText('Acme AI daily digest', { timeout: 30_000 });
    const frame = page.frameLocator('[data-testid="digest-frame"]');
    await expect(frame.getByText('Key numbers')).toBeVisible();
    await expect(frame.getByText('Users who just ran out of credits (hot leads)')).toBeVisible();
    await page.getByTestId('digest-weekly').click();
    await expect(page.getByTestId('digest-subject')).toContainText('Acme AI weekly digest', { timeout: 30_000 });
    await page.getByTestId('report-preview-open').click();
    await expect(page.frameLocator('[data-testid="report-preview-frame"]').getByText('PMF scorecard').first()).toBeVisible({ timeout: 30_000 });
    await screenshot(page, 'reports');
    await page.getByTestId('digest-preview').screenshot({ path: 'test-results/screenshots/reports-digest.png' });
  });

  test('invalid period is refused with a message naming the field', async ({ page, workbench }) => {
    await openWorkbench(page, workbench, 'reports');
    const res = await page.request.post(`${workbench.origin}/rpc/reports.export`, {
      headers: { authorization: `Bearer ${workbench.token}` },
      data: { format: 'pdf', since: '2026-11-20', until: '2026-11-01' },
    });
    expect(res.status()).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('since');
  });
});
