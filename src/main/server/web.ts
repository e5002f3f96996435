import { existsSync, readdirSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp.js';
import type { Core } from '../core/index.js';
import { buildServer } from './app.js';

export interface WebServerOptions {
  core: Core;
  token: string;
  rendererDir: string;
  port?: number;
  host?: string;
}

export interface RunningWebServer {
  app: FastifyInstance;
  /** http://host:port (no token). */
  origin: string;
  /** The address to open: the token travels in the fragment, which browsers never send to a server. */
  url: string;
  close(): Promise<void>;
}

/**
 * The renderer's static files at / (public: the page holds no data; every /rpc call needs the token), with the CSP
 * on every response. Used by web mode and by `uis serve` when the renderer is built.
 */
export async function registerRenderer(app: FastifyInstance, rendererDir: string): Promise<void> {
  app.addHook('onSend', async (_req, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });
  await app.register(fastifyStatic, {
    root: rendererDir,
    index: ['index.html'],
    wildcard: false,
    // Hashed bundles never change under their name: a returning founder's browser reuses them (and their compiled
    // code) without asking; index.html is always revalidated, so a new build is picked up at once.
    cacheControl: false,
    setHeaders: (res, file) => res.setHeader('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
}

/** The built renderer (out/renderer), or null when `npm run build` has not run. */
export function builtRendererDir(): string | null {
  const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../out/renderer');
  return existsSync(path.join(dir, 'index.html')) ? dir : null;
}

/**
 * The Host headers the workbench's server answers (against DNS rebinding: a page of another site whose name is made to
 * resolve to 127.0.0.1 reaches this port with its own name in Host). Its own address and the loopback names, on its
 * port; when bound to every interface (0.0.0.0, ::), any IP address too, since an address literal cannot be rebound.
 */
export function allowedHost(host: string | undefined, bound: string, port: number): boolean {
  if (!host) return false;
  let url: URL;
  try {
    url = new URL(`http://${host}`);
  } catch {
    return false;
  }
  if ((url.port || '80') !== String(port) || url.username || url.password || url.pathname !== '/' || url.search) return false;
  const name = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name === '127.0.0.1' || name === '::1' || name === bound.replace(/^\[(.*)\]$/, '$1').toLowerCase()) return true;
  return (bound === '0.0.0.0' || bound === '::') && isIP(name) !== 0;
}

/** Web mode: the renderer's static files (public) + /rpc (token-protected), on one fastify app. */
export async function startWebServer(opts: WebServerOptions): Promise<RunningWebServer> {
  if (!existsSync(path.join(opts.rendererDir, 'index.html'))) {
    throw new Error(`The workbench is not built: ${opts.rendererDir}/index.html is missing (run \`npm run build\`).`);
  }
  const host = opts.host ?? '127.0.0.1';
  let port = opts.port ?? 0; // the port bound when 0 (set below, before the first request can arrive)
  const app = await buildServer({
    workbenchToken: opts.token,
    core: opts.core,
    // The page and /rpc alike: a request for another name is answered 421 and nothing else.
    allowHost: {
      test: (h) => allowedHost(h, host, port),
      describe: () => `its own address (${host === '0.0.0.0' || host === '::' ? 'an IP address' : host}:${port}, localhost:${port})`,
    },
  });
  await registerRenderer(app, opts.rendererDir);
  await app.listen({ port, host });
  const address = app.server.address();
  port = typeof address === 'object' && address ? address.port : port;
  const origin = `http://${host}:${port}`;
  return {
    app,
    origin,
    url: `${origin}/#token=${encodeURIComponent(opts.token)}`,
    close: () => app.close(),
  };
}

/** Newest mtime under a folder (to decide whether the renderer bundle is older than its sources). */
export function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}
