import { chromium, type Browser } from 'playwright-core';
import { ISOLATED_WEB_PREFERENCES } from '../electron/security.js';

/**
 * HTML → PDF. The CLI and the service print with headless Chromium (playwright-core driving the system's Chromium);
 * the desktop app passes its own printer built on Electron's webContents.printToPDF (see electronPdfPrinter below),
 * so the core never imports electron.
 */
export type PdfPrinter = (html: string, opts: { signal?: AbortSignal; footerLeft: string }) => Promise<Buffer>;

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

function abortError(): Error {
  const e = new Error('Export cancelled');
  e.name = 'AbortError';
  return e;
}

function footerTemplate(left: string): string {
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
    await page.waitForFunction(() => document.documentElement.dataset.chartsReady === '1', undefined, { timeout: 30_000 });
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

/**
 * The structural type of the Electron pieces the desktop printer needs, so this file compiles without electron.
 * The shell calls: electronPdfPrinter((opts) => new BrowserWindow(opts)).
 */
export interface PrintableWindow {
  loadURL(url: string): Promise<void>;
  webContents: {
    printToPDF(opts: Record<string, unknown>): Promise<Buffer>;
    executeJavaScript(code: string): Promise<unknown>;
    on(event: 'will-navigate' | 'will-redirect' | 'will-frame-navigate', listener: (event: { preventDefault(): void }, url: string) => void): void;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
    session: {
      webRequest: { onBeforeRequest(listener: (details: { url: string }, callback: (response: { cancel: boolean }) => void) => void): void };
      setPermissionRequestHandler(handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
      setPermissionCheckHandler(handler: () => boolean): void;
    };
  };
  destroy(): void;
}

/** The print windows' own in-memory session: their request blocking never touches the workbench window's session. */
export const PRINT_PARTITION = 'uis-report-print';

/**
 * The hidden print window: sandboxed, isolated, no Node, its own session; JavaScript only when the report has
 * scripts (its charts).
 */
export function printWindowOptions(needsScript: boolean): Record<string, unknown> {
  return {
    show: false,
    width: 794,
    height: 1123,
    webPreferences: {
      ...ISOLATED_WEB_PREFERENCES,
      javascript: needsScript,
      navigateOnDragDrop: false,
      disableDialogs: true,
      partition: PRINT_PARTITION,
      offscreen: true,
    },
  };
}

/** The one kind of request a print window may make: the report itself, loaded as a data: URL. */
export function isReportRequest(url: string): boolean {
  return url.startsWith('data:');
}

/** Navigation, new windows, network and permissions locked, before the report loads. */
export function lockPrintWindow(win: PrintableWindow): void {
  const wc = win.webContents;
  for (const e of ['will-navigate', 'will-redirect', 'will-frame-navigate'] as const) wc.on(e, (event) => event.preventDefault());
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
  wc.session.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isReportRequest(details.url) }));
  wc.session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  wc.session.setPermissionCheckHandler(() => false);
}

/** For the Electron shell: prints the same HTML in a hidden, locked-down window with Electron's printToPDF. */
export function electronPdfPrinter(createWindow: (opts: Record<string, unknown>) => PrintableWindow): PdfPrinter {
  return async (html, { signal, footerLeft }) => {
    if (signal?.aborted) throw abortError();
    const needsScript = /<script\b(?![^>]*type="application\/json")/i.test(html);
    const win = createWindow(printWindowOptions(needsScript));
    try {
      lockPrintWindow(win);
      await win.loadURL(`data:text/html;charset=utf-8;base64,${Buffer.from(html).toString('base64')}`);
      const deadline = Date.now() + 30_000;
      while (needsScript && (await win.webContents.executeJavaScript('document.documentElement.dataset.chartsReady === "1"')) !== true) {
        if (signal?.aborted) throw abortError();
        if (Date.now() > deadline) throw new Error('The report charts did not finish drawing in 30 s');
        await new Promise((r) => setTimeout(r, 50));
      }
      if (signal?.aborted) throw abortError();
      return await win.webContents.printToPDF({
        pageSize: 'A4',
        printBackground: true,
        preferCSSPageSize: true,
        displayHeaderFooter: true,
        headerTemplate: '<div></div>',
        footerTemplate: footerTemplate(footerLeft),
        margins: { top: 16 / 25.4, bottom: 18 / 25.4, left: 14 / 25.4, right: 14 / 25.4 },
      });
    } finally {
      win.destroy();
    }
  };
}
