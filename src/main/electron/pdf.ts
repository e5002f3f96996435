import { abortError, footerTemplate, type PdfPrinter } from '../reports/pdf.js';
import { ISOLATED_WEB_PREFERENCES } from './security.js';

/**
 * The structural type of the Electron pieces the desktop printer needs, so this file and its tests need no electron.
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
