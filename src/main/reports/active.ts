import { activeEngine } from '../analytics/active.js';
import type { CoreContext } from '../core/types.js';
import { activeWorkspace } from '../workspace/session.js';
import { engineSource, type MetricsSource } from './source.js';

/** The report source of the active workspace, for the reports and digest handlers. */
export async function activeReportSource(ctx: CoreContext): Promise<MetricsSource> {
  const { workspace } = await activeWorkspace(ctx);
  return engineSource(await activeEngine(ctx), workspace.name);
}
