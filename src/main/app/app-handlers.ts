import pkg from '../../../package.json' with { type: 'json' };
import type { appChannels } from '../../shared/api/app.js';
import type { HandlersFor } from '../core/types.js';

/** app.* and jobs.*: the core's own channels. */
export const appHandlers: HandlersFor<typeof appChannels> = {
  'app.info': async (_input, ctx) => ({
    name: 'User Intelligence System',
    version: pkg.version,
    runtime: ctx.runtime,
    platform: process.platform,
    secureStorage: ctx.secretStore.osBacked,
  }),
  'jobs.list': async (_input, ctx) => ctx.jobs.list(),
  'jobs.get': async ({ jobId }, ctx) => ctx.jobs.get(jobId),
  'jobs.cancel': async ({ jobId }, ctx) => ({ cancelled: ctx.jobs.cancel(jobId) }),
};
