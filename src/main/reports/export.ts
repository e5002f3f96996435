import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { LlmConfig } from '../llm/client.js';
import { addDays } from '../../shared/metrics.js';
import type { ReportData, ReportFormat, ReportSettings } from '../../shared/report.js';
import { buildReportData, periodFilters, resolvePeriods } from './build.js';
import { renderReportZip } from './csv.js';
import { renderReportHtml } from './html.js';
import { renderReportMarkdown } from './markdown.js';
import { writeNarrative } from './narrative.js';
import { chromiumPdfPrinter, type PdfPrinter } from './pdf.js';
import type { MetricsSource } from './source.js';

export type ProgressFn = (fraction: number, message: string) => void;

export class ExportCancelled extends Error {
  constructor() {
    super('Export cancelled');
    this.name = 'AbortError';
  }
}

function checkCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new ExportCancelled();
}

export interface ComputeOptions {
  since?: string;
  until?: string;
  settings: ReportSettings;
  /** Ask the LLM for a narrative; it is dropped if it states a number not in the metrics. */
  narrative?: boolean;
  /** The workspace's LLM for the narrative (resolveLlm); null or absent: no narrative, with a note saying so. */
  llm?: LlmConfig | null;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  now?: Date;
}

/** Computes the report's data for a period (and the previous one, for the changes). */
export async function computeReport(source: MetricsSource, opts: ComputeOptions): Promise<{ data: ReportData; warnings: string[] }> {
  const progress = opts.onProgress ?? (() => {});
  const warnings: string[] = [];
  const periods = resolvePeriods({ since: opts.since, until: opts.until }, source.latestDay(), (opts.now ?? new Date()).toISOString().slice(0, 10));
  progress(0.05, `Computing metrics for ${periods.current.since} – ${periods.current.until}`);
  const current = source.dashboard(periodFilters(periods.current));
  checkCancelled(opts.signal);
  progress(0.25, 'Computing the previous period for comparison');
  const previous = source.dashboard(periodFilters(periods.previous));
  checkCancelled(opts.signal);
  progress(0.35, 'Computing weekly active users');
  const wauByDay = new Map<string, number>();
  for (const d of current.timeseries.days) wauByDay.set(d.day, source.activeUsersBetween(addDays(d.day, -6), d.day));
  checkCancelled(opts.signal);
  const insights = source.insights(periods.current) ?? undefined;
  const ranOutUsers = source.ranOutUsers(periodFilters(periods.current));
  const data = buildReportData({ current, previous, ranOutUsers, periods, settings: opts.settings, workspace: source.workspace, wauByDay, insights, now: opts.now });
  if (opts.narrative) {
    progress(0.45, 'Writing the narrative');
    const n = await writeNarrative(data, opts.llm ?? null, { signal: opts.signal });
    checkCancelled(opts.signal);
    data.narrative = n.narrative;
    data.narrativeNote = n.note;
    if (n.note) warnings.push(n.note);
  }
  return { data, warnings };
}

/** Renders the report in one format. */
export async function renderReport(data: ReportData, format: ReportFormat, opts: { printer?: PdfPrinter; signal?: AbortSignal } = {}): Promise<Buffer> {
  switch (format) {
    case 'html':
      return Buffer.from(renderReportHtml(data), 'utf8');
    case 'md':
      return Buffer.from(renderReportMarkdown(data), 'utf8');
    case 'csv':
      return renderReportZip(data);
    case 'pdf':
      return (opts.printer ?? chromiumPdfPrinter)(renderReportHtml(data), {
        signal: opts.signal,
        footerLeft: `${data.company.name} · ${data.title} · ${data.period.since} – ${data.period.until}`,
      });
  }
}

/**
 * Writes bytes to `out` atomically: a temporary file in the same folder, renamed at the end. A failure or a
 * cancellation removes the temporary file and leaves any previous file at `out` untouched.
 */
export async function writeFileAtomic(out: string, bytes: Buffer | (() => Promise<Buffer>), signal?: AbortSignal): Promise<number> {
  const dir = path.dirname(path.resolve(out));
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(out)}.${randomBytes(4).toString('hex')}.part`);
  try {
    const data = typeof bytes === 'function' ? await bytes() : bytes;
    checkCancelled(signal);
    await fs.writeFile(tmp, data);
    checkCancelled(signal);
    await fs.rename(tmp, out);
    return data.length;
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

export interface ExportOptions extends ComputeOptions {
  format: ReportFormat;
  out: string;
  printer?: PdfPrinter;
}

export interface ExportResult {
  path: string;
  bytes: number;
  format: ReportFormat;
  period: { since: string; until: string };
  previousPeriod: { since: string; until: string };
  warnings: string[];
}

/** The whole export: metrics → (narrative) → render → atomic write, with progress and cancellation. */
export async function exportReport(source: MetricsSource, opts: ExportOptions): Promise<ExportResult & { data: ReportData }> {
  const progress = opts.onProgress ?? (() => {});
  const { data, warnings } = await computeReport(source, opts);
  checkCancelled(opts.signal);
  progress(0.55, opts.format === 'pdf' ? 'Rendering the PDF in Chromium' : `Rendering ${opts.format.toUpperCase()}`);
  const out = path.resolve(opts.out);
  const bytes = await writeFileAtomic(out, () => renderReport(data, opts.format, { printer: opts.printer, signal: opts.signal }), opts.signal);
  progress(1, `Wrote ${path.basename(out)}`);
  return { path: out, bytes, format: opts.format, period: { since: data.period.since, until: data.period.until }, previousPeriod: data.previousPeriod, warnings, data };
}
