import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import type { ReportData } from '../../shared/report.js';
import { chartData, ReportDocument } from './report-document.js';

export { formatDateLong, maskedUser, noPreviousNote, pmfTally } from './report-document.js';

/**
 * The one HTML renderer behind the HTML export, the PDF (headless Chromium or Electron printToPDF) and the workbench
 * preview: React components (report-document.tsx) rendered to static markup, with the CSS (assets/report.css), Chart.js
 * and the chart script (assets/report-charts.js) inlined. Self-contained: the charts draw from data embedded in the
 * page, so it renders offline with every network request blocked. When the charts are drawn the page sets
 * <html data-charts-ready="1">.
 */

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * A file of assets/: next to this module when it runs from the sources (tsx, vitest); in a build (out/main), copied to
 * out/main/report-assets/ by electron.vite.config.ts (the module may sit in out/main or in a chunk folder under it).
 */
function readAsset(name: string): string {
  const candidates = [path.join(here, 'assets', name), path.join(here, 'report-assets', name), path.join(here, '..', 'report-assets', name)];
  const file = candidates.find((p) => existsSync(p));
  if (!file) throw new Error(`report asset ${name} not found (looked in ${candidates.join(', ')})`);
  return readFileSync(file, 'utf8');
}

const cache = new Map<string, string>();
function cached(key: string, load: () => string): string {
  let v = cache.get(key);
  if (v === undefined) cache.set(key, (v = load()));
  return v;
}

function chartJs(): string {
  return cached('chart.js', () => {
    const require = createRequire(import.meta.url);
    const main = require.resolve('chart.js'); // dist/chart.cjs; the UMD build sits next to it
    return readFileSync(path.join(path.dirname(main), 'chart.umd.min.js'), 'utf8');
  });
}

/** JSON inside <script>: "<" escaped so user text (blocker labels) can never close the script element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export interface RenderOptions {
  /** Inline Chart.js and draw the charts (default). Off for the workbench's sandboxed preview. */
  charts?: boolean;
}

export function renderReportHtml(d: ReportData, opts: RenderOptions = {}): string {
  const css = cached('report.css', () => readAsset('report.css'));
  const scripts =
    opts.charts === false
      ? undefined
      : { chartJs: chartJs(), chartData: scriptJson(chartData(d)), drawCharts: cached('report-charts.js', () => readAsset('report-charts.js')) };
  return `<!doctype html>\n${renderToStaticMarkup(createElement(ReportDocument, { d, assets: { css, scripts } }))}`;
}
