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
    expect(store.secretsOf('prod')).toEqual({ pgUrl: PG_URL, redisUrl: `redis://:${PASSWORD}@cache:6379`, llmApiKey: 'sk-test-123', llmBaseUrl: null });
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

describe('WorkspaceStore: every credential form stays sealed', () => {
  // The secret in each place a connection string or an LLM base URL can carry one.
  const FORMS = {
    pgUrl: `postgres://founder:p@${PASSWORD}@db.example.com:5432/product?password=${PASSWORD}1&sslpassword=${PASSWORD}2`,
    redisUrl: `rediss://default:${PASSWORD}3@cache.example.com:6380/0?password=${PASSWORD}4`,
    llm: { baseUrl: `http://user:${PASSWORD}5@llm.local:8080/v1?api-key=${PASSWORD}6`, apiKey: `sk-${PASSWORD}7`, model: 'local' },
  };

  it('lists them redacted, keeps none in clear on disk, and gives them back whole to the core only', () => {
    const { dir, store } = tempStore();
    const added = store.add({ name: 'prod', kind: 'postgres', ...FORMS });
    const shown = [added, store.get('prod'), store.list(), store.switch('prod'), store.getActive()];
    for (const text of [JSON.stringify(shown), fs.readFileSync(path.join(dir, 'workspaces.json'), 'utf8')]) expect(text).not.toContain(PASSWORD);
    expect(added).toMatchObject({
      pgUrl: 'postgres://founder:***@db.example.com:5432/product?password=***&sslpassword=***',
      redisUrl: 'rediss://default:***@cache.example.com:6380/0?password=***',
      llm: { baseUrl: 'http://user:***@llm.local:8080/v1?api-key=***', model: 'local', hasApiKey: true },
    });
    expect(store.secretsOf('prod')).toEqual({ pgUrl: FORMS.pgUrl, redisUrl: FORMS.redisUrl, llmApiKey: FORMS.llm.apiKey, llmBaseUrl: FORMS.llm.baseUrl });
  });

  it('seals an LLM base URL that an older file kept in clear, on first read', () => {
    const { dir, store } = tempStore();
    store.add({ name: 'prod', kind: 'postgres', pgUrl: PG_URL });
    const file = path.join(dir, 'workspaces.json');
    const old = JSON.parse(fs.readFileSync(file, 'utf8')) as { workspaces: Array<Record<string, unknown>> };
    // As the previous version wrote it: base URL in clear, no redacted forms.
    for (const w of old.workspaces) {
      delete w.shown;
      w.llm = { baseUrl: FORMS.llm.baseUrl, model: 'local' };
    }
    fs.writeFileSync(file, JSON.stringify(old));
    expect(store.get('prod')).toMatchObject({ pgUrl: 'postgres://founder:***@db.example.com:5432/product', llm: { baseUrl: 'http://user:***@llm.local:8080/v1?api-key=***' } });
    expect(fs.readFileSync(file, 'utf8')).not.toContain(PASSWORD);
    expect(store.secretsOf('prod').llmBaseUrl).toBe(FORMS.llm.baseUrl);
  });

  it('refuses a URL whose password splits it elsewhere than meant, naming the field and not echoing it', () => {
    const { store } = tempStore();
    for (const [field, input] of [
      ['pgUrl', { pgUrl: `postgres://founder:ab#${PASSWORD}@db.example.com/product` }],
      ['pgUrl', { pgUrl: `postgres://founder:12/${PASSWORD}@db.example.com/product` }],
      ['redisUrl', { pgUrl: PG_URL, redisUrl: `redis://:12#${PASSWORD}@cache:6379` }],
      ['llm.baseUrl', { pgUrl: PG_URL, llm: { baseUrl: `file:///${PASSWORD}` } }],
    ] as const) {
      let message = '';
      try {
        store.add({ name: 'bad', kind: 'postgres', ...input });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, field).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
      expect(message).not.toContain(PASSWORD);
    }
    expect(store.list().map((w) => w.name)).not.toContain('bad');
  });
});

describe('the "no OS keychain" warning', () => {
  it('is said when a secret is saved, once, and not when a workspace is only read', () => {
    const { dir, store, warnings } = tempStore();
    store.getActive();
    expect(warnings).toEqual([]);
    store.add({ name: 'prod', kind: 'postgres', pgUrl: PG_URL });
    store.add({ name: 'staging', kind: 'postgres', pgUrl: PG_URL });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no OS keychain/);
    // Another run of the CLI: it lists, opens and uses the saved workspace without saving anything.
    const later: string[] = [];
    const again = new WorkspaceStore(dir, new FileKeySecretStore(path.join(dir, 'secret.key'), (m) => later.push(m)));
    again.list();
    again.getActive();
    again.switch('prod');
    expect(again.secretsOf('prod').pgUrl).toBe(PG_URL);
    expect(later).toEqual([]);
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
