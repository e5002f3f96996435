import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, Menu, protocol, screen, session, shell, type MenuItemConstructorOptions } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp.js';
import { PAGES, pageKey } from '../../shared/pages.js';
import { dataDir, readEnv } from '../config.js';
import { createAppCore, type Core } from '../app/index.js';
import { redactConnectionString } from '../connection-string.js';
import { setAskBoxSpawner } from '../intelligence/ask-sql-host.js';
import { setReportPdfPrinter } from '../reports/handlers.js';
import { electronPdfPrinter } from './pdf.js';
import { electronAskBoxSpawner } from './ask-box.js';
import { forwardTopics, registerIpcHandlers } from './ipc.js';
import { SafeStorageSecretStore } from './secrets.js';
import {
  APP_SCHEME,
  APP_SCHEME_PRIVILEGES,
  appEntryUrl,
  denyPermissionCheck,
  denyPermissionRequest,
  isAppUrl,
  isSafeExternalUrl,
  restoreWindowState,
  secureWebPreferences,
  serveAppAsset,
  type WindowState,
} from './security.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const log = (line: string) => process.stderr.write(redactConnectionString(line) + '\n');

/** The one way a link leaves the app: http(s) only, opened by the OS browser. */
async function safeOpenExternal(url: unknown): Promise<boolean> {
  if (!isSafeExternalUrl(url)) return false;
  await shell.openExternal(url);
  return true;
}

// app://workbench serves the built renderer (not file://); must be declared before the app is ready.
protocol.registerSchemesAsPrivileged([...APP_SCHEME_PRIVILEGES]);
const rendererDir = path.join(here, '../renderer');
// The dev server only in development: its origin becomes the one IPC trusts.
const entry = appEntryUrl({ isPackaged: app.isPackaged, rendererUrl: readEnv().ELECTRON_RENDERER_URL });
const appEntry = entry.url;

function stateFile() {
  return path.join(app.getPath('userData'), 'window-state.json');
}

function createWindow(core: Core): BrowserWindow {
  let saved: unknown = null;
  try {
    saved = JSON.parse(readFileSync(stateFile(), 'utf8'));
  } catch {
    // first launch
  }
  const state = restoreWindowState(saved, screen.getAllDisplays().map((d) => d.workArea));
  const win = new BrowserWindow({
    ...state,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'User Intelligence',
    backgroundColor: '#0e1117',
    webPreferences: secureWebPreferences(path.join(here, '../preload/index.cjs')),
  });
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());

  // Navigation and new windows are blocked; http(s) links go to the system browser instead.
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, appEntry)) {
      event.preventDefault();
      void safeOpenExternal(url);
    }
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    void safeOpenExternal(url);
    return { action: 'deny' };
  });

  const saveState = () => {
    const b = win.getNormalBounds();
    const s: WindowState = { ...b, maximized: win.isMaximized() };
    try {
      writeFileSync(stateFile(), JSON.stringify(s));
    } catch {
      // not worth failing a close over
    }
  };
  win.on('close', saveState);

  const stopTopics = forwardTopics(core, (topic, payload) => win.webContents.send(topic, payload), () => !win.isDestroyed());
  win.on('closed', stopTopics);
  void win.loadURL(appEntry);
  return win;
}

function buildMenu(win: () => BrowserWindow | undefined) {
  const go = (page: string) => () => win()?.webContents.executeJavaScript(`location.hash = '#/${page}'`);
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'Go',
      submenu: [
        // The pages of src/shared/pages.ts: Ctrl/Cmd + the page's number key; the workspace's own pages after a separator,
        // Settings on the platform's Ctrl/Cmd+, .
        ...PAGES.flatMap((p, i): MenuItemConstructorOptions[] => {
          const item = { label: p.label, accelerator: p.id === 'settings' ? 'CmdOrCtrl+,' : `CmdOrCtrl+${pageKey(i)}`, click: go(p.id) };
          return p.group === 'Workspace' && PAGES[i - 1]?.group !== 'Workspace' ? [{ type: 'separator' }, item] : [item];
        }),
      ],
    },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [{ label: 'Shortcuts: 1–9 and 0 jump to a page, [ and ] step', enabled: false }],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

async function main() {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  if (entry.ignored) log(`warning: ${entry.ignored}`);
  protocol.handle(APP_SCHEME, (request) => {
    const r = serveAppAsset(rendererDir, request.url, request.method);
    return new Response(typeof r.body === 'string' ? r.body : new Uint8Array(r.body), { status: r.status, headers: r.headers });
  });
  // No page gets a webview, and none opens a window unless its own handler says so (the main window's does, for links).
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  const dir = dataDir(readEnv());
  const core = createAppCore({
    dataDir: dir,
    secretStore: new SafeStorageSecretStore(log),
    runtime: 'electron',
    log,
  });

  // Report PDFs print in a hidden window with Electron's printToPDF (web mode uses headless Chromium instead).
  setReportPdfPrinter(electronPdfPrinter((opts) => new BrowserWindow(opts)));
  setAskBoxSpawner(electronAskBoxSpawner(here));

  // Strict CSP on every response the window loads (app:// responses carry it too; this covers the dev server).
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  session.defaultSession.setPermissionRequestHandler(denyPermissionRequest);
  session.defaultSession.setPermissionCheckHandler(denyPermissionCheck);

  registerIpcHandlers(ipcMain, core, (url) => isAppUrl(url, appEntry));
  let win: BrowserWindow | undefined = createWindow(core);
  buildMenu(() => win);
  app.on('second-instance', () => {
    if (win && !win.isDestroyed()) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) win = createWindow(core);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => void core.close());
}

void main().catch((err: unknown) => {
  log(`workbench failed to start: ${err instanceof Error ? err.message : String(err)}`);
  app.exit(1);
});
