import { useEffect, useState, type ChangeEvent } from 'react';
import { invoke, RpcError } from '../api/client.js';
import { useJob, useRpc } from '../api/hooks.js';
import { Card, ErrorState, Loading, PageHeader } from '../components/ui.js';
import type { ReportExportResult } from '../../../shared/api/reports.js';
import type { ReportFormat } from '../../../shared/report.js';

/** The look of label.field for a group of controls that is not a single input. */
const FIELD_STYLE = { display: 'flex', flexDirection: 'column', gap: 4, fontSize: 12, color: 'var(--text-2)', fontWeight: 500 } as const;

const FORMATS: { id: ReportFormat; label: string; hint: string }[] = [
  { id: 'pdf', label: 'PDF', hint: 'Investor-ready document with charts' },
  { id: 'md', label: 'Markdown', hint: 'Paste into an update e-mail' },
  { id: 'csv', label: 'CSV (zip)', hint: 'Every table, one file each' },
  { id: 'html', label: 'HTML', hint: 'Self-contained page with charts' },
];

/** Saves bytes from the core as a file: a Blob and an <a download>, which works over IPC and HTTP alike. */
function saveFile(fileName: string, mimeType: string, base64: string): void {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: mimeType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function kb(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function CompanySettings() {
  const settings = useRpc('reports.settings', {});
  const [name, setName] = useState('');
  const [message, setMessage] = useState<{ tone: 'info' | 'bad'; text: string } | null>(null);
  useEffect(() => {
    if (settings.data) setName(settings.data.companyName);
  }, [settings.data]);
  const save = async (patch: { companyName?: string; logoDataUrl?: string | null }) => {
    setMessage(null);
    try {
      await invoke('reports.saveSettings', patch);
      settings.reload();
      setMessage({ tone: 'info', text: 'Saved.' });
    } catch (e) {
      setMessage({ tone: 'bad', text: (e as RpcError).message });
    }
  };
  const onLogo = (ev: ChangeEvent<HTMLInputElement>) => {
    const file = ev.target.files?.[0];
    if (!file) return;
    if (file.size > 512 * 1024) return setMessage({ tone: 'bad', text: 'The logo must be 512 KB or smaller.' });
    const reader = new FileReader();
    reader.onload = () => void save({ logoDataUrl: String(reader.result) });
    reader.readAsDataURL(file);
  };
  if (settings.error) return <ErrorState error={settings.error} onRetry={settings.reload} />;
  return (
    <div className="form" data-testid="report-settings">
      <div className="form-grid" style={{ gridTemplateColumns: '1fr 1fr' }}>
        <label className="field">
          Company name (title page)
          <input value={name} maxLength={120} onChange={(e) => setName(e.target.value)} data-testid="company-name" />
        </label>
        <label className="field">
          Logo (PNG, JPEG, SVG; max 512 KB)
          <input type="file" accept="image/png,image/jpeg,image/svg+xml,image/webp,image/gif" onChange={onLogo} data-testid="company-logo" />
        </label>
      </div>
      <div style={{ marginTop: 10 }}>
        {settings.data?.logoDataUrl ? (
          <div className="row">
            <img src={settings.data.logoDataUrl} alt="Company logo" style={{ maxHeight: 40, maxWidth: 160 }} />
            <button className="link-btn" onClick={() => void save({ logoDataUrl: null })}>
              Remove logo
            </button>
          </div>
        ) : (
          <span className="muted small">No logo: the title page shows the name only.</span>
        )}
      </div>
      <div className="row" style={{ marginTop: 12 }}>
        <button className="btn" onClick={() => void save({ companyName: name })} disabled={!name.trim() || name === settings.data?.companyName} data-testid="save-settings">
          Save
        </button>
        {message && (
          <span className={message.tone === 'bad' ? 'warn-text' : 'muted small'} data-testid="settings-message">
            {message.text}
          </span>
        )}
      </div>
    </div>
  );
}

function ExportPanel() {
  const [format, setFormat] = useState<ReportFormat>('pdf');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [narrative, setNarrative] = useState(false);
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [downloaded, setDownloaded] = useState<string | null>(null);
  const job = useJob(jobId);
  const running = job?.state === 'running';
  const result = job?.state === 'succeeded' ? (job.result as ReportExportResult | undefined) : undefined;

  const start = async () => {
    setError(null);
    setDownloaded(null);
    try {
      const r = await invoke('reports.export', { format, narrative, ...(since ? { since } : {}), ...(until ? { until } : {}) });
      setJobId(r.jobId);
    } catch (e) {
      setError((e as RpcError).message);
    }
  };
  const download = async (fileName: string) => {
    try {
      const f = await invoke('reports.download', { fileName });
      saveFile(f.fileName, f.mimeType, f.base64);
      setDownloaded(f.fileName);
    } catch (e) {
      setError((e as RpcError).message);
    }
  };
  // Download as soon as the export is done: the file is what the founder asked for.
  useEffect(() => {
    if (result?.fileName) void download(result.fileName);
  }, [result?.fileName]);

  return (
    <div data-testid="export-panel">
      <div className="form-grid">
        <label className="field">
          From (first day)
          <input type="date" value={since} max={until || undefined} onChange={(e) => setSince(e.target.value)} data-testid="report-since" />
        </label>
        <label className="field">
          To (last day)
          <input type="date" value={until} min={since || undefined} onChange={(e) => setUntil(e.target.value)} data-testid="report-until" />
        </label>
        <div style={FIELD_STYLE}>
          <span id="report-format-label">Format</span>
          <div className="seg" role="radiogroup" aria-labelledby="report-format-label" style={{ alignSelf: 'flex-start' }}>
            {FORMATS.map((f) => (
              <button key={f.id} className={`seg-btn${format === f.id ? ' on' : ''}`} role="radio" aria-checked={format === f.id} title={f.hint} onClick={() => setFormat(f.id)} data-testid={`format-${f.id}`}>
                {f.label}
              </button>
            ))}
          </div>
        </div>
      </div>
      <p className="muted small">
        Empty dates: the 30 days ending on the last day with data. Every number is compared with the same number of days before. {FORMATS.find((f) => f.id === format)!.hint}.
      </p>
      <label className="row small" style={{ marginTop: 8 }}>
        <input type="checkbox" checked={narrative} onChange={(e) => setNarrative(e.target.checked)} data-testid="report-narrative" />
        Add an AI-written summary (needs an LLM in the workspace settings; left out if it states a number that is not in the report)
      </label>
      <div className="row" style={{ marginTop: 12 }}>
        <button className="btn primary" onClick={() => void start()} disabled={running} data-testid="report-export">
          {running ? 'Exporting…' : `Export ${FORMATS.find((f) => f.id === format)!.label}`}
        </button>
        {running && (
          <button className="btn danger" onClick={() => jobId && void invoke('jobs.cancel', { jobId })} data-testid="report-cancel">
            Cancel
          </button>
        )}
      </div>
      {job && (
        <div className="job" data-testid="report-job" data-state={job.state}>
          <div className="progress" aria-label="Export progress" role="progressbar" aria-valuenow={Math.round((job.progress ?? 0) * 100)}>
            <div className={`progress-fill ${job.state}`} style={{ width: `${Math.round((job.progress ?? 0) * 100)}%` }} />
          </div>
          <div className="muted small" data-testid="report-job-message">
            {job.state === 'cancelled' ? 'Cancelled: no file was written.' : job.state === 'failed' ? `Failed: ${job.error?.message ?? job.message}` : job.message}
          </div>
        </div>
      )}
      {result && (
        <div className="banner info" data-testid="report-result">
          ✓ {result.fileName} ({kb(result.bytes)}), {result.period.since} – {result.period.until}.{' '}
          <button className="link-btn" onClick={() => void download(result.fileName)}>
            {downloaded ? 'Download again' : 'Download'}
          </button>
          {result.warnings.map((w) => (
            <div key={w} className="muted small">
              {w}
            </div>
          ))}
        </div>
      )}
      {error && <div className="banner bad">{error}</div>}
    </div>
  );
}

function ReportPreview() {
  const [range, setRange] = useState<{ since?: string; until?: string } | null>(null);
  const preview = useRpc('reports.preview', range);
  return (
    <div data-testid="report-preview">
      {!range ? (
        <button className="btn" onClick={() => setRange({})} data-testid="report-preview-open">
          Preview the last 30 days
        </button>
      ) : preview.loading ? (
        <Loading label="Computing the report…" />
      ) : preview.error ? (
        <ErrorState error={preview.error} onRetry={preview.reload} />
      ) : preview.data ? (
        // No scripts in the frame: the preview is the report's tables; the exports carry the charts.
        <iframe title="Report preview" sandbox="" srcDoc={preview.data.html} style={{ width: '100%', height: 640, border: '1px solid var(--border)', borderRadius: 8, background: '#fff' }} data-testid="report-preview-frame" />
      ) : null}
    </div>
  );
}

function DigestPreview() {
  const [kind, setKind] = useState<'daily' | 'weekly'>('daily');
  const digest = useRpc('reports.digestPreview', { kind });
  return (
    <div data-testid="digest-preview">
      <div className="row">
        <div className="seg" role="radiogroup" aria-label="Digest">
          {(['daily', 'weekly'] as const).map((k) => (
            <button key={k} className={`seg-btn${kind === k ? ' on' : ''}`} role="radio" aria-checked={kind === k} onClick={() => setKind(k)} data-testid={`digest-${k}`}>
              {k === 'daily' ? 'Daily' : 'Weekly'}
            </button>
          ))}
        </div>
        {digest.data && (
          <span className={digest.data.smtpConfigured ? 'badge good' : 'badge warn'} data-testid="digest-smtp">
            {digest.data.smtpConfigured ? 'Scheduled by uis serve' : 'Not scheduled: set SMTP_URL and UIS_DIGEST_TO for uis serve'}
          </span>
        )}
      </div>
      {digest.loading && <Loading label="Building the digest…" />}
      {digest.error && <ErrorState error={digest.error} onRetry={digest.reload} />}
      {digest.data && (
        <>
          <div className="mini-title">Subject</div>
          <div className="strong" data-testid="digest-subject">
            {digest.data.subject}
          </div>
          <iframe title="Digest preview" sandbox="" srcDoc={digest.data.html} style={{ width: '100%', height: 560, border: '1px solid var(--border)', borderRadius: 8, marginTop: 10, background: '#f9fafb' }} data-testid="digest-frame" />
        </>
      )}
    </div>
  );
}

export default function ReportsPage() {
  return (
    <>
      <PageHeader title="Reports" subtitle="Investor-ready reports and the insights e-mail, from the same numbers as the dashboard." />
      <Card title="Export a report" subtitle="Title page, executive summary with change, PMF scorecard, journey, retention, growth, use cases, credits, blockers and requests.">
        <ExportPanel />
      </Card>
      <div className="grid grid-2">
        <Card title="Title page" subtitle="Shown on every export.">
          <CompanySettings />
        </Card>
        <Card title="Report preview" subtitle="The report's content as it will read (charts in the exports).">
          <ReportPreview />
        </Card>
      </div>
      <Card title="Insights e-mail" subtitle="What changed since the previous day or week: key numbers, PMF verdict changes, new blockers and requests, hot leads, anomalies.">
        <DigestPreview />
      </Card>
    </>
  );
}
