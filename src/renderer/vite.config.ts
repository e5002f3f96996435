import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import type { UserConfig } from 'vite';

export const rendererRoot = path.dirname(fileURLToPath(import.meta.url));
export const rendererOutDir = path.resolve(rendererRoot, '../../out/renderer');

/** One renderer build for both the Electron window (electron.vite.config.ts) and web mode (`uis web`). */
export function rendererConfig(): UserConfig {
  return {
    root: rendererRoot,
    // Relative asset URLs: the same bundle loads from file:// (Electron) and from http://127.0.0.1 (web mode).
    base: './',
    plugins: [react()],
    // minify stated here: electron-vite would otherwise ship the desktop window an unminified bundle (2.5x larger).
    build: { outDir: rendererOutDir, emptyOutDir: true, chunkSizeWarningLimit: 2000, minify: 'esbuild' },
    logLevel: 'warn',
  };
}

export default rendererConfig();
