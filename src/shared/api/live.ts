import { z } from 'zod';
import { defineChannels, defineTopics } from '../contract.js';
import { LIVE_CAPACITY, LiveBatch, LiveItem, LiveSourceStatus, LiveStats } from '../live.js';

const Subscription = z
  .object({
    kind: z.enum(['channel', 'pattern']),
    /** A pub/sub channel (`user_context`) or pattern (`chat:*`), relative to the deployment's key prefix. */
    name: z.string().trim().min(1, 'type a channel or pattern').max(200).regex(/^[^\s]+$/, 'no spaces in a channel name'),
  })
  .strict();

export const liveChannels = defineChannels({
  'live.recent': {
    description: 'Starts the live feed of the active workspace (Redis stream, or the demo simulator) and returns the newest items, the tiles, the source status and the number of the last batch published.',
    input: z.object({ limit: z.number().int().min(1).max(LIVE_CAPACITY).default(LIVE_CAPACITY) }).strict(),
    output: z.object({ seq: z.number().int(), items: z.array(LiveItem), stats: LiveStats, status: LiveSourceStatus }),
  },
  'live.subscribe': {
    description: 'Also tail a Redis pub/sub channel or pattern (ad-hoc look at any channel).',
    input: Subscription,
    output: LiveSourceStatus,
  },
  'live.unsubscribe': {
    description: 'Stop tailing a pub/sub channel or pattern.',
    input: Subscription,
    output: LiveSourceStatus,
  },
  'live.simulate': {
    description: 'Demo workspace only: set the simulator rate in events per second (0 pauses it).',
    input: z.object({ rate: z.number().min(0).max(5000) }).strict(),
    output: LiveSourceStatus,
  },
});

export const liveTopics = defineTopics({
  /** One message per 30–100 ms window: the new items, the tiles, the status. */
  'live.batch': LiveBatch,
});
