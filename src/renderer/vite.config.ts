import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import type { Plugin, UserConfig } from 'vite';
import { META_CONTENT_SECURITY_POLICY } from '../shared/csp.js';

export const rendererRoot = path.dirname(fileURLToPath(import.meta.url));
export const rendererOutDir = path.resolve(rendererRoot, '../../out/renderer');

/** Writes the one CSP (src/shared/csp.ts) into index.html's <meta>, in the build and on the dev server. */
export function cspMeta(): Plugin {
  return {
    name: 'uis-csp-meta',
    transformIndexHtml: (html) => html.replace('%UIS_CSP%', META_CONTENT_SECURITY_POLICY),
  };
}

/** One renderer build for both the Electron window (electron.vite.config.ts) and web mode (`uis web`). */
export function rendererConfig(): UserConfig {
  return {
    root: rendererRoot,
    // Relative asset URLs: the same bundle loads from file:// (Electron) and from http://127.0.0.1 (web mode).
    base: './',
    plugins: [react(), cspMeta()],
    // minify stated here: electron-vite would otherwise ship the desktop window an unminified bundle (2.5x larger).
    build: { outDir: rendererOutDir, emptyOutDir: true, chunkSizeWarningLimit: 2000, minify: 'esbuild' },
    logLevel: 'warn',
  };
}

export default rendererConfig();
