import fs from 'node:fs/promises';
import path from 'node:path';
import type { reportChannels, ReportExportResult } from '../../shared/api/reports.js';
import type { ReportFormat } from '../../shared/report.js';
import { CoreError } from '../core/errors.js';
import type { HandlersFor } from '../core/types.js';
import { workspaceLlmConfig } from '../workspace/session.js';
import { activeReportSource as sourceFor } from './active.js';
import { computeReport, exportReport } from './export.js';
import { renderReportHtml } from './html.js';
import type { PdfPrinter } from './pdf.js';
import { ReportSettingsStore } from './settings.js';

const EXTENSIONS: Record<ReportFormat, string> = { pdf: 'pdf', md: 'md', csv: 'zip', html: 'html' };
const MIME: Record<string, string> = { pdf: 'application/pdf', md: 'text/markdown; charset=utf-8', zip: 'application/zip', html: 'text/html; charset=utf-8' };
/** The download channel carries base64 through IPC/HTTP: keep it well under the transports' body limits. */
const MAX_DOWNLOAD_BYTES = 25 * 1024 * 1024;

let pdfPrinter: PdfPrinter | undefined;
/** The Electron shell sets its printToPDF printer here (electronPdfPrinter in src/main/electron/pdf.ts); web mode uses headless Chromium. */
export function setReportPdfPrinter(printer: PdfPrinter | undefined): void {
  pdfPrinter = printer;
}

function exportsDir(dataDir: string): string {
  return path.join(dataDir, 'reports');
}

/** Exports are downloaded right away; the folder keeps the most recent ones only. */
const KEEP_EXPORTS = 20;
async function pruneExports(dir: string): Promise<void> {
  const files = await Promise.all(
    (await fs.readdir(dir)).filter((f) => !f.startsWith('.')).map(async (f) => ({ f, t: (await fs.stat(path.join(dir, f))).mtimeMs })),
  );
  files.sort((a, b) => b.t - a.t);
  await Promise.all(files.slice(KEEP_EXPORTS).map(({ f }) => fs.rm(path.join(dir, f), { force: true })));
}

/** reports.*, less reports.digestPreview (src/main/digest/handlers.ts). */
export const reportHandlers: Omit<HandlersFor<typeof reportChannels>, 'reports.digestPreview'> = {
  'reports.settings': async (_input, ctx) => new ReportSettingsStore(ctx.dataDir).get(),
  'reports.saveSettings': async (input, ctx) => new ReportSettingsStore(ctx.dataDir).set(input),

  'reports.preview': async ({ since, until }, ctx) => {
    const { data } = await computeReport(await sourceFor(ctx), { since, until, settings: new ReportSettingsStore(ctx.dataDir).get() });
    return { html: renderReportHtml(data, { charts: false }), period: { since: data.period.since, until: data.period.until }, previousPeriod: data.previousPeriod };
  },

  'reports.export': async ({ format, since, until, narrative }, ctx) => {
    const source = await sourceFor(ctx);
    const settings = new ReportSettingsStore(ctx.dataDir).get();
    // The active workspace's LLM (Settings → AI over the environment defaults), the same one Intelligence uses.
    const llm = narrative ? await workspaceLlmConfig(ctx) : null;
    return {
      jobId: ctx.jobs.start('reports.export', async ({ signal, progress }): Promise<ReportExportResult> => {
        const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
        const fileName = `${source.workspace}-report-${stamp}.${EXTENSIONS[format]}`;
        const r = await exportReport(source, {
          format,
          since,
          until,
          narrative,
          settings,
          llm,
          out: path.join(exportsDir(ctx.dataDir), fileName),
          printer: pdfPrinter,
          signal,
          onProgress: (f, msg) => progress(f, msg),
        });
        await pruneExports(exportsDir(ctx.dataDir)).catch((e: Error) => ctx.log(`reports: could not prune old exports: ${e.message}`));
        return { fileName, bytes: r.bytes, format, period: r.period, warnings: r.warnings };
      }),
    };
  },

  'reports.download': async ({ fileName }, ctx) => {
    const file = path.join(exportsDir(ctx.dataDir), path.basename(fileName));
    let stat;
    try {
      stat = await fs.stat(file);
    } catch {
      throw new CoreError('not_found', `No exported report named ${fileName}`);
    }
    if (stat.size > MAX_DOWNLOAD_BYTES) throw new CoreError('invalid_input', `${fileName} is larger than 25 MB; open it from ${exportsDir(ctx.dataDir)}`);
    const bytes = await fs.readFile(file);
    return { fileName: path.basename(file), mimeType: MIME[path.extname(file).slice(1)] ?? 'application/octet-stream', base64: bytes.toString('base64'), bytes: bytes.length };
  },
};
