import { generateDemo, type DemoOptions } from '../demo/generate.js';
import { writeDemoToSnapshot } from '../demo/sinks.js';
import { openSnapshot, type Snapshot } from '../snapshot/snapshot.js';
import type { WorkspaceSummary } from '../../shared/metrics-workspace.js';
import type { WorkspaceStore } from './store.js';

/**
 * Opens a workspace's snapshot (the active one by default). The demo workspace fills its snapshot on first open,
 * so a newcomer gets a full dashboard with nothing configured.
 */
export function openWorkspaceSnapshot(
  store: WorkspaceStore,
  name?: string,
  demo: DemoOptions = {},
): { workspace: WorkspaceSummary; snapshot: Snapshot } {
  const workspace = name ? store.get(name) : store.getActive();
  const snapshot = openSnapshot(workspace.snapshotPath);
  try {
    if (workspace.kind === 'demo' && snapshot.info().counts.events === 0) writeDemoToSnapshot(snapshot, generateDemo(demo));
  } catch (err) {
    snapshot.close();
    throw err;
  }
  return { workspace, snapshot };
}
