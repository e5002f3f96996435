import { useState, type FormEvent } from 'react';
import { invoke, RpcError } from '../api/client.js';
import { useJob, useRpc } from '../api/hooks.js';
import { AiCard } from '../components/settings/AiCard.js';
import { Card, ErrorState, Loading, PageHeader } from '../components/ui.js';
import { age, dateTime, dayYear, countOf } from '../../../shared/format.js';
import { useWorkspace } from '../state/workspace.js';
import { DEMO_WORKSPACE, type ConnectionTest } from '../../../shared/metrics-workspace.js';

function TestResult({ test }: { test: ConnectionTest }) {
  return (
    <div className="test-result" data-testid="test-result">
      {[test.postgres, test.redis].filter(Boolean).map((c) => (
        <div key={c!.message} className={`banner ${c!.ok ? 'info' : 'bad'}`}>
          {c!.ok ? '✓' : '✕'} {c!.message}
        </div>
      ))}
    </div>
  );
}

function SyncPanel() {
  const { active } = useWorkspace();
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const job = useJob(jobId);
  const running = job?.state === 'running';
  const start = async () => {
    setError(null);
    try {
      setJobId((await invoke('workspace.sync', {})).jobId);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const snap = active.data?.snapshot;
  return (
    <div className="sync" data-testid="sync-panel">
      <dl className="facts compact">
        <dt>Snapshot</dt>
        <dd data-testid="snapshot-age">{snap?.lastSyncAt ? `synced ${age(snap.ageSeconds)} (${dateTime(snap.lastSyncAt)})` : 'never synced'}</dd>
        <dt>Contents</dt>
        <dd>{snap ? `${countOf(snap.counts.users, 'user')} · ${countOf(snap.counts.conversations, 'conversation')} · ${countOf(snap.counts.events, 'event')}` : '—'}</dd>
        <dt>Data through</dt>
        <dd>{dayYear(snap?.latestDay)}</dd>
      </dl>
      <div className="row">
        <button className="btn primary" onClick={start} disabled={running} data-testid="sync-now">
          {running ? 'Syncing…' : 'Sync now'}
        </button>
        {running && (
          <button className="btn danger" onClick={() => jobId && void invoke('jobs.cancel', { jobId })} data-testid="sync-cancel">
            Cancel
          </button>
        )}
      </div>
      {job && (
        <div className="job" data-testid="sync-job" data-state={job.state}>
          <div className="progress" aria-label="Sync progress" role="progressbar" aria-valuenow={Math.round((job.progress ?? 0) * 100)}>
            <div className={`progress-fill ${job.state}`} style={{ width: `${Math.round((job.progress ?? 0) * 100)}%` }} />
          </div>
          <div className="muted small">{job.message}</div>
        </div>
      )}
      {error && <div className="banner bad">{error}</div>}
    </div>
  );
}

function AddWorkspace({ onAdded }: { onAdded(): void }) {
  const [form, setForm] = useState({ name: '', pgUrl: '', redisUrl: '' });
  const [test, setTest] = useState<ConnectionTest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'test' | 'save' | null>(null);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const urls = () => ({ pgUrl: form.pgUrl.trim(), ...(form.redisUrl.trim() ? { redisUrl: form.redisUrl.trim() } : {}) });
  const runTest = async () => {
    setBusy('test');
    setError(null);
    setTest(null);
    try {
      setTest(await invoke('workspace.test', urls()));
    } catch (e) {
      setError((e as RpcError).message);
    } finally {
      setBusy(null);
    }
  };
  const save = async (ev: FormEvent) => {
    ev.preventDefault();
    setBusy('save');
    setError(null);
    try {
      // Its AI (LLM) is set in the AI card once it is the active workspace.
      const r = await invoke('workspace.add', { workspace: { name: form.name.trim(), kind: 'postgres', ...urls() }, activate: true });
      setTest(r.test);
      setForm({ name: '', pgUrl: '', redisUrl: '' });
      onAdded();
      // A new workspace starts empty: fill its snapshot right away.
      await invoke('workspace.sync', {}).catch(() => {});
    } catch (e) {
      setError((e as RpcError).message);
    } finally {
      setBusy(null);
    }
  };
  return (
    <form className="form" onSubmit={save} data-testid="add-workspace" autoComplete="off">
      <div className="form-grid">
        <label className="field">
          Name
          <input required value={form.name} onChange={set('name')} placeholder="production" data-testid="ws-name" />
        </label>
        <label className="field wide">
          PostgreSQL URL (read-only access is enough)
          <input required type="password" value={form.pgUrl} onChange={set('pgUrl')} placeholder="postgres://user:password@host:5432/db" data-testid="ws-pg" />
        </label>
        <label className="field wide">
          Redis URL (optional: live feed)
          <input type="password" value={form.redisUrl} onChange={set('redisUrl')} placeholder="redis://host:6379" data-testid="ws-redis" />
        </label>
      </div>
      <div className="row">
        <button type="button" className="btn" onClick={runTest} disabled={!form.pgUrl || busy !== null} data-testid="ws-test">
          {busy === 'test' ? 'Testing…' : 'Test connection'}
        </button>
        <button type="submit" className="btn primary" disabled={busy !== null} data-testid="ws-save">
          {busy === 'save' ? 'Connecting…' : 'Save and switch'}
        </button>
        <span className="muted small">Credentials are encrypted on this machine and never shown again.</span>
      </div>
      {test && <TestResult test={test} />}
      {error && (
        <div className="banner bad" role="alert" data-testid="add-error">
          {error}
        </div>
      )}
    </form>
  );
}

export default function SettingsPage() {
  const { active, version, health } = useWorkspace();
  const list = useRpc('workspace.list', {}, [version]);
  const [actionError, setActionError] = useState<string | null>(null);
  const act = async (fn: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await fn();
      list.reload();
    } catch (e) {
      setActionError((e as Error).message);
    }
  };
  const ws = active.data?.workspace;
  return (
    <>
      <PageHeader title="Settings" subtitle="Workspaces, connections, the local snapshot and the AI" />
      {list.data && !list.data.secureStorage && (
        <div className="banner warn" data-testid="keychain-warning">
          No OS keychain in use: credentials are encrypted with a key file on this machine. On a desktop with a keychain they are protected by it.
        </div>
      )}
      {actionError && <div className="banner bad">{actionError}</div>}
      <div className="grid grid-2">
        <Card title="Active workspace" subtitle={ws ? `${ws.name} · ${ws.kind === 'demo' ? 'built-in demo data' : 'PostgreSQL'}` : undefined}>
          {active.error && !active.data ? <ErrorState error={active.error} onRetry={active.reload} /> : !ws ? <Loading /> : (
            <>
              {ws.kind === 'postgres' && (
                <dl className="facts compact">
                  <dt>PostgreSQL</dt>
                  <dd className="mono">{ws.pgUrl}</dd>
                  <dt>Redis</dt>
                  <dd className="mono">{ws.redisUrl ?? '—'}</dd>
                </dl>
              )}
              {health && (
                <div className={`banner ${health.online ? 'info' : 'warn'}`} data-testid="health">
                  {health.online ? '● ' : '○ '}
                  {health.message}
                </div>
              )}
              <SyncPanel />
            </>
          )}
        </Card>
        <Card title="Workspaces">
          {!list.data ? <Loading /> : (
            <table className="data" data-testid="workspaces">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Source</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {list.data.workspaces.map((w) => (
                  <tr key={w.name} data-testid={`workspace-${w.name}`}>
                    <td>
                      <strong>{w.name}</strong> {w.active && <span className="badge good">active</span>}
                    </td>
                    <td className="mono small ellipsis fill" title={w.pgUrl ?? undefined}>{w.kind === 'demo' ? 'demo data' : w.pgUrl}</td>
                    <td className="actions">
                      {!w.active && (
                        <button className="btn small" onClick={() => act(() => invoke('workspace.switch', { name: w.name }))}>
                          Switch
                        </button>
                      )}
                      <button
                        className="btn small danger"
                        onClick={() => window.confirm(`Remove workspace “${w.name}” and its local snapshot?`) && act(() => invoke('workspace.remove', { name: w.name }))}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {list.data && !list.data.workspaces.some((w) => w.kind === 'demo') && (
            <div className="row-actions">
              <span className="muted small">The demo workspace was removed.</span>
              <button className="btn small" onClick={() => act(() => invoke('workspace.add', { workspace: { name: DEMO_WORKSPACE, kind: 'demo' }, activate: false }))}>
                Restore demo
              </button>
            </div>
          )}
        </Card>
      </div>
      {ws && <AiCard workspace={ws.name} />}
      <Card title="Add a workspace" subtitle="Connect your production PostgreSQL (and Redis for the live feed). The workbench only reads.">
        <AddWorkspace onAdded={list.reload} />
      </Card>
    </>
  );
}
