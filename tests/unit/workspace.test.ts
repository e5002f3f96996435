import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testConnection } from '../../src/main/workspace/connection.js';
import { FileKeySecretStore } from '../../src/main/workspace/secrets.js';
import { WorkspaceError, WorkspaceStore } from '../../src/main/workspace/store.js';

const PASSWORD = 'Sup3r-s3cret';
const PG_URL = `postgres://founder:${PASSWORD}@db.example.com:5432/product`;

const dirs: string[] = [];
function tempStore() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-ws-'));
  dirs.push(dir);
  const warnings: string[] = [];
  const store = new WorkspaceStore(dir, new FileKeySecretStore(path.join(dir, 'secret.key'), (m) => warnings.push(m)));
  return { dir, store, warnings };
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('WorkspaceStore', () => {
  it('creates the demo workspace on first use', () => {
    const { store } = tempStore();
    expect(store.list()).toEqual([]);
    const active = store.getActive();
    expect(active).toMatchObject({ name: 'demo', kind: 'demo', active: true, pgUrl: null });
    expect(store.list().map((w) => w.name)).toEqual(['demo']);
  });

  it('keeps credentials sealed: never in clear on disk or in list(); the key file is 0600 with a warning', () => {
    const { dir, store, warnings } = tempStore();
    store.add({ name: 'prod', kind: 'postgres', pgUrl: PG_URL, redisUrl: `redis://:${PASSWORD}@cache:6379`, llm: { apiKey: 'sk-test-123', model: 'gpt-4o-mini' } });
    const onDisk = fs.readFileSync(path.join(dir, 'workspaces.json'), 'utf8');
    expect(onDisk).not.toContain(PASSWORD);
    expect(onDisk).not.toContain('sk-test-123');
    const listed = JSON.stringify(store.list());
    expect(listed).not.toContain(PASSWORD);
    expect(listed).not.toContain('sk-test-123');
    expect(store.get('prod')).toMatchObject({ pgUrl: 'postgres://founder:***@db.example.com:5432/product', llm: { model: 'gpt-4o-mini', hasApiKey: true } });
    expect(store.secretsOf('prod')).toEqual({ pgUrl: PG_URL, redisUrl: `redis://:${PASSWORD}@cache:6379`, llmApiKey: 'sk-test-123' });
    expect(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(warnings.join('\n')).toMatch(/no OS keychain/);
    // A second store on the same folder (another process) reads the same secrets.
    const again = new WorkspaceStore(dir, new FileKeySecretStore(path.join(dir, 'secret.key'), () => {}));
    expect(again.secretsOf('prod').pgUrl).toBe(PG_URL);
  });

  it('add / switch / remove, with errors that say what is wrong', () => {
    const { store } = tempStore();
    store.getActive();
    store.add({ name: 'prod', kind: 'postgres', pgUrl: PG_URL });
    expect(store.getActive().name).toBe('demo');
    expect(store.switch('prod').active).toBe(true);
    expect(store.getActive().name).toBe('prod');
    expect(() => store.add({ name: 'prod', kind: 'postgres', pgUrl: PG_URL })).toThrow(/already exists/);
    expect(() => store.add({ name: 'bad name!', kind: 'demo' })).toThrow(/name:/);
    expect(() => store.add({ name: 'nourl', kind: 'postgres' })).toThrow(/pgUrl: required/);
    expect(() => store.switch('nope')).toThrow(WorkspaceError);
    fs.mkdirSync(path.dirname(store.snapshotPath('prod')), { recursive: true });
    fs.writeFileSync(store.snapshotPath('prod'), 'x');
    store.remove('prod');
    expect(fs.existsSync(store.snapshotPath('prod'))).toBe(false);
    expect(store.getActive().name).toBe('demo');
  });
});

describe('testConnection', () => {
  it('reports each side and never echoes credentials', async () => {
    const r = await testConnection(`postgres://founder:${PASSWORD}@127.0.0.1:1/product`, `redis://:${PASSWORD}@127.0.0.1:1`, 2000);
    expect(r.ok).toBe(false);
    expect(r.postgres.ok).toBe(false);
    expect(r.postgres.message).toMatch(/^PostgreSQL: /);
    expect(r.redis).toMatchObject({ ok: false });
    expect(JSON.stringify(r)).not.toContain(PASSWORD);
  });
});
