/**
 * The desktop shell's security rules as pure functions (no electron import), so unit tests pin them.
 */

/** The app's own pages: the built renderer (file://…/out/renderer/index.html) or the dev server in `npm run dev`. */
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
  if (entry.protocol === 'file:') return u.protocol === 'file:' && u.pathname === entry.pathname;
  return u.origin === entry.origin;
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

export const WINDOW_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The BrowserWindow options that matter for security, in one place (tested). */
export const secureWebPreferences = (preload: string) =>
  ({
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  }) as const;

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
