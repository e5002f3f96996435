#!/usr/bin/env node
// `npm run dist`: installers with electron-builder (macOS dmg, Windows nsis, Linux AppImage) from electron-builder.json.
// electron-builder downloads Electron's release zip for the target and rebuilds native modules (better-sqlite3) for
// its ABI. Without that download (no access to GitHub) it cannot work: say so plainly and stop.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const bin = (name) => path.join(root, 'node_modules/.bin', name);

/** True when Electron's release downloads answer (the mirror from ELECTRON_MIRROR, else GitHub). */
export async function electronDownloadReachable(version, timeoutMs = 10_000) {
  const mirror = process.env.ELECTRON_MIRROR ?? 'https://github.com/electron/electron/releases/download/';
  const url = `${mirror.replace(/\/?$/, '/')}v${version}/SHASUMS256.txt`;
  try {
    const res = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

export function platformFlag(platform = process.platform) {
  return platform === 'darwin' ? '--mac' : platform === 'win32' ? '--win' : '--linux';
}

async function main() {
  const version = require('electron/package.json').version;
  if (!(await electronDownloadReachable(version))) {
    console.error(
      `npm run dist needs Electron ${version}'s release download (github.com/electron/electron or ELECTRON_MIRROR), which this machine cannot reach. ` +
        'Nothing was built. Run it on a machine with internet access (installers are built per OS: dmg on macOS, nsis on Windows, AppImage on Linux).',
    );
    process.exit(2);
  }
  const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status === 0;
  if (!run(bin('electron-vite'), ['build'])) process.exit(1);
  const ok = run(bin('electron-builder'), ['--config', 'electron-builder.json', platformFlag(), ...process.argv.slice(2)]);
  // electron-builder rebuilt better-sqlite3 for Electron; put the Node build back so tests keep working.
  run('npm', ['rebuild', 'better-sqlite3']);
  process.exit(ok ? 0 : 1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
