import fs from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError, readEnv } from '../config.js';
import { createPool } from '../db/pg.js';
import { generateDemo } from '../demo/generate.js';
import { writeDemoToPostgres, writeDemoToSnapshot } from '../demo/sinks.js';
import { openSnapshot } from '../snapshot/snapshot.js';
import { DEMO_WORKSPACE, WorkspaceStore } from '../workspace/store.js';
import { parseOption } from './options.js';

const DemoFlags = z.object({
  users: z.coerce.number().int().min(1).max(1_000_000).default(100),
  days: z.coerce.number().int().min(1).max(3650).default(30),
  seed: z.coerce.number().int().min(0).max(2 ** 32 - 1).default(42),
  to: z.enum(['sqlite', 'postgres']).default('sqlite'),
  endDay: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').optional(),
  workspace: z.string().default(DEMO_WORKSPACE),
});

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('generate the deterministic demo product (into the demo workspace, or PostgreSQL through the capture path)')
    .option('--users <n>', 'number of users', '100')
    .option('--days <n>', 'days of activity, ending today (UTC)', '30')
    .option('--seed <n>', 'random seed: same seed, same data', '42')
    .option('--to <sink>', 'sqlite (the demo workspace snapshot) or postgres (DATABASE_URL, via the capture path)', 'sqlite')
    .option('--end-day <YYYY-MM-DD>', 'last day of the data (default today)')
    .option('--workspace <name>', 'workspace whose snapshot receives the data (--to sqlite)', DEMO_WORKSPACE)
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOption(DemoFlags, raw);
      const t0 = Date.now();
      const data = generateDemo({ users: o.users, days: o.days, seed: o.seed, endDay: o.endDay });
      const summary = `${data.users.length} users, ${data.events.length} events, ${data.range.since} … ${data.range.until} (seed ${o.seed})`;
      if (o.to === 'postgres') {
        const env = readEnv();
        if (!env.DATABASE_URL) throw new ConfigError('DATABASE_URL is not set: --to postgres writes through the capture path into that database');
        const pool = createPool(env.DATABASE_URL);
        try {
          const r = await writeDemoToPostgres(pool, data, (done, total) => process.stderr.write(`\r${done}/${total} events`));
          process.stderr.write('\n');
          console.log(`Demo written to PostgreSQL: ${summary}; ${r.accepted} stored, ${r.duplicates} already there (${Date.now() - t0} ms).`);
        } finally {
          await pool.end();
        }
        return;
      }
      const store = new WorkspaceStore();
      const ws = store.list().find((w) => w.name === o.workspace) ?? store.add({ name: o.workspace, kind: 'demo' }, { activate: store.list().length === 0 });
      if (ws.kind !== 'demo') throw new ConfigError(`--workspace: "${o.workspace}" is a PostgreSQL workspace; its snapshot comes from uis sync`);
      // A fresh file: the demo replaces the whole snapshot.
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(ws.snapshotPath + suffix, { force: true });
      const snapshot = openSnapshot(ws.snapshotPath);
      try {
        writeDemoToSnapshot(snapshot, data);
      } finally {
        snapshot.close();
      }
      console.log(`Demo workspace "${ws.name}" written: ${summary} (${Date.now() - t0} ms).`);
      console.log(`Snapshot: ${ws.snapshotPath}`);
    });
}
