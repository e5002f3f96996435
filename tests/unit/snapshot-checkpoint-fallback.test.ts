import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openSnapshot } from '../../src/main/snapshot/snapshot.js';

// A build where the worker thread cannot start (e.g. a packaging problem): the checkpoint must still happen.
vi.mock('../../src/main/snapshot/checkpoint.js', () => ({ checkpointInBackground: () => Promise.reject(new Error('worker unavailable')) }));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-checkpoint-fallback-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('background checkpoint without a worker', () => {
  it('checkpoints on the snapshot connection instead, so the WAL stays bounded', async () => {
    const file = path.join(dir, 'a.sqlite');
    const snapshot = openSnapshot(file);
    const resume = snapshot.pauseAutoCheckpoint();
    const before = fs.statSync(file).size;
    const insert = snapshot.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    snapshot.db.transaction(() => {
      for (let i = 0; i < 3000; i++) insert.run(`k${i}`, 'x'.repeat(200));
    })();
    snapshot.requestCheckpoint();
    const result = await snapshot.checkpointing;
    expect(result).not.toBeNull();
    expect(result!.checkpointed).toBe(result!.log);
    expect(snapshot.walFrames).toBe(result!.log);
    expect(fs.statSync(file).size).toBeGreaterThan(before);
    resume();
    snapshot.close();
  });
});
