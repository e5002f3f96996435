import type { analyticsChannels } from '../../shared/api/analytics.js';
import { CoreError } from './errors.js';
import type { HandlersFor } from './types.js';
import { activeEngine } from './workspace.js';

/** analytics.*: thin wrappers over the AnalyticsEngine of the active workspace (the engine owns every definition). */
export const analyticsHandlers: HandlersFor<typeof analyticsChannels> = {
  'analytics.dashboard': async ({ filters }, ctx) => (await activeEngine(ctx)).dashboard(filters),
  'analytics.filterOptions': async (_input, ctx) => (await activeEngine(ctx)).filterOptions(),
  'analytics.users': async (query, ctx) => (await activeEngine(ctx)).listUsers(query),
  'analytics.user': async ({ userId }, ctx) => {
    const detail = (await activeEngine(ctx)).userDetail(userId);
    if (!detail) throw new CoreError('not_found', `No user "${userId}" in this workspace`);
    return detail;
  },
};
