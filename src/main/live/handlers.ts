import type { liveChannels } from '../../shared/api/live.js';
import { readEnv } from '../config.js';
import { CoreError, type CoreContext, type HandlersFor } from '../core/index.js';
import { activeWorkspace, workspaceStore } from '../workspace/session.js';
import { createRedis } from '../stream/redis.js';
import { LiveService, type LiveSourceConfig } from './service.js';

const KEY = 'live.service';

/** Demo user ids from the demo snapshot, so a click on a simulated event opens a real drill-down. */
async function demoUsers(ctx: CoreContext): Promise<string[]> {
  try {
    const { snapshot } = await activeWorkspace(ctx);
    return (snapshot.db.prepare('SELECT user_id FROM users ORDER BY user_id LIMIT 500').all() as Array<{ user_id: string }>).map((r) => r.user_id);
  } catch {
    return [];
  }
}

/** The live feed of the active workspace; recreated when the workspace changes. */
async function liveService(ctx: CoreContext): Promise<LiveService> {
  const store = await workspaceStore(ctx);
  const active = store.getActive();
  const get = () => ctx.resource<{ workspace: string; service: LiveService }>(KEY, () => build(ctx, active.name, active.kind), (v) => v.service.close());
  const current = await get();
  if (current.workspace === active.name) return current.service;
  await ctx.dropResource(KEY);
  return (await get()).service;
}

async function build(ctx: CoreContext, workspace: string, kind: 'demo' | 'postgres'): Promise<{ workspace: string; service: LiveService }> {
  let config: LiveSourceConfig;
  if (kind === 'demo') {
    config = { mode: 'demo', users: await demoUsers(ctx) };
  } else {
    const { redisUrl } = (await workspaceStore(ctx)).secretsOf(workspace);
    if (redisUrl) {
      const env = readEnv();
      const redis = createRedis(redisUrl, { cluster: env.UIS_REDIS_CLUSTER, timeoutMs: env.UIS_REDIS_TIMEOUT_MS });
      config = { mode: 'redis', redis, keyPrefix: env.UIS_REDIS_PREFIX };
      // The tails open their own connections (duplicates); this one only served as their template.
      setTimeout(() => redis.disconnect(), 1000).unref();
    } else {
      config = { mode: 'none', message: `Workspace "${workspace}" has no Redis URL: add one in Settings to see live events.` };
    }
  }
  const service = new LiveService(config, (batch) => ctx.publish('live.batch', batch));
  service.start();
  return { workspace, service };
}

export const liveHandlers: HandlersFor<typeof liveChannels> = {
  'live.recent': async ({ limit }, ctx) => {
    const s = await liveService(ctx);
    return { seq: s.feed.lastSeq, items: s.feed.recent(limit), stats: s.feed.stats(), status: s.status() };
  },
  'live.subscribe': async ({ kind, name }, ctx) => {
    const s = await liveService(ctx);
    if (s.status().mode !== 'redis') throw new CoreError('unavailable', 'Pub/sub channels need a workspace with a Redis URL; the demo workspace has none.');
    await s.subscribe(kind, name).catch((err: Error) => {
      throw new CoreError('unavailable', `Could not subscribe to ${kind} "${name}": ${err.message}`);
    });
    return s.status();
  },
  'live.unsubscribe': async ({ kind, name }, ctx) => {
    const s = await liveService(ctx);
    await s.unsubscribe(kind, name);
    return s.status();
  },
  'live.simulate': async ({ rate }, ctx) => {
    const s = await liveService(ctx);
    if (s.status().mode !== 'demo') throw new CoreError('unavailable', 'The simulator runs on the demo workspace only.');
    s.setSimulatorRate(rate);
    return s.status();
  },
};
