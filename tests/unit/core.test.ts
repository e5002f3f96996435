import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/main/core/dispatch.js';
import { CoreError } from '../../src/main/core/errors.js';
import { capResult, JobRunner } from '../../src/main/core/jobs.js';
import type { JobInfo } from '../../src/shared/api/app.js';
import { appChannels } from '../../src/shared/api/app.js';
import { tempCore } from './core-helpers.js';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

describe('dispatch', () => {
  it('answers a contract channel with its validated output', async () => {
    const t = tempCore();
    cleanup.push(t.cleanup);
    const r = await t.core.dispatch('app.info', {});
    expect(r).toMatchObject({ ok: true, value: { name: 'User Intelligence System', runtime: 'web', secureStorage: false } });
  });

  it('refuses an unknown channel and a malformed input, naming the field', async () => {
    const t = tempCore();
    cleanup.push(t.cleanup);
    expect(await t.core.dispatch('nope.nothing', {})).toEqual({ ok: false, error: { code: 'unknown_channel', message: 'Unknown channel "nope.nothing"' } });
    expect(await t.core.dispatch('hasOwnProperty', {})).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    const bad = await t.core.dispatch('jobs.get', { jobId: 7 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(!bad.ok && bad.error.message).toMatch(/jobs\.get.*jobId/);
  });

  it('strips connection strings from errors and undeclared fields from outputs', async () => {
    const t = tempCore();
    cleanup.push(t.cleanup);
    const logs: string[] = [];
    const ctx = { ...t.core.ctx, log: (l: string) => logs.push(l) };
    const handlers = {
      'app.info': async () => {
        throw new Error('connect failed for postgres://admin:hunter2@db.internal:5432/prod');
      },
      'jobs.list': async () => [],
    };
    const r = await dispatch(appChannels, handlers, 'app.info', {}, ctx);
    expect(r).toEqual({ ok: false, error: { code: 'internal', message: 'connect failed for postgres://admin:***@db.internal:5432/prod' } });
    expect(logs.join('\n')).not.toContain('hunter2');

    const leaky = { 'app.info': async () => ({ name: 'x', version: '1', runtime: 'web', platform: 'linux', secureStorage: false, pgPassword: 'hunter2' }) };
    const ok = await dispatch(appChannels, leaky, 'app.info', {}, ctx);
    expect(JSON.stringify(ok)).not.toContain('hunter2');
  });

  it('turns a handler CoreError into its code', async () => {
    const t = tempCore();
    cleanup.push(t.cleanup);
    const r = await t.core.dispatch('jobs.get', { jobId: 'missing' });
    expect(r).toEqual({ ok: false, error: { code: 'not_found', message: 'No job missing' } });
    await expect(t.core.invoke('jobs.cancel', { jobId: 'missing' })).rejects.toBeInstanceOf(CoreError);
  });
});

describe('jobs', () => {
  it('reports progress, finishes with a capped result, and publishes every change', async () => {
    const updates: JobInfo[] = [];
    const jobs = new JobRunner((j) => updates.push(j));
    const id = jobs.start(
      'export',
      async ({ progress }) => {
        progress(0.5, 'Half way');
        return Array.from({ length: 30 }, (_, i) => i);
      },
      { resultCap: 10 },
    );
    const done = await jobs.wait(id);
    expect(done).toMatchObject({ state: 'succeeded', progress: 1, truncated: true });
    expect(done.result).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(updates[0]).toMatchObject({ id, state: 'running' });
    expect(updates.at(-1)).toMatchObject({ id, state: 'succeeded' });
  });

  it('a step reported right after another still reaches the page while the job runs on', async () => {
    const updates: JobInfo[] = [];
    const jobs = new JobRunner((j) => updates.push(j));
    let release = () => {};
    const id = jobs.start('ask', async ({ progress }) => {
      await new Promise((r) => setTimeout(r, 0)); // past start()'s own update, as real work is
      progress(null, 'Waiting for the LLM…');
      progress(null, 'Running query 1…'); // within the throttle's 50 ms
      await new Promise<void>((r) => (release = r));
    });
    await expect.poll(() => updates.at(-1)?.message, { timeout: 2000 }).toBe('Running query 1…');
    expect(updates.at(-1)).toMatchObject({ id, state: 'running' });
    release();
    await jobs.wait(id);
  });

  it('cancels through the AbortSignal', async () => {
    const jobs = new JobRunner(() => {});
    const id = jobs.start('sync', ({ signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))));
    expect(jobs.cancel(id)).toBe(true);
    const done = await jobs.wait(id);
    expect(done).toMatchObject({ state: 'cancelled', error: { code: 'cancelled' } });
    expect(jobs.cancel(id)).toBe(false);
  });

  it('records a failure with a redacted message', async () => {
    const jobs = new JobRunner(() => {});
    const id = jobs.start('sync', async () => {
      throw new Error('no route to postgres://u:pw@h/db');
    });
    expect(await jobs.wait(id)).toMatchObject({ state: 'failed', error: { code: 'internal', message: 'no route to postgres://u:***@h/db' } });
  });

  it('caps {rows} results too', () => {
    expect(capResult({ rows: [1, 2, 3], total: 3 }, 2)).toEqual({ value: { rows: [1, 2], total: 3 }, truncated: true });
    expect(capResult({ a: 1 }, 2)).toEqual({ value: { a: 1 }, truncated: false });
  });

  it('core jobs publish on jobs.update', async () => {
    const t = tempCore();
    cleanup.push(t.cleanup);
    const seen: string[] = [];
    t.core.subscribe((topic, payload) => seen.push(`${topic}:${(payload as JobInfo).state}`));
    const id = t.core.ctx.jobs.start('noop', async () => 1);
    await t.core.ctx.jobs.wait(id);
    expect(seen).toEqual(['jobs.update:running', 'jobs.update:succeeded']);
  });
});
