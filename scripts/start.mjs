#!/usr/bin/env node
// `npm start`: the Electron workbench. Where Electron cannot start (no binary and no way to download it, or no
// display), say why in one line and serve the same workbench on http://127.0.0.1:<port> instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const forwarded = process.argv.slice(2);

/** The Electron binary, fetching it (bounded) when it is missing; or the reason it cannot be had. */
export function findElectron() {
  if (process.env.UIS_NO_ELECTRON) return { reason: 'UIS_NO_ELECTRON is set' };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return { reason: 'there is no display (DISPLAY is not set)' };
  const dir = path.dirname(require.resolve('electron/package.json'));
  const binary = () => {
    const pathFile = path.join(dir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const p = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(p) ? p : null;
  };
  if (binary()) return { binary: binary() };
  const r = spawnSync(process.execPath, [path.join(dir, 'install.js')], { encoding: 'utf8', timeout: 120_000 });
  if (r.status === 0 && binary()) return { binary: binary() };
  const why = `${r.stderr ?? ''}${r.stdout ?? ''}`.match(/(ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|403|404|getaddrinfo[^\n]*)/)?.[0];
  return { reason: `its binary could not be downloaded${why ? ` (${why})` : ''}` };
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  return r.status === 0;
}

function web(reason) {
  console.log(`Electron can't start here: ${reason}; serving the workbench on the web instead.`);
  const child = spawn(process.execPath, [path.join(root, 'bin/uis.js'), 'web', ...forwarded], { cwd: root, stdio: 'inherit' });
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
  child.on('exit', (code) => process.exit(code ?? 0));
}

function electron(binary) {
  const bin = (name) => path.join(root, 'node_modules/.bin', name);
  // better-sqlite3 is compiled for Node (tests); the window needs Electron's ABI. Rebuild for the run, then back.
  if (!run(bin('electron-rebuild'), ['-f', '-o', 'better-sqlite3'])) return web('better-sqlite3 could not be rebuilt for Electron');
  if (!run(bin('electron-vite'), ['build'])) {
    run('npm', ['rebuild', 'better-sqlite3']);
    return web('the desktop build failed');
  }
  const args = ['.', ...forwarded];
  if (process.platform === 'linux' && process.getuid?.() === 0) args.push('--no-sandbox'); // Chromium refuses root otherwise
  const child = spawn(binary, args, { cwd: root, stdio: 'inherit' });
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
  child.on('exit', (code) => {
    run('npm', ['rebuild', 'better-sqlite3'], { stdio: 'ignore' });
    process.exit(code ?? 0);
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const found = findElectron();
  if (found.binary) electron(found.binary);
  else web(found.reason);
}
