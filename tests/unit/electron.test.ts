import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { afterEach, describe, expect, it } from 'vitest';
import {
  APP_ENTRY,
  APP_SCHEME_PRIVILEGES,
  appEntryUrl,
  DEFAULT_WINDOW_STATE,
  denyPermissionCheck,
  denyPermissionRequest,
  isAppUrl,
  isSafeExternalUrl,
  resolveAppAsset,
  restoreWindowState,
  secureWebPreferences,
  serveAppAsset,
} from '../../src/main/electron/security.js';
import { electronPdfPrinter, lockPrintWindow, printWindowOptions, PRINT_PARTITION, type PrintableWindow } from '../../src/main/electron/pdf.js';
import { CONTENT_SECURITY_POLICY } from '../../src/shared/csp.js';
import { cspMeta } from '../../src/renderer/vite.config.js';

const root = new URL('../../', import.meta.url);
const read = (p: string) => fs.readFileSync(new URL(p, root), 'utf8');
const mainSource = read('src/main/electron/main.ts');
const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-electron-'));
  temps.push(d);
  return d;
}

describe('Electron window security (pinned)', () => {
  it('isolates the renderer', () => {
    expect(secureWebPreferences('/p.cjs')).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('has one strict CSP for the window, the web server and the page', () => {
    const source = fs.readFileSync(new URL('../../src/renderer/index.html', import.meta.url), 'utf8');
    const transform = cspMeta().transformIndexHtml as (html: string) => string;
    const meta = /Content-Security-Policy"\s+content="([^"]+)"/.exec(transform(source))![1];
    expect(meta).toBe(CONTENT_SECURITY_POLICY.replace("; frame-ancestors 'none'", ''));
    for (const csp of [CONTENT_SECURITY_POLICY, meta]) {
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('unsafe-eval');
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(csp).not.toMatch(/https?:/);
    }
  });

  it('opens only http(s) links without credentials', () => {
    expect(isSafeExternalUrl('https://example.com/docs')).toBe(true);
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'https://user:pw@example.com', 'ms-msdt:foo', '', 42]) {
      expect(isSafeExternalUrl(bad), String(bad)).toBe(false);
    }
  });

  it('remembers the window only where it is still visible', () => {
    const displays = [{ x: 0, y: 0, width: 1920, height: 1080 }];
    expect(restoreWindowState({ x: 100, y: 80, width: 1200, height: 800, maximized: true }, displays)).toEqual({ x: 100, y: 80, width: 1200, height: 800, maximized: true });
    expect(restoreWindowState({ x: 5000, y: 80, width: 1200, height: 800, maximized: false }, displays)).toEqual({ width: 1200, height: 800, maximized: false });
    expect(restoreWindowState({ width: 10, height: 10 }, displays)).toEqual(DEFAULT_WINDOW_STATE);
    expect(restoreWindowState('garbage', displays)).toEqual(DEFAULT_WINDOW_STATE);
  });

  it('keeps electron imports inside src/main/electron', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = `${dir}/${e.name}`;
        if (e.isDirectory()) {
          if (p.endsWith('src/main/electron')) continue;
          walk(p);
        } else if (/\.(ts|tsx)$/.test(e.name) && /from ['"]electron['"]/.test(fs.readFileSync(p, 'utf8')) && !p.includes('src/preload/index.ts')) {
          offenders.push(p);
        }
      }
    };
    walk(new URL('../../src', import.meta.url).pathname);
    expect(offenders).toEqual([]);
  });
});

describe('npm start', () => {
  it('names the reason it falls back to the web workbench', async () => {
    const start = (await import(new URL('../../scripts/start.mjs', import.meta.url).href)) as { findElectron(): { binary?: string; reason?: string } };
    const saved = { DISPLAY: process.env.DISPLAY, WAYLAND_DISPLAY: process.env.WAYLAND_DISPLAY, UIS_NO_ELECTRON: process.env.UIS_NO_ELECTRON };
    try {
      process.env.UIS_NO_ELECTRON = '1';
      expect(start.findElectron()).toEqual({ reason: 'UIS_NO_ELECTRON is set' });
      delete process.env.UIS_NO_ELECTRON;
      if (process.platform === 'linux') {
        delete process.env.DISPLAY;
        delete process.env.WAYLAND_DISPLAY;
        expect(start.findElectron()).toEqual({ reason: 'there is no display (DISPLAY is not set)' });
      }
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

/**
 * The Electron security checklist, item by item. Electron itself can't run here, so each item is pinned on the plain
 * data and functions main.ts wires (and on main.ts's wiring of them).
 */
describe('Electron checklist: the app loads from app://, not file://', () => {
  it('declares app:// as a standard, secure scheme that does not bypass the CSP', () => {
    expect(APP_ENTRY).toBe('app://workbench/index.html');
    expect(APP_SCHEME_PRIVILEGES).toEqual([
      { scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true, bypassCSP: false, corsEnabled: false, allowServiceWorkers: false }) },
    ]);
    expect(mainSource).toContain('protocol.registerSchemesAsPrivileged([...APP_SCHEME_PRIVILEGES])');
    expect(mainSource).toMatch(/protocol\.handle\(APP_SCHEME, \(request\) => \{\s+const r = serveAppAsset\(rendererDir, request\.url, request\.method\)/);
    expect(mainSource).not.toMatch(/pathToFileURL|loadFile\(|['"]file:/);
  });

  it('serves the built renderer, with the CSP, and refuses every path out of it', () => {
    const dir = tempDir();
    const renderer = path.join(dir, 'renderer');
    fs.mkdirSync(path.join(renderer, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html>');
    fs.writeFileSync(path.join(renderer, 'assets', 'index-1.js'), 'export {}');
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside');

    expect(resolveAppAsset(renderer, 'app://workbench/')).toBe(path.join(renderer, 'index.html'));
    expect(resolveAppAsset(renderer, 'app://workbench/assets/index-1.js?v=1#x')).toBe(path.join(renderer, 'assets', 'index-1.js'));
    const ok = serveAppAsset(renderer, 'app://workbench/index.html');
    expect(ok).toMatchObject({ status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' } });
    expect(String(ok.body)).toBe('<!doctype html>');
    expect(serveAppAsset(renderer, 'app://workbench/assets/index-1.js').headers['Content-Type']).toBe('text/javascript; charset=utf-8');

    for (const url of [
      'app://workbench/..%2fsecret.txt',
      'app://workbench/assets/..%2f..%2fsecret.txt',
      'app://workbench/%2e%2e%2fsecret.txt',
      'app://workbench/..%5csecret.txt',
      'app://workbench/index.html%00.js',
      'app://workbench/%2fetc%2fpasswd',
      'app://evil/index.html',
      'app://user:pw@workbench/index.html',
      'file:///etc/passwd',
      'not a url',
    ]) {
      const r = serveAppAsset(renderer, url);
      expect(r.status, url).toBe(404);
      expect(String(r.body), url).not.toContain('outside');
    }
    // WHATWG URL folds literal .. segments before the handler sees them: they stay inside the renderer folder.
    expect(serveAppAsset(renderer, 'app://workbench/../secret.txt').status).toBe(404);
    expect(serveAppAsset(renderer, 'app://workbench/assets').status).toBe(404);
    expect(serveAppAsset(renderer, 'app://workbench/index.html', 'POST').status).toBe(405);
  });
});

describe('Electron checklist: ELECTRON_RENDERER_URL in development only', () => {
  it('is ignored in a packaged build, and in development unless it is a loopback http(s) URL', () => {
    expect(appEntryUrl({ isPackaged: true, rendererUrl: 'http://localhost:5173/' })).toEqual({ url: APP_ENTRY, ignored: expect.stringMatching(/packaged/) });
    expect(appEntryUrl({ isPackaged: false, rendererUrl: 'http://localhost:5173/' })).toEqual({ url: 'http://localhost:5173/' });
    expect(appEntryUrl({ isPackaged: false, rendererUrl: 'http://127.0.0.1:5173' })).toEqual({ url: 'http://127.0.0.1:5173/' });
    for (const bad of ['https://evil.example/', 'file:///tmp/x.html', 'http://user:pw@localhost:5173/', 'garbage']) {
      expect(appEntryUrl({ isPackaged: false, rendererUrl: bad }), bad).toMatchObject({ url: APP_ENTRY, ignored: expect.any(String) });
    }
    expect(appEntryUrl({ isPackaged: false })).toEqual({ url: APP_ENTRY });
    expect(mainSource).toContain('appEntryUrl({ isPackaged: app.isPackaged, rendererUrl: readEnv().ELECTRON_RENDERER_URL })');
  });

  it('trusts IPC from the app:// origin only (the dev server only when it is the entry)', () => {
    expect(isAppUrl('app://workbench/index.html#/overview', APP_ENTRY)).toBe(true);
    for (const url of ['app://other/index.html', 'http://localhost:5173/', 'file:///opt/uis/out/renderer/index.html', 'https://evil.example/', 'app://u:p@workbench/']) {
      expect(isAppUrl(url, APP_ENTRY), url).toBe(false);
    }
    expect(isAppUrl('http://localhost:5173/#/users', 'http://localhost:5173/')).toBe(true);
    expect(mainSource).toContain('registerIpcHandlers(ipcMain, core, (url) => isAppUrl(url, appEntry))');
  });
});

describe('Electron checklist: fuses', () => {
  it('flips RunAsNode off, cookie encryption on, ASAR integrity on, app from ASAR only, NODE_OPTIONS and --inspect off', async () => {
    const fuses = (await import(new URL('scripts/fuses.mjs', root).href)) as {
      FUSES: Record<string, boolean>;
      fuseConfig(platform: string, arch: string): Record<string, unknown>;
      afterPack(context: unknown): Promise<void>;
    };
    expect(fuses.FUSES).toEqual({
      RunAsNode: false,
      EnableCookieEncryption: true,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
      GrantFileProtocolExtraPrivileges: false,
    });
    // electron-builder runs the hook after packing, before signing.
    const builder = JSON.parse(read('electron-builder.json')) as { afterPack: string; asar: boolean };
    expect(builder).toMatchObject({ afterPack: './scripts/fuses.mjs', asar: true });
    expect(fuses.fuseConfig('darwin', 'arm64')).toMatchObject({ version: '1', resetAdHocDarwinSignature: true, [FuseV1Options.RunAsNode]: false });

    // A fuse wire as Electron ships it (every fuse "inherit"), flipped by the hook through @electron/fuses.
    const dir = tempDir();
    const wire = Buffer.concat([Buffer.from('\x7fELF...'), Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'), Buffer.from([1, 8]), Buffer.alloc(8, 144), Buffer.from('...')]);
    fs.writeFileSync(path.join(dir, 'user-intelligence'), wire);
    await fuses.afterPack({ appOutDir: dir, electronPlatformName: 'linux', arch: 1, packager: { executableName: 'user-intelligence' } });
    const flipped = (await getCurrentFuseWire(path.join(dir, 'user-intelligence'))) as unknown as Record<number, number>;
    const state = (name: keyof typeof FuseV1Options) => (flipped[FuseV1Options[name]] === 49 ? 'on' : flipped[FuseV1Options[name]] === 48 ? 'off' : 'unset');
    expect({
      RunAsNode: state('RunAsNode'),
      EnableCookieEncryption: state('EnableCookieEncryption'),
      EnableNodeOptionsEnvironmentVariable: state('EnableNodeOptionsEnvironmentVariable'),
      EnableNodeCliInspectArguments: state('EnableNodeCliInspectArguments'),
      EnableEmbeddedAsarIntegrityValidation: state('EnableEmbeddedAsarIntegrityValidation'),
      OnlyLoadAppFromAsar: state('OnlyLoadAppFromAsar'),
      GrantFileProtocolExtraPrivileges: state('GrantFileProtocolExtraPrivileges'),
    }).toEqual({
      RunAsNode: 'off',
      EnableCookieEncryption: 'on',
      EnableNodeOptionsEnvironmentVariable: 'off',
      EnableNodeCliInspectArguments: 'off',
      EnableEmbeddedAsarIntegrityValidation: 'on',
      OnlyLoadAppFromAsar: 'on',
      GrantFileProtocolExtraPrivileges: 'off',
    });
    // A binary without a fuse wire fails the build instead of shipping unfused.
    fs.writeFileSync(path.join(dir, 'user-intelligence'), 'no sentinel here');
    await expect(fuses.afterPack({ appOutDir: dir, electronPlatformName: 'linux', arch: 1, packager: { executableName: 'user-intelligence' } })).rejects.toThrow(/sentinel/);
  });
});

describe('Electron checklist: permissions', () => {
  it('denies every permission request and every permission check', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen']) {
      let granted: boolean | undefined;
      denyPermissionRequest({}, permission, (g) => (granted = g));
      expect(granted, permission).toBe(false);
    }
    expect(denyPermissionCheck()).toBe(false);
    expect(mainSource).toContain('session.defaultSession.setPermissionRequestHandler(denyPermissionRequest)');
    expect(mainSource).toContain('session.defaultSession.setPermissionCheckHandler(denyPermissionCheck)');
  });
});

describe('Electron checklist: the hidden PDF print windows', () => {
  function fakeWindow(log: string[]) {
    const listeners = new Map<string, (e: { preventDefault(): void }, url: string) => void>();
    const handlers: {
      open?: (d: { url: string }) => { action: string };
      request?: (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void;
      permission?: (wc: unknown, p: string, cb: (g: boolean) => void) => void;
      check?: () => boolean;
    } = {};
    const win: PrintableWindow = {
      loadURL: async () => void log.push('load'),
      webContents: {
        executeJavaScript: async () => true,
        printToPDF: async () => Buffer.from('%PDF'),
        on: (event, listener) => void (log.push(`on ${event}`), listeners.set(event, listener)),
        setWindowOpenHandler: (h) => void (log.push('open handler'), (handlers.open = h)),
        session: {
          webRequest: { onBeforeRequest: (l) => void (log.push('request filter'), (handlers.request = l)) },
          setPermissionRequestHandler: (h) => void (handlers.permission = h),
          setPermissionCheckHandler: (h) => void (handlers.check = h),
        },
      },
      destroy: () => void log.push('destroy'),
    };
    return { win, listeners, handlers };
  }

  it('are sandboxed, without Node, in their own in-memory session, with JavaScript only for a report that has scripts', () => {
    for (const js of [true, false]) {
      expect(printWindowOptions(js)).toEqual({
        show: false,
        width: 794,
        height: 1123,
        webPreferences: expect.objectContaining({
          sandbox: true,
          contextIsolation: true,
          nodeIntegration: false,
          nodeIntegrationInWorker: false,
          nodeIntegrationInSubFrames: false,
          webSecurity: true,
          allowRunningInsecureContent: false,
          webviewTag: false,
          javascript: js,
          partition: PRINT_PARTITION,
        }),
      });
    }
    expect(PRINT_PARTITION).not.toMatch(/^persist:/);
    expect(printWindowOptions(true).webPreferences).not.toHaveProperty('preload');
  });

  it('refuse navigation, new windows, every request but the report itself, and every permission', () => {
    const { win, listeners, handlers } = fakeWindow([]);
    lockPrintWindow(win);
    for (const event of ['will-navigate', 'will-redirect', 'will-frame-navigate']) {
      let prevented = false;
      listeners.get(event)!({ preventDefault: () => (prevented = true) }, 'https://evil.example/');
      expect(prevented, event).toBe(true);
    }
    expect(handlers.open!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    const cancelled = (url: string) => {
      let r: { cancel: boolean } | undefined;
      handlers.request!({ url }, (x) => (r = x));
      return r!.cancel;
    };
    expect(cancelled('data:text/html;charset=utf-8;base64,PGgxPg==')).toBe(false);
    expect(cancelled('data:image/png;base64,iVBOR')).toBe(false);
    for (const url of ['https://evil.example/x.png', 'http://127.0.0.1:8787/rpc', 'file:///etc/passwd', 'app://workbench/index.html', 'ws://127.0.0.1:1/', 'blob:null/1']) {
      expect(cancelled(url), url).toBe(true);
    }
    let granted: boolean | undefined;
    handlers.permission!({}, 'media', (g) => (granted = g));
    expect(granted).toBe(false);
    expect(handlers.check!()).toBe(false);
  });

  it('are locked before the report loads; a report without scripts is printed with JavaScript off', async () => {
    const log: string[] = [];
    let options: Record<string, unknown> = {};
    const printer = electronPdfPrinter((opts) => {
      options = opts;
      return fakeWindow(log).win;
    });
    await printer('<!doctype html><h1>Report</h1><script type="application/json">{}</script>', { footerLeft: 'x' });
    expect(log.indexOf('request filter')).toBeLessThan(log.indexOf('load'));
    expect(log.indexOf('open handler')).toBeLessThan(log.indexOf('load'));
    expect(log.indexOf('on will-navigate')).toBeLessThan(log.indexOf('load'));
    expect(log.at(-1)).toBe('destroy');
    expect(options).toMatchObject({ webPreferences: { javascript: false } });
    await printer('<!doctype html><script>document.documentElement.dataset.chartsReady = "1"</script>', { footerLeft: 'x' });
    expect(options).toMatchObject({ webPreferences: { javascript: true } });
    expect(read('src/main/electron/main.ts')).toContain('electronPdfPrinter((opts) => new BrowserWindow(opts))');
  });
});
