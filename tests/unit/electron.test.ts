import { describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW_STATE, isSafeExternalUrl, restoreWindowState, secureWebPreferences, WINDOW_CSP } from '../../src/main/electron/security.js';
import { CONTENT_SECURITY_POLICY } from '../../src/main/server/web.js';
import fs from 'node:fs';

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

  it('has a strict CSP in the window, the web server and the page', () => {
    const html = fs.readFileSync(new URL('../../src/renderer/index.html', import.meta.url), 'utf8');
    for (const csp of [WINDOW_CSP, CONTENT_SECURITY_POLICY, /Content-Security-Policy"\s+content="([^"]+)"/.exec(html)![1]]) {
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
