import type { reportChannels } from '../../shared/api/reports.js';
import { readDigestConfig } from '../config.js';
import type { HandlersFor } from '../core/types.js';
import { activeReportSource } from '../reports/active.js';
import { ReportSettingsStore } from '../reports/settings.js';
import { buildDigest } from './build.js';
import { lastCompletePeriod, periodEndingOn } from './periods.js';
import { renderDigest } from './render.js';

/** The digest's channel (in the reports contract, as Reports → Digest shows it). */
export const digestHandlers: Pick<HandlersFor<typeof reportChannels>, 'reports.digestPreview'> = {
  'reports.digestPreview': async ({ kind, until }, ctx) => {
    const config = readDigestConfig();
    const period = until ? periodEndingOn(kind, until) : lastCompletePeriod(kind, new Date(), config.UIS_DIGEST_TZ);
    const digest = buildDigest(await activeReportSource(ctx), period, new ReportSettingsStore(ctx.dataDir).get().companyName);
    const r = renderDigest(digest);
    return { ...r, periodKey: digest.periodKey, smtpConfigured: !!config.SMTP_URL && !!config.UIS_DIGEST_TO?.length };
  },
};
