import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamKeys } from '../../src/main/stream/keys.js';
import type { StoredEvent } from '../../src/shared/event.js';
import { REDIS_URL, cleanupPrefix, testPrefix } from '../helpers/redis.js';

const ev = (n: number, over: Partial<StoredEvent>): StoredEvent => ({
  id: `0193f000-0000-7000-9000-${n.toString(16).padStart(12, '0')}`, conversation_id: '0193f000-0000-7000-8000-000000000001', user_id: 'u1',
  timestamp: `2026-03-01T10:00:${String(n).padStart(2, '0')}.000Z`, event_type: 'message', content: { role: 'user', message: `hello ${n}` },
  tool_name: null, success: null, credits_consumed: 0, ...over,
});

/** Runs `uis tail` until it exits (it stops after --limit items); `publish` runs while it is starting. */
async function tail(args: string[], env: NodeJS.ProcessEnv, publish: () => Promise<void>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawn('node', ['bin/uis.js', 'tail', ...args], { env });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => (stdout += d));
  p.stderr.on('data', (d) => (stderr += d));
  const kill = setTimeout(() => p.kill('SIGKILL'), 30_000);
  const exited = new Promise<number | null>((resolve) => p.on('exit', resolve));
  await publish();
  const code = await exited;
  clearTimeout(kill);
  return { code, stdout, stderr };
}

describe('uis tail', () => {
  let redis: Redis;
  const prefix = testPrefix();
  const env = { ...process.env, REDIS_URL, UIS_REDIS_PREFIX: prefix };
  const stream = streamKeys(prefix).stream;

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
  });

  it('prints the live feed with the filters applied, and resumes from an id with no gap', async () => {
    const publish = async () => {
      await redis.xadd(stream, '*', 'event', JSON.stringify(ev(1, {})));
      await redis.xadd(stream, '*', 'event', JSON.stringify(ev(2, { event_type: 'tool_call', tool_name: 'video_gen', success: true, credits_consumed: 12, content: {} })));
      await redis.xadd(stream, '*', 'event', JSON.stringify(ev(3, { user_id: 'u2', event_type: 'tool_call', tool_name: 'video_gen', success: false, content: {} })));
      await redis.xadd(stream, '*', 'event', JSON.stringify(ev(4, { event_type: 'error', tool_name: 'video_gen', success: false, content: { error: 'timeout' } })));
    };
    // Resuming from 0-0 reads the stream from its start: what is published while the CLI boots is not missed.
    const r = await tail(['--from', '0-0', '--user', 'u1', '--tool', 'video_gen', '--limit', '2'], env, publish);
    // It says what it reads and waits on before the first event arrives.
    expect(r.stderr.trim()).toBe(`Tailing stream ${stream} on ${new URL(REDIS_URL).host} (after id 0-0); filters user=u1 tool=video_gen. Waiting for events; Ctrl-C stops.`);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      '10:00:02.000  u1            tool_call   video_gen   ok     12cr',
      '10:00:04.000  u1            error       video_gen   FAIL         timeout',
    ]);

    // --from: everything after the given id, in order, even what was published while no tail ran.
    const entries = await redis.xrange(stream, '-', '+');
    const resumed = await tail(['--from', entries[1][0], '--json', '--limit', '3'], env, async () => {
      await redis.xadd(stream, '*', 'event', JSON.stringify(ev(5, {})));
    });
    const items = resumed.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { key: string; event: StoredEvent });
    expect(items.map((i) => i.event.id)).toEqual([ev(3, {}).id, ev(4, {}).id, ev(5, {}).id]);
    expect(items[0].key).toBe(entries[2][0]);

    const bad = await tail(['--success', 'maybe'], env, async () => {});
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--success');
  });
});
