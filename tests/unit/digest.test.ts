import { describe, expect, it } from 'vitest';
import { readDigestConfig } from '../../src/main/config.js';
import { lastCompletePeriod, localDate, periodEndingOn } from '../../src/main/digest/periods.js';
import { renderDigest } from '../../src/main/digest/render.js';
import { lastFireAtOrBefore } from '../../src/main/digest/scheduler.js';
import type { Digest } from '../../src/shared/digest.js';

describe('digest periods', () => {
  it('takes "yesterday" from the configured time zone', () => {
    const now = new Date('2026-11-20T23:30:00Z');
    expect(localDate(now, 'UTC')).toBe('2026-11-20');
    expect(localDate(now, 'Europe/Berlin')).toBe('2026-11-21');
    expect(lastCompletePeriod('daily', now, 'UTC').key).toBe('daily:2026-11-19');
    expect(lastCompletePeriod('daily', now, 'Europe/Berlin')).toMatchObject({ key: 'daily:2026-11-20', since: '2026-11-20', until: '2026-11-20', previous: { since: '2026-11-19', until: '2026-11-19' }, baseline: { since: '2026-11-13', until: '2026-11-19' } });
  });
  it('weekly is the last complete Monday–Sunday', () => {
    // Wednesday 2026-11-25 → the week of Monday 2026-11-16.
    expect(lastCompletePeriod('weekly', new Date('2026-11-25T12:00:00Z'), 'UTC')).toMatchObject({ key: 'weekly:2026-11-16', since: '2026-11-16', until: '2026-11-22', previous: { since: '2026-11-09', until: '2026-11-15' } });
    expect(periodEndingOn('weekly', '2026-11-18').key).toBe('weekly:2026-11-16');
  });
  it('finds the last scheduled fire in the time zone (08:00 Berlin = 07:00 UTC in winter)', () => {
    expect(lastFireAtOrBefore('0 8 * * *', 'Europe/Berlin', new Date('2026-11-21T09:00:00Z'))!.toISOString()).toBe('2026-11-21T07:00:00.000Z');
    expect(lastFireAtOrBefore('0 8 * * *', 'Europe/Berlin', new Date('2026-11-21T06:59:00Z'))!.toISOString()).toBe('2026-11-20T07:00:00.000Z');
    expect(lastFireAtOrBefore('0 8 * * 1', 'UTC', new Date('2026-11-25T00:00:00Z'))!.toISOString()).toBe('2026-11-23T08:00:00.000Z');
  });
});

describe('digest configuration', () => {
  it('names the variable that is wrong', () => {
    expect(() => readDigestConfig({ SMTP_URL: 'http://mail' })).toThrow(/SMTP_URL/);
    expect(() => readDigestConfig({ UIS_DIGEST_TO: 'founder@acme.ai, not-an-address' })).toThrow(/UIS_DIGEST_TO/);
    expect(() => readDigestConfig({ UIS_DIGEST_TZ: 'Mars/Olympus' })).toThrow(/UIS_DIGEST_TZ/);
    expect(() => readDigestConfig({ UIS_DIGEST_DAILY_CRON: 'every morning' })).toThrow(/UIS_DIGEST_DAILY_CRON/);
    expect(() => readDigestConfig({ UIS_DIGEST: 'hourly' })).toThrow(/UIS_DIGEST/);
    expect(readDigestConfig({ UIS_DIGEST_TO: 'a@acme.ai, b@acme.ai', UIS_DIGEST: 'daily,weekly' })).toMatchObject({ UIS_DIGEST_TO: ['a@acme.ai', 'b@acme.ai'], UIS_DIGEST: ['daily', 'weekly'], UIS_DIGEST_TZ: 'UTC' });
  });
});

describe('digest rendering', () => {
  const digest: Digest = {
    kind: 'daily',
    periodKey: 'daily:2026-11-20',
    period: { since: '2026-11-20', until: '2026-11-20' },
    previous: { since: '2026-11-19', until: '2026-11-19' },
    baseline: { since: '2026-11-13', until: '2026-11-19' },
    company: 'Acme <AI>',
    workspace: 'acme',
    keyNumbers: [{ key: 'active_users', label: 'Active users', unit: 'count', value: 22, previous: 20 }],
    pmfOverall: { verdict: 'not_enough_data', word: 'Not enough data', summary: '0 strong · 0 weak · 0 pivot signals present, of 11 checks (11 without enough data)' },
    pmfChanges: [{ key: 'day7_retention', label: 'Day-7 retention (> 40%)', kind: 'strong', from: 'not_seen', to: 'strong', value: 0.412, unit: 'percent' }],
    newBlockers: [{ text: 'timeout <b>', count: 4, users: 3 }],
    newFeatureRequests: [],
    newlyExhausted: [{ userId: 'u1', email: 'lead@example.com', creditsUsed: 98, exhaustionCount: 1, lastActiveAt: null }],
    anomalies: [{ kind: 'error_rate_spike', tool: 'video_gen', value: 0.4, baseline: 0.1, message: 'video_gen failed 40% of 25 calls (baseline 10%)' }],
  };
  it('puts the key number, hot leads and anomalies in the subject and both parts', () => {
    const r = renderDigest(digest);
    expect(r.subject).toBe('Acme <AI> daily digest, 20 Nov 2026: 22 active users (+10%), 1 hot lead, 1 anomaly');
    expect(r.text).toContain('- Active users: 22 (previous 20, +10%)');
    expect(r.text).toContain('- lead@example.com: 98 credits used');
    expect(r.text).toContain('- Day-7 retention (> 40%): Not seen → Strong signal (now 41.2%)');
    expect(r.text).toContain('PMF verdict (last 30 days): Not enough data (0 strong · 0 weak · 0 pivot signals present, of 11 checks (11 without enough data))');
    expect(r.text).toContain('- video_gen failed 40% of 25 calls (baseline 10%)');
    expect(r.text).toContain('No new requests in the top 5.');
    expect(r.html).toContain('Acme &lt;AI&gt;');
    expect(r.html).toContain('timeout &lt;b&gt;');
    expect(r.html).not.toMatch(/<script|<svg|src="http/);
  });
});
