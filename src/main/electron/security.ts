import fs from 'node:fs';
import path from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp.js';

/**
 * The desktop shell's security rules as plain data and pure functions (no electron import), so unit tests pin them
 * (tests/unit/electron.test.ts); src/main/electron/main.ts only wires them to Electron.
 */

/** The app is served from its own scheme, not file://: a file:// page could read any file the user can. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'workbench';
export const APP_ENTRY = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * protocol.registerSchemesAsPrivileged([...]) before the app is ready: a standard, secure origin (so 'self' in the
 * CSP, relative URLs and ES modules work as on https), fetch allowed for the app's own files; no bypassing the CSP,
 * no service workers, and no corsEnabled: for a custom protocol Electron lets cross-origin requests through without
 * checking Access-Control-Allow-Origin, so it would make app:// readable from other origins.
 */
export const APP_SCHEME_PRIVILEGES = [
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true, bypassCSP: false, corsEnabled: false, allowServiceWorkers: false } },
] as const;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The page the window loads. ELECTRON_RENDERER_URL (electron-vite's dev server) is honoured in development only
 * (app.isPackaged false) and only on a loopback http(s) address: the entry's origin is the one IPC trusts, so in a
 * packaged build an environment variable must never be able to name it.
 */
export function appEntryUrl(opts: { isPackaged: boolean; rendererUrl?: string | undefined }): { url: string; ignored?: string } {
  const dev = opts.rendererUrl;
  if (!dev) return { url: APP_ENTRY };
  if (opts.isPackaged) return { url: APP_ENTRY, ignored: 'ELECTRON_RENDERER_URL is ignored in a packaged build' };
  try {
    const u = new URL(dev);
    if ((u.protocol === 'http:' || u.protocol === 'https:') && LOOPBACK.has(u.hostname) && !u.username && !u.password) return { url: u.href };
  } catch {
    // not a URL
  }
  return { url: APP_ENTRY, ignored: 'ELECTRON_RENDERER_URL is not a loopback http(s) URL; ignored' };
}

/** The app's own pages: app://workbench/… (or the dev server's origin in `npm run dev`). */
export function isAppUrl(url: string | undefined | null, appEntry: string): boolean {
  if (!url) return false;
  let u: URL;
  let entry: URL;
  try {
    u = new URL(url);
    entry = new URL(appEntry);
  } catch {
    return false;
  }
  if (entry.protocol === `${APP_SCHEME}:`) return u.protocol === entry.protocol && u.host === entry.host && !u.username && !u.password;
  if (entry.protocol !== 'http:' && entry.protocol !== 'https:') return false;
  return u.origin === entry.origin;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
};

/**
 * The file an app:// request names inside the built renderer, or null: another host, an encoded NUL, or a path that
 * leaves the renderer folder (`..`, `%2e%2e`, `%2f`, `\`, an absolute path) is refused.
 */
export function resolveAppAsset(rendererDir: string, requestUrl: string): string | null {
  let u: URL;
  try {
    u = new URL(requestUrl);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST || u.username || u.password) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\') || rel.split('/').some((seg) => seg === '..' || seg === '.')) return null;
  if (rel === '/' || rel === '') rel = '/index.html';
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, '.' + rel);
  const inside = path.relative(root, file);
  if (!inside || inside.startsWith('..') || path.isAbsolute(inside)) return null;
  return file;
}

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** What protocol.handle('app', …) answers: GET of a file of the built renderer, with the CSP; 404 otherwise. */
export function serveAppAsset(rendererDir: string, requestUrl: string, method = 'GET'): AppResponse {
  const base = { 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': CONTENT_SECURITY_POLICY };
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, headers: base, body: '' };
  const file = resolveAppAsset(rendererDir, requestUrl);
  let body: Buffer;
  try {
    if (!file || !fs.statSync(file).isFile()) throw new Error('not a file');
    body = fs.readFileSync(file);
  } catch {
    return { status: 404, headers: { ...base, 'Content-Type': 'text/plain; charset=utf-8' }, body: 'Not found' };
  }
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  return { status: 200, headers: { ...base, 'Content-Type': type }, body: method === 'HEAD' ? '' : body };
}

/** session.setPermissionRequestHandler: the workbench asks for no permission (camera, notifications, …). */
export function denyPermissionRequest(_webContents: unknown, _permission: string, callback: (granted: boolean) => void): void {
  callback(false);
}

/** session.setPermissionCheckHandler: every synchronous permission check answers no, too. */
export function denyPermissionCheck(): boolean {
  return false;
}

/** Only http(s) links to real hosts leave the app, and only through safeOpenExternal. */
export function isSafeExternalUrl(url: unknown): url is string {
  if (typeof url !== 'string' || url.length > 2048) return false;
  try {
    const u = new URL(url);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !!u.hostname && !u.username && !u.password;
  } catch {
    return false;
  }
}

/** The webPreferences every window of the app has (the main window and the hidden PDF print windows). */
export const ISOLATED_WEB_PREFERENCES = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
} as const);

/** The BrowserWindow options that matter for security, in one place (tested). */
export const secureWebPreferences = (preload: string) => ({ preload, ...ISOLATED_WEB_PREFERENCES }) as const;

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1360, height: 860, maximized: false };

/** A remembered window state, accepted only if it is sane and still on one of the displays. */
export function restoreWindowState(saved: unknown, displays: Array<{ x: number; y: number; width: number; height: number }>): WindowState {
  if (!saved || typeof saved !== 'object') return DEFAULT_WINDOW_STATE;
  const s = saved as Partial<WindowState>;
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (!num(s.width) || !num(s.height) || s.width! < 640 || s.height! < 480) return DEFAULT_WINDOW_STATE;
  const state: WindowState = { width: Math.round(s.width!), height: Math.round(s.height!), maximized: s.maximized === true };
  if (num(s.x) && num(s.y)) {
    const visible = displays.some((d) => s.x! + 100 > d.x && s.x! < d.x + d.width - 100 && s.y! >= d.y && s.y! < d.y + d.height - 100);
    if (visible) Object.assign(state, { x: Math.round(s.x!), y: Math.round(s.y!) });
  }
  return state;
}
