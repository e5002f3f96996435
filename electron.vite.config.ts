import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { rendererConfig } from './src/renderer/vite.config.js';

/** The report's CSS and chart script, read at run time by src/main/reports/html.ts: copied to out/main/report-assets/. */
function reportAssets(): Plugin {
  const dir = resolve('src/main/reports/assets');
  return {
    name: 'uis-report-assets',
    generateBundle() {
      for (const name of readdirSync(dir)) this.emitFile({ type: 'asset', fileName: `report-assets/${name}`, source: readFileSync(resolve(dir, name)) });
    },
  };
}

// Main (the core + the Electron shell), preload (sandboxed, so CommonJS), renderer (shared with web mode).
export default defineConfig({
  main: {
    plugins: [reportAssets()],
    build: {
      outDir: 'out/main',
      // ask-sql-box: the process Ask's SQL runs in (src/main/intelligence/ask-sql-host.ts starts it beside index.js).
      rollupOptions: { input: { index: resolve('src/main/electron/main.ts'), 'ask-sql-box': resolve('src/main/intelligence/ask-sql-box.ts') } },
    },
  },
  preload: {
    build: {
      // A sandboxed preload can only require('electron'): everything else (zod, the contract) is bundled in.
      externalizeDeps: false,
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig(),
});
