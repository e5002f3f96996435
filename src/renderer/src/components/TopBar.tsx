import { age } from '../../../shared/format.js';
import { hrefTo } from '../router.js';
import { useWorkspace } from '../state/workspace.js';
import { FilterBar } from './FilterBar.js';

/** Workspace + snapshot age on the right, the global filters on the left (on pages that use them). */
export function TopBar({ showFilters }: { showFilters: boolean }) {
  const { active } = useWorkspace();
  const ws = active.data;
  return (
    <div className="topbar">
      {showFilters ? <FilterBar /> : <div />}
      <div className="spacer" />
      {ws && (
        <a className="ws-chip" href={hrefTo('settings')} title="Workspace settings" data-testid="workspace-chip">
          <span className={`dot ${ws.workspace.kind === 'demo' ? 'demo' : 'live'}`} aria-hidden />
          <span className="ws-name">{ws.workspace.name}</span>
          <span className="muted small">
            {ws.workspace.kind === 'demo' ? 'demo data' : `synced ${age(ws.snapshot.ageSeconds)}`}
          </span>
        </a>
      )}
    </div>
  );
}

/** Shown when the workspace's sources or the workbench server cannot be reached: the snapshot keeps working. */
export function OfflineBanner() {
  const { health, active } = useWorkspace();
  if (!health || health.online) return null;
  const snapshotAge = active.data?.snapshot.ageSeconds;
  return (
    <div className="banner warn" role="status" data-testid="offline-banner">
      <strong>{health.transportDown ? 'Workbench server not reachable.' : 'Offline: sources unreachable.'}</strong>
      <span>
        {health.transportDown ? 'Reconnecting…' : `Showing the local snapshot (synced ${age(snapshotAge)}). ${health.message}`}
      </span>
    </div>
  );
}
