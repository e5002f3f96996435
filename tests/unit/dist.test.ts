import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (p: string) => fs.readFileSync(new URL(p, root), 'utf8');

describe('packaging configuration (npm run dist)', () => {
  const config = JSON.parse(read('electron-builder.json')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const pkg = JSON.parse(read('package.json')) as { main: string; scripts: Record<string, string>; devDependencies: Record<string, string> };

  it('builds a dmg on macOS, an nsis installer on Windows and an AppImage on Linux', () => {
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.linux.target).toEqual(['AppImage']);
    expect(config.appId).toMatch(/^[a-z0-9]+(\.[a-z0-9]+)+$/);
    expect(config.productName).toBe('User Intelligence');
  });

  it('rebuilds native modules for Electron and keeps them outside the asar', () => {
    expect(config.npmRebuild).toBe(true);
    expect(config.asarUnpack).toContain('**/*.node');
    expect(Object.keys(pkg.devDependencies)).toEqual(expect.arrayContaining(['electron', 'electron-builder']));
  });

  it('ships the electron-vite output and starts from the same entry as package.json', () => {
    expect(config.files).toContain('out/**');
    expect(config.extraMetadata.main).toBe(pkg.main);
    expect(pkg.main).toBe('out/main/index.js');
    const viteConfig = read('electron.vite.config.ts');
    expect(viteConfig).toContain("outDir: 'out/main'");
    expect(viteConfig).toContain("input: { index: resolve('src/main/electron/main.ts'),");
    // Ask's SQL runs in its own process, bundled beside index.js (src/main/electron/ask-box.ts starts it).
    expect(viteConfig).toContain("'ask-sql-box': resolve('src/main/intelligence/ask-sql-box.ts')");
    expect(read('src/main/electron/main.ts')).toContain('setAskBoxSpawner(electronAskBoxSpawner(here))');
    // The window loads the sandboxed preload as CommonJS from out/preload/index.cjs.
    expect(viteConfig).toContain("entryFileNames: '[name].cjs'");
    expect(read('src/main/electron/main.ts')).toContain("'../preload/index.cjs'");
    expect(pkg.scripts.dist).toBe('node scripts/dist.mjs');
  });

  it('stops with a clear message when Electron cannot be downloaded', async () => {
    const dist = (await import(new URL('scripts/dist.mjs', root).href)) as { platformFlag(p: string): string; electronDownloadReachable(v: string, t?: number): Promise<boolean> };
    expect(dist.platformFlag('darwin')).toBe('--mac');
    expect(dist.platformFlag('win32')).toBe('--win');
    expect(dist.platformFlag('linux')).toBe('--linux');
    process.env.ELECTRON_MIRROR = 'http://127.0.0.1:9/';
    try {
      expect(await dist.electronDownloadReachable('45.5.0', 2000)).toBe(false);
    } finally {
      delete process.env.ELECTRON_MIRROR;
    }
    expect(read('scripts/dist.mjs')).toContain('Nothing was built');
  });
});
