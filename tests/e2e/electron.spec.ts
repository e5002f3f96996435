import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';

const root = path.resolve(import.meta.dirname, '../..');

/** The Electron binary if it is installed (it is fetched at first launch; this sandbox cannot reach GitHub). */
function electronBinary(): string | null {
  const dir = path.join(root, 'node_modules/electron');
  try {
    const p = path.join(dir, 'dist', fs.readFileSync(path.join(dir, 'path.txt'), 'utf8').trim());
    return fs.existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
const noDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;

test.describe('desktop shell', () => {
  test.skip(!binary, 'Electron binary not installed: it is downloaded at first launch and this machine cannot reach GitHub');
  test.skip(noDisplay, 'No display (DISPLAY is not set): Electron cannot open a window here');

  test('opens the window on the Overview with the demo data', async () => {
    test.setTimeout(600_000);
    const bin = (n: string) => path.join(root, 'node_modules/.bin', n);
    // better-sqlite3 must match Electron's ABI for the window, and Node's again for the other tests afterwards.
    expect(spawnSync(bin('electron-rebuild'), ['-f', '-o', 'better-sqlite3'], { cwd: root, stdio: 'inherit' }).status).toBe(0);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-electron-'));
    try {
      expect(spawnSync(bin('electron-vite'), ['build'], { cwd: root, stdio: 'inherit' }).status).toBe(0);
      const args = [root, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])];
      const app = await electron.launch({ executablePath: binary!, args, env: { ...process.env, UIS_DATA_DIR: dataDir } });
      const window = await app.firstWindow();
      // Served from the app's own scheme, not file:// (src/main/electron/security.ts).
      expect(window.url()).toMatch(/^app:\/\/workbench\//);
      await expect(window.locator('.sidebar')).toBeVisible();
      await expect(window.getByTestId('tile-users-value')).toBeVisible({ timeout: 60_000 });
      // The renderer has the bridge and nothing else from Node.
      expect(await window.evaluate(() => Object.keys((window as unknown as { uis: object }).uis).sort())).toEqual(['invoke', 'subscribe']);
      expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
      await app.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
      spawnSync('npm', ['rebuild', 'better-sqlite3'], { cwd: root, stdio: 'inherit' });
    }
  });
});
