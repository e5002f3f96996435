import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { checkpointInBackground } from '../../src/main/snapshot/checkpoint.js';
import { openSnapshot } from '../../src/main/snapshot/snapshot.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-checkpoint-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('background WAL checkpoint', () => {
  it('copies the WAL into the database file on a worker thread, and the data reads back', async () => {
    const file = path.join(dir, 'a.sqlite');
    const snapshot = openSnapshot(file);
    const resume = snapshot.pauseAutoCheckpoint();
    expect(snapshot.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const before = fs.statSync(file).size;
    const insert = snapshot.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    snapshot.db.transaction(() => {
      for (let i = 0; i < 5000; i++) insert.run(`k${i}`, 'x'.repeat(200));
    })();
    // Paused: the commit only appended to the WAL.
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(1_000_000);
    expect(fs.statSync(file).size).toBe(before);

    resume();
    expect(snapshot.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    const result = await snapshot.checkpointing;
    expect(result).not.toBeNull();
    expect(result!.log).toBeGreaterThan(0);
    expect(result!.checkpointed).toBe(result!.log);
    expect(fs.statSync(file).size).toBeGreaterThan(before + 1_000_000);
    expect(snapshot.getMeta('k4999')).toBe('x'.repeat(200));
    snapshot.close();
  });

  it('a long write stays bounded: once the background checkpoint caught up, the next write starts the WAL over', async () => {
    const snapshot = openSnapshot(path.join(dir, 'bound.sqlite'));
    const resume = snapshot.pauseAutoCheckpoint();
    const insert = snapshot.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    const write = (from: number) =>
      snapshot.db.transaction(() => {
        for (let i = from; i < from + 3000; i++) insert.run(`k${i}`, 'x'.repeat(200));
      })();
    write(0);
    snapshot.requestCheckpoint();
    write(3000); // appended while the checkpoint runs
    await snapshot.checkpointing;
    const grown = snapshot.walFrames;
    expect(grown).toBeGreaterThan(100);
    await snapshot.boundWal(10); // over the bound: waits until everything written so far is copied
    write(6000);
    snapshot.requestCheckpoint();
    await snapshot.checkpointing;
    expect(snapshot.walFrames).toBeLessThan(grown); // started over, not appended
    resume();
    await snapshot.checkpointing;
    expect(snapshot.db.prepare('SELECT COUNT(*) FROM meta WHERE key LIKE ?').pluck().get('k%')).toBe(9000);
    snapshot.close();
  });

  it('a file that does not exist is a rejected promise, not a crash', async () => {
    await expect(checkpointInBackground(path.join(dir, 'missing.sqlite'))).rejects.toThrow(/background checkpoint failed/);
  });

  it('does nothing for an in-memory snapshot', async () => {
    const snapshot = openSnapshot(':memory:');
    snapshot.pauseAutoCheckpoint()();
    expect(await snapshot.checkpointing).toBeNull();
    snapshot.close();
  });

  it('a process that started one exits by itself once it is done (the CLI after a sync)', async () => {
    const file = path.join(dir, 'exit.sqlite');
    const script = `
      import { openSnapshot } from ${JSON.stringify(new URL('../../src/main/snapshot/snapshot.ts', import.meta.url).href)};
      const s = openSnapshot(${JSON.stringify(file)});
      const resume = s.pauseAutoCheckpoint();
      s.setMeta('k', 'v'.repeat(5000));
      resume();
      s.checkpointing.then((r) => console.log(JSON.stringify(r)));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 15_000 });
    expect(JSON.parse(stdout)).toMatchObject({ busy: 0 });
    expect(JSON.parse(stdout).checkpointed).toBeGreaterThan(0);
  });
});
