import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { rendererConfig } from './src/renderer/vite.config.js';

// Main (the core + the Electron shell), preload (sandboxed, so CommonJS), renderer (shared with web mode).
export default defineConfig({
  main: {
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
