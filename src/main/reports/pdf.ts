import { chromium, type Browser } from 'playwright-core';
import { readEnv } from '../config.js';

/**
 * HTML → PDF. The CLI and the service print with headless Chromium (playwright-core driving the system's Chromium);
 * the desktop app passes its own printer built on Electron's webContents.printToPDF (electronPdfPrinter in src/main/electron/pdf.ts),
 * so the core never imports electron.
 */
export type PdfPrinter = (html: string, opts: { signal?: AbortSignal; footerLeft: string }) => Promise<Buffer>;

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function chromiumPath(): string {
  return readEnv().CHROMIUM_PATH;
}

export function abortError(): Error {
  const e = new Error('Export cancelled');
  e.name = 'AbortError';
  return e;
}

export function footerTemplate(left: string): string {
  const esc = left.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<div style="font-family: 'DejaVu Sans', Arial, sans-serif; font-size:7.5pt; color:#6b7280; width:100%; padding:0 14mm; display:flex; justify-content:space-between;"><span>${esc}</span><span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>`;
}

/** Prints with headless Chromium. Every network request is refused: the report is self-contained by design. */
export const chromiumPdfPrinter: PdfPrinter = async (html, { signal, footerLeft }) => {
  if (signal?.aborted) throw abortError();
  let browser: Browser | null = null;
  const onAbort = () => void browser?.close().catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
    if (signal?.aborted) throw abortError();
    // 794px = A4 width at 96 dpi: the screen layout has the print width, so charts are drawn at their printed size.
    const page = await browser.newPage({ viewport: { width: 794, height: 1123 }, javaScriptEnabled: true });
    await page.route('**/*', (route) => (route.request().url().startsWith('data:') ? route.continue() : route.abort()));
    await page.setContent(html, { waitUntil: 'load' });
    // Runs in the page: an expression, as this file is compiled without the DOM library (tsconfig.node.json).
    await page.waitForFunction('document.documentElement.dataset.chartsReady === "1"', undefined, { timeout: 30_000 });
    const pdf = await page.pdf({
      format: 'A4',
      printBackground: true,
      preferCSSPageSize: true,
      displayHeaderFooter: true,
      headerTemplate: '<div></div>',
      footerTemplate: footerTemplate(footerLeft),
      margin: { top: '16mm', bottom: '18mm', left: '14mm', right: '14mm' },
    });
    return pdf;
  } catch (err) {
    if (signal?.aborted) throw abortError();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await browser?.close().catch(() => {});
  }
};
