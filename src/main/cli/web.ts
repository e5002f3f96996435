import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { z } from 'zod';
import { dataDir, hasDisplay, readEnv } from '../config.js';
import { createAppCore, type Core } from '../app/index.js';
import { FileKeySecretStore } from '../workspace/secrets.js';
import { newestMtime, startWebServer, type RunningWebServer } from '../server/web.js';
import { parseOption } from './options.js';

const WebOptions = z.object({
  port: z.coerce.number().int().min(0).max(65535).optional(),
  newToken: z.boolean().optional(),
  host: z.string().default('127.0.0.1'),
  openBrowser: z.enum(['yes', 'no']).default('yes'),
  build: z.enum(['auto', 'always', 'never']).default('auto'),
});

/** Builds the renderer with vite when out/renderer is missing or older than src/renderer. */
export async function ensureRendererBuilt(mode: 'auto' | 'always' | 'never', log: (l: string) => void): Promise<string> {
  const { rendererConfig, rendererOutDir, rendererRoot } = await import('../../renderer/vite.config.js');
  const index = path.join(rendererOutDir, 'index.html');
  const stale =
    !existsSync(index) ||
    newestMtime(rendererRoot) > statSync(index).mtimeMs ||
    newestMtime(path.resolve(rendererRoot, '../shared')) > statSync(index).mtimeMs;
  if (mode === 'always' || (mode === 'auto' && stale)) {
    log('Building the workbench (vite)…');
    const { build } = await import('vite');
    await build({ ...rendererConfig(), configFile: false });
  }
  return rendererOutDir;
}

export interface WebWorkbench {
  core: Core;
  server: RunningWebServer;
  close(): Promise<void>;
}

let quieted = false;
/** Fastify's deprecation notices (FST…) are for developers, not for the founder reading the start message. */
function quietFastifyDeprecations(): void {
  if (quieted) return;
  quieted = true;
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const code = (warning as { code?: string }).code ?? (rest[0] as { code?: string } | undefined)?.code ?? rest[1];
    if (/^FST/.test(String(code))) return;
    (emitWarning as (...a: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** The workbench over HTTP with a per-run random token: `uis web`, `npm start`'s fallback, the e2e tests. */
export async function startWebWorkbench(opts: {
  port?: number;
  host?: string;
  build?: 'auto' | 'always' | 'never';
  dataDir?: string;
  token?: string;
  log?: (l: string) => void;
}): Promise<WebWorkbench> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  quietFastifyDeprecations();
  const dir = opts.dataDir ?? dataDir(readEnv());
  const rendererDir = await ensureRendererBuilt(opts.build ?? 'auto', log);
  const core = createAppCore({ dataDir: dir, secretStore: new FileKeySecretStore(path.join(dir, 'secret.key'), log), runtime: 'web', log });
  const token = opts.token ?? randomBytes(24).toString('base64url');
  try {
    const server = await startWebServer({ core, token, rendererDir, port: opts.port, host: opts.host });
    return {
      core,
      server,
      async close() {
        await server.close();
        await core.close();
      },
    };
  } catch (err) {
    await core.close();
    throw err;
  }
}

/**
 * What `uis web` keeps between runs (<data dir>/web.json, mode 0600): its port and token, so the printed address and a
 * bookmark of it keep working across restarts.
 */
const WebState = z.object({ port: z.number().int().min(1).max(65535), token: z.string().min(16) });
type WebState = z.infer<typeof WebState>;

function readWebState(file: string): WebState | null {
  try {
    const r = WebState.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return r.success ? r.data : null;
  } catch {
    return null; // first run, or a damaged file: start afresh
  }
}

/** `uis web` with a stable address: --port, else UIS_WEB_PORT, else the last run's port (a free one if it is taken). */
async function startRemembered(opts: z.infer<typeof WebOptions>, log: (l: string) => void): Promise<WebWorkbench> {
  const env = readEnv();
  const dir = dataDir(env);
  const file = path.join(dir, 'web.json');
  const saved = readWebState(file);
  const token = !opts.newToken && saved ? saved.token : randomBytes(24).toString('base64url');
  const asked = opts.port ?? env.UIS_WEB_PORT;
  const start = (port: number) => startWebWorkbench({ port, host: opts.host, build: opts.build, dataDir: dir, token, log });
  let workbench: WebWorkbench;
  try {
    workbench = await start(asked ?? saved?.port ?? 0);
  } catch (err) {
    if (asked !== undefined || !saved || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    log(`Port ${saved.port} (the last run's) is taken; using a free one.`);
    workbench = await start(0);
  }
  writeFileSync(file, JSON.stringify({ port: Number(new URL(workbench.server.origin).port), token } satisfies WebState), { mode: 0o600 });
  return workbench;
}

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => {}); // no browser on this machine: the URL is printed anyway
  child.unref();
}

export function registerWebCommand(program: Command): void {
  program
    .command('web')
    .description('serve the workbench on http://127.0.0.1:<port> (same UI as the desktop app; demo data when nothing is configured)')
    .option('--port <port>', 'port to listen on (default: UIS_WEB_PORT, else the last run\'s port, else a free one)')
    .option('--new-token', 'replace the remembered access token (links and bookmarks with the old one stop working)')
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option('--open-browser <yes|no>', 'open the system browser (default yes)')
    .option('--build <auto|always|never>', 'rebuild the renderer bundle (default auto: when sources are newer)')
    .action(async (raw: Record<string, string | boolean | undefined>) => {
      const opts = parseOption(WebOptions, raw);
      const workbench = await startRemembered(opts, (l) => process.stderr.write(l + '\n'));
      console.log(`Workbench: ${workbench.server.url}`);
      if (opts.openBrowser === 'yes' && hasDisplay()) {
        openBrowser(workbench.server.url);
      }
      const stop = async () => {
        await workbench.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
