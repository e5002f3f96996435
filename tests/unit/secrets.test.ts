import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempCore } from './core-helpers.js';

const PASSWORD = 'S3cr3t-p4ss';
const PG_URL = `postgres://founder:${PASSWORD}@127.0.0.1:1/product`;

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

describe('secrets never reach the renderer', () => {
  it('a workspace whose connection fails is not saved; the error names the problem without the password', async () => {
    const logs: string[] = [];
    const t = tempCore({ log: (l) => logs.push(l) });
    cleanup.push(t.cleanup);
    const before = await t.core.invoke('workspace.active', {});
    const r = await t.core.dispatch('workspace.add', { workspace: { name: 'prod', kind: 'postgres', pgUrl: PG_URL } });
    expect(r).toMatchObject({ ok: false, error: { code: 'connection_failed' } });
    expect(!r.ok && r.error.message).toMatch(/PostgreSQL: .*ECONNREFUSED/);
    expect(JSON.stringify(r)).not.toContain(PASSWORD);
    const after = await t.core.invoke('workspace.active', {});
    expect(after.workspace.name).toBe('demo');
    expect(after.snapshot.counts).toEqual(before.snapshot.counts);
    expect(logs.join('\n')).not.toContain(PASSWORD);
  });

  it('a saved workspace is listed with a redacted URL and sealed on disk', async () => {
    const t = tempCore();
    cleanup.push(t.cleanup);
    // Save without the connection test (WorkspaceStore directly), as a workspace saved while the server was up.
    const { workspaceStore } = await import('../../src/main/workspace/session.js');
    const store = await workspaceStore(t.core.ctx);
    store.add({ name: 'prod', kind: 'postgres', pgUrl: PG_URL, redisUrl: `redis://:${PASSWORD}@127.0.0.1:1`, llm: { apiKey: 'sk-' + PASSWORD } });
    const outputs = [
      await t.core.dispatch('workspace.list', {}),
      await t.core.dispatch('workspace.switch', { name: 'prod' }),
      await t.core.dispatch('workspace.test', { name: 'prod' }),
      await t.core.dispatch('workspace.health', {}),
      await t.core.dispatch('workspace.active', {}),
    ];
    const text = JSON.stringify(outputs);
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain('postgres://founder:***@127.0.0.1:1/product');
    expect(outputs[0]).toMatchObject({ ok: true, value: { workspaces: expect.arrayContaining([expect.objectContaining({ name: 'prod', llm: expect.objectContaining({ hasApiKey: true }) })]) } });
    expect(outputs[3]).toMatchObject({ ok: true, value: { online: false } });
    for (const f of fs.readdirSync(t.dir)) {
      const p = path.join(t.dir, f);
      if (fs.statSync(p).isFile()) expect(fs.readFileSync(p, 'utf8'), f).not.toContain(PASSWORD);
    }
  });
});
