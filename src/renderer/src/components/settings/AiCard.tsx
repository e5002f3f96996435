import { useState, type FormEvent } from 'react';
import { invoke, RpcError } from '../../api/client.js';
import { useRpc } from '../../api/hooks.js';
import { Card, ErrorState, Loading } from '../ui.js';
import type { EffectiveLlm, LlmTestResult } from '../../../../shared/metrics-workspace.js';

const SECURE_NOTE = 'The key is encrypted on this machine (the OS keychain in the desktop app) and never shown again.';
const ORIGIN: Record<EffectiveLlm['from']['baseUrl'], string> = { workspace: 'set here', environment: 'from the environment', default: 'default' };

/**
 * Settings → AI: the one place the active workspace's LLM is set (Intelligence, Ask, report narratives, the digest
 * and the CLI all use it). The key is write-only: the card shows whether one is saved, and can clear it.
 */
export function AiCard({ workspace }: { workspace: string }) {
  const state = useRpc('llm.get', {}, [workspace]);
  const [form, setForm] = useState({ baseUrl: '', model: '', apiKey: '' });
  const [busy, setBusy] = useState<'save' | 'test' | 'clear' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [test, setTest] = useState<LlmTestResult | null>(null);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  // Only the fields typed in: an empty field keeps what is saved.
  const typed = () => ({
    ...(form.baseUrl.trim() ? { baseUrl: form.baseUrl.trim() } : {}),
    ...(form.model.trim() ? { model: form.model.trim() } : {}),
    ...(form.apiKey ? { apiKey: form.apiKey } : {}),
  });
  const run = async (kind: 'save' | 'test' | 'clear', fn: () => Promise<void>) => {
    setBusy(kind);
    setError(null);
    setSaved(null);
    try {
      await fn();
    } catch (e) {
      setError((e as RpcError).message);
    } finally {
      setBusy(null);
    }
  };
  const save = (ev: FormEvent) => {
    ev.preventDefault();
    void run('save', async () => {
      await invoke('workspace.setLlm', typed());
      setForm({ baseUrl: '', model: '', apiKey: '' });
      setSaved('Saved. Intelligence, Ask and report narratives use it from now on.');
      state.reload();
    });
  };
  const clear = (field: 'baseUrl' | 'model' | 'apiKey') =>
    void run('clear', async () => {
      await invoke('workspace.setLlm', { [field]: null });
      setTest(null);
      state.reload();
    });
  const runTest = () =>
    void run('test', async () => {
      setTest(null);
      setTest(await invoke('llm.test', typed()));
    });

  const ws = state.data?.workspace;
  const eff = state.data?.effective;
  return (
    <Card title="AI" subtitle={`The LLM of workspace ${workspace}: Intelligence, Ask, report narratives and the CLI use it. Any OpenAI-compatible server.`}>
      {state.error && !state.data ? <ErrorState error={state.error} onRetry={state.reload} /> : !ws || !eff ? <Loading /> : (
        <form className="form" onSubmit={save} data-testid="ai-card" autoComplete="off">
          <dl className="facts compact" data-testid="ai-effective">
            <dt>In use</dt>
            <dd data-testid="ai-status">{eff.configured ? <span className="badge good">configured</span> : <span className="badge">not set up</span>}</dd>
            <dt>Base URL</dt>
            <dd>
              <span className="mono small">{eff.baseUrl ?? 'https://api.openai.com/v1'}</span> <span className="muted small">({ORIGIN[eff.from.baseUrl]})</span>
              {ws.llm.baseUrl && (
                <button type="button" className="btn small ghost" onClick={() => clear('baseUrl')} disabled={busy !== null} data-testid="ai-clear-baseUrl">
                  Clear
                </button>
              )}
            </dd>
            <dt>Model</dt>
            <dd>
              <span className="mono small">{eff.model}</span> <span className="muted small">({ORIGIN[eff.from.model]})</span>
              {ws.llm.model && (
                <button type="button" className="btn small ghost" onClick={() => clear('model')} disabled={busy !== null} data-testid="ai-clear-model">
                  Clear
                </button>
              )}
            </dd>
            <dt>API key</dt>
            <dd data-testid="ai-key-state">
              {ws.llm.hasApiKey ? 'saved (hidden)' : eff.hasApiKey ? 'from the environment (OPENAI_API_KEY)' : 'none'}
              {ws.llm.hasApiKey && (
                <button type="button" className="btn small ghost" onClick={() => clear('apiKey')} disabled={busy !== null} data-testid="ai-clear-key">
                  Clear key
                </button>
              )}
            </dd>
          </dl>
          <div className="form-grid">
            <label className="field wide">
              Base URL
              <input value={form.baseUrl} onChange={set('baseUrl')} placeholder={ws.llm.baseUrl ?? 'https://api.openai.com/v1 or http://127.0.0.1:11434/v1'} data-testid="ai-base-url" />
            </label>
            <label className="field">
              Model
              <input value={form.model} onChange={set('model')} placeholder={eff.model} data-testid="ai-model" />
            </label>
            <label className="field">
              API key
              <input type="password" value={form.apiKey} onChange={set('apiKey')} placeholder={ws.llm.hasApiKey ? 'saved; type to replace' : 'sk-… (not needed for a local server)'} data-testid="ai-key" />
            </label>
          </div>
          <div className="row">
            <button type="submit" className="btn primary" disabled={busy !== null || !Object.keys(typed()).length} data-testid="ai-save">
              {busy === 'save' ? 'Saving…' : 'Save'}
            </button>
            <button type="button" className="btn" onClick={runTest} disabled={busy !== null} data-testid="ai-test">
              {busy === 'test' ? 'Testing…' : 'Test'}
            </button>
            <span className="muted small">
              Empty fields keep what is saved; the environment (OPENAI_BASE_URL, OPENAI_API_KEY, UIS_MODEL) gives the defaults. {SECURE_NOTE}
            </span>
          </div>
          {test && (
            <div className={`banner ${test.ok ? 'info' : 'bad'}`} data-testid="ai-test-result" role="status">
              <span>
                {test.ok ? '✓ ' : '✕ '}
                {test.ok ? (
                  <>
                    <strong data-testid="ai-test-model">{test.model ?? test.requestedModel}</strong> answered from <span className="mono">{test.host}</span> in{' '}
                    <strong data-testid="ai-test-latency">{test.latencyMs} ms</strong>
                    {test.model && test.model !== test.requestedModel ? ` (asked for ${test.requestedModel})` : ''}
                  </>
                ) : (
                  test.message
                )}
              </span>
            </div>
          )}
          {saved && <div className="banner info" data-testid="ai-saved">{saved}</div>}
          {error && (
            <div className="banner bad" role="alert" data-testid="ai-error">
              {error}
            </div>
          )}
        </form>
      )}
    </Card>
  );
}

