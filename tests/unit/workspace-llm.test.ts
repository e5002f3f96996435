import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecretStore } from '../../src/main/workspace/secrets.js';
import { resolveLlm } from '../../src/main/workspace/llm.js';
import { WorkspaceStore } from '../../src/main/workspace/store.js';

/** The store's LLM settings and the one resolution over the environment defaults. */
const KEY = 'sk-unit-Secr3t';
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Stands in for the desktop app's safeStorage store: records what it was asked to seal. */
class KeychainLike implements SecretStore {
  readonly osBacked = true;
  sealed: string[] = [];
  encrypt(plain: string): string {
    this.sealed.push(plain);
    return `kc:${Buffer.from(plain).toString('base64')}`;
  }
  decrypt(s: string): string {
    return Buffer.from(s.slice(3), 'base64').toString('utf8');
  }
}

function store(secrets = new KeychainLike()) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-ws-llm-'));
  dirs.push(dir);
  const s = new WorkspaceStore(dir, secrets);
  s.getActive();
  return { s, secrets, dir };
}

describe('workspace LLM settings', () => {
  it('the key and base URL are sealed by the workspace secret store (the OS keychain in the desktop app), never written in clear', () => {
    const { s, secrets, dir } = store();
    const summary = s.setLlm('demo', { baseUrl: 'http://u:pw-9x@127.0.0.1:9/v1', model: 'm', apiKey: KEY });
    expect(secrets.sealed).toEqual(expect.arrayContaining([KEY, 'http://u:pw-9x@127.0.0.1:9/v1']));
    expect(summary.llm).toEqual({ baseUrl: 'http://u:***@127.0.0.1:9/v1', model: 'm', hasApiKey: true });
    const file = fs.readFileSync(path.join(dir, 'workspaces.json'), 'utf8');
    expect(file).not.toContain(KEY);
    expect(file).not.toContain('pw-9x');
    expect(s.secretsOf('demo').llmApiKey).toBe(KEY);
    // absent keeps, null clears
    expect(s.setLlm('demo', { model: 'n' }).llm).toEqual({ baseUrl: 'http://u:***@127.0.0.1:9/v1', model: 'n', hasApiKey: true });
    expect(s.setLlm('demo', { apiKey: null, baseUrl: null }).llm).toEqual({ baseUrl: null, model: 'n', hasApiKey: false });
    expect(s.secretsOf('demo')).toMatchObject({ llmApiKey: null, llmBaseUrl: null });
  });

  it('refuses a bad value naming the field', () => {
    const { s } = store();
    expect(() => s.setLlm('demo', { baseUrl: 'file:///etc/passwd' })).toThrow(/baseUrl/);
    expect(() => s.setLlm('demo', { apiKey: '' })).toThrow(/apiKey/);
    expect(s.get('demo').llm).toEqual({ baseUrl: null, model: null, hasApiKey: false });
  });
});

describe('resolveLlm: the workspace over the environment over the defaults', () => {
  const env = { OPENAI_BASE_URL: 'http://env-host:1/v1', OPENAI_API_KEY: 'sk-env', UIS_MODEL: 'env-model' };

  it('nothing anywhere: no LLM', () => {
    expect(resolveLlm(store().s, undefined, { env: {} }).config).toBeNull();
  });

  it('environment only: its values, marked as such', () => {
    const r = resolveLlm(store().s, 'demo', { env });
    expect(r.config).toMatchObject({ baseURL: env.OPENAI_BASE_URL, apiKey: 'sk-env', model: 'env-model' });
    expect(r.effective.from).toEqual({ baseUrl: 'environment', model: 'environment', apiKey: 'environment' });
  });

  it('the workspace wins field by field; the env key is not sent to a base URL the workspace chose', () => {
    const { s } = store();
    s.setLlm('demo', { model: 'ws-model' });
    expect(resolveLlm(s, 'demo', { env }).config).toMatchObject({ baseURL: env.OPENAI_BASE_URL, apiKey: 'sk-env', model: 'ws-model' });
    s.setLlm('demo', { baseUrl: 'http://127.0.0.1:11434/v1' });
    const local = resolveLlm(s, 'demo', { env });
    expect(local.config).toMatchObject({ baseURL: 'http://127.0.0.1:11434/v1', apiKey: 'not-needed', model: 'ws-model' });
    expect(local.effective).toMatchObject({ hasApiKey: false, from: { baseUrl: 'workspace', model: 'workspace', apiKey: 'default' } });
    s.setLlm('demo', { apiKey: KEY });
    expect(resolveLlm(s, 'demo', { env }).config?.apiKey).toBe(KEY);
    // unsaved values over the saved ones (the card's Test)
    expect(resolveLlm(s, 'demo', { env, override: { model: 'typed', apiKey: null } }).config).toMatchObject({ model: 'typed', apiKey: 'not-needed' });
    expect(JSON.stringify(resolveLlm(s, 'demo', { env }).effective)).not.toContain(KEY);
  });

  it('a bad environment value is named, never shown', () => {
    expect(() => resolveLlm(store().s, 'demo', { env: { OPENAI_BASE_URL: 'not a url sk-hidden' } })).toThrow(/^OPENAI_BASE_URL/);
    expect(() => resolveLlm(store().s, 'demo', { env: { OPENAI_BASE_URL: 'not a url sk-hidden' } })).not.toThrow(/sk-hidden/);
  });
});
