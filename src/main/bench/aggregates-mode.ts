/**
 * bench:ingest and bench:capture measure the aggregates both ways in the same build (issue 21's A/B): `after-commit`
 * (migrations/1764288000010: the trigger queues, an applier applies after the commit) or `in-trigger` (the database
 * taken back to 1764288000009: the capture trigger computes them inside the capture transaction, as before; the
 * applier then finds no uis_apply_aggregates() and does nothing).
 */
import { runner } from 'node-pg-migrate';
import { z } from 'zod';
import { MIGRATIONS_DIR } from '../db/migrate.js';

export const AggregatesMode = z.enum(['after-commit', 'in-trigger']).default('after-commit');
export type AggregatesMode = z.infer<typeof AggregatesMode>;

/** Takes a freshly migrated database back to the in-trigger aggregates (1764288000010 down). */
export async function useAggregatesMode(databaseUrl: string, mode: AggregatesMode): Promise<void> {
  if (mode === 'after-commit') return;
  await runner({ databaseUrl, dir: MIGRATIONS_DIR, direction: 'down', migrationsTable: 'uis_migrations', count: 1, singleTransaction: true, log: () => {} });
}
