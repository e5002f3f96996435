import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startWebServer, type RunningWebServer } from '../../src/main/server/web.js';
import { tempCore } from './core-helpers.js';

const TOKEN = 'test-token-0123456789';
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function start(): Promise<{ server: RunningWebServer; core: ReturnType<typeof tempCore>['core'] }> {
  const t = tempCore();
  const rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-renderer-'));
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>x</title>');
  fs.mkdirSync(path.join(rendererDir, 'assets'));
  fs.writeFileSync(path.join(rendererDir, 'assets', 'boot-Ab12.js'), 'export {};');
  const server = await startWebServer({ core: t.core, token: TOKEN, rendererDir, port: 0 });
  cleanup.push(t.cleanup, () => server.close(), async () => fs.rmSync(rendererDir, { recursive: true, force: true }));
  return { server, core: t.core };
}

const post = (origin: string, channel: string, body: unknown, token = TOKEN) =>
  fetch(`${origin}/rpc/${channel}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('HTTP transport (/rpc)', () => {
  it('serves the page publicly with a strict CSP, and the token in the fragment only', async () => {
    const { server } = await start();
    const res = await fetch(server.origin + '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(server.url).toBe(`${server.origin}/#token=${TOKEN}`);
  });

  it('lets the browser keep hashed bundles and always revalidate the page', async () => {
    const { server } = await start();
    expect((await fetch(server.origin + '/')).headers.get('cache-control')).toBe('no-cache');
    const asset = await fetch(server.origin + '/assets/boot-Ab12.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('requires the token on every /rpc route', async () => {
    const { server } = await start();
    expect((await post(server.origin, 'app.info', {}, 'wrong-token-0123456789')).status).toBe(401);
    expect((await fetch(`${server.origin}/rpc/events`)).status).toBe(401);
    const ok = await post(server.origin, 'app.info', {});
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ runtime: 'web', secureStorage: false });
  });

  it('answers the error envelope {error, message} with the right status for unknown channels and bad input', async () => {
    const { server } = await start();
    const unknown = await post(server.origin, 'fs.readFile', { path: '/etc/passwd' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'unknown_channel', message: 'Unknown channel "fs.readFile"' });
    const bad = await post(server.origin, 'analytics.users', { limit: 'all' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_input', message: expect.stringContaining('limit') });
    const missing = await post(server.origin, 'jobs.get', { jobId: 'nope' });
    expect(missing.status).toBe(404);
  });

  it('pushes topics over Server-Sent Events', async () => {
    const { server, core } = await start();
    const controller = new AbortController();
    const res = await fetch(`${server.origin}/rpc/events?topics=jobs.update`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    await reader.read(); // ": connected"
    const id = core.ctx.jobs.start('noop', async () => 42);
    let text = '';
    while (!text.includes('"state":"succeeded"')) text += (await reader.read()).value ?? '';
    expect(text).toContain('event: jobs.update');
    expect(text).toContain(`"id":"${id}"`);
    controller.abort();
    const badTopic = await fetch(`${server.origin}/rpc/events?topics=secrets`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(badTopic.status).toBe(400);
  });
});
