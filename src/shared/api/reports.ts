import { z } from 'zod';
import { defineChannels } from '../contract.js';
import { DigestPreviewRequest } from '../digest.js';
import { IsoDate, ReportFormat, ReportSettingsInput } from '../report.js';

const Period = z.object({ since: z.string(), until: z.string() });
const ReportSettingsOut = z.object({ companyName: z.string(), logoDataUrl: z.string().nullable() });
const ExportFileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$/, 'must be a file name from reports.export');

const ReportRange = z
  .object({ since: IsoDate.optional(), until: IsoDate.optional() })
  .strict()
  .refine((p) => !p.since || !p.until || p.since <= p.until, { message: 'must be on or before until', path: ['since'] });

/** Reports and the insights e-mail (docs/reports.md). Files are written to the data folder, then downloaded. */
export const reportChannels = defineChannels({
  'reports.settings': {
    description: 'Company name and logo on report title pages.',
    input: z.object({}),
    output: ReportSettingsOut,
  },
  'reports.saveSettings': {
    description: 'Change the company name and/or logo (an image data URL, max 512 KB).',
    input: ReportSettingsInput,
    output: ReportSettingsOut,
  },
  'reports.preview': {
    description: 'The report of the active workspace for a period, as HTML without scripts (tables; charts appear in the exports).',
    input: ReportRange,
    output: z.object({ html: z.string(), period: Period, previousPeriod: Period }),
  },
  'reports.export': {
    description: 'Start exporting the report (pdf, md, csv zip, html): returns a job id; the result names the file for reports.download.',
    input: z
      .object({ format: ReportFormat, since: IsoDate.optional(), until: IsoDate.optional(), narrative: z.boolean().default(false) })
      .strict()
      .refine((p) => !p.since || !p.until || p.since <= p.until, { message: 'must be on or before until', path: ['since'] }),
    output: z.object({ jobId: z.string() }),
  },
  'reports.download': {
    description: 'The bytes of an exported report (base64), by the file name the export job returned.',
    input: z.object({ fileName: ExportFileName }).strict(),
    output: z.object({ fileName: z.string(), mimeType: z.string(), base64: z.string(), bytes: z.number() }),
  },
  'reports.digestPreview': {
    description: 'The insights e-mail for the last complete day or week (or the period ending on `until`): subject, HTML and text.',
    input: DigestPreviewRequest,
    output: z.object({ subject: z.string(), html: z.string(), text: z.string(), periodKey: z.string(), smtpConfigured: z.boolean() }),
  },
});

/** What an export job returns (jobs.update result). */
export const ReportExportResult = z.object({
  fileName: z.string(),
  bytes: z.number(),
  format: ReportFormat,
  period: Period,
  warnings: z.array(z.string()),
});
export type ReportExportResult = z.infer<typeof ReportExportResult>;
