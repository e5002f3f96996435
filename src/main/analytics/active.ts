import type { CoreContext } from '../core/types.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { activeWorkspace } from '../workspace/session.js';
import { AnalyticsEngine } from './engine.js';

/** One engine per open snapshot: a switch or a sync reopens the snapshot, and so gets a fresh engine. */
const engines = new WeakMap<Snapshot, AnalyticsEngine>();

/** The analytics engine of the active workspace. */
export async function activeEngine(ctx: CoreContext): Promise<AnalyticsEngine> {
  const { snapshot, columnar } = await activeWorkspace(ctx);
  let engine = engines.get(snapshot);
  if (!engine) engines.set(snapshot, (engine = new AnalyticsEngine(snapshot, {}, undefined, { columnar: columnar ?? undefined })));
  return engine;
}
