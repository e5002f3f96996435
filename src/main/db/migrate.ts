import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations', import.meta.url));

export interface MigrateResult {
  applied: string[];
}

/** Applies every pending migration in migrations/ (node-pg-migrate, SQL files). Running it again applies nothing. */
export async function migrate(databaseUrl: string, log: (line: string) => void = () => {}): Promise<MigrateResult> {
  const ran = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'uis_migrations',
    count: Infinity,
    singleTransaction: true,
    checkOrder: true,
    verbose: false,
    log: () => {},
    logger: { debug: () => {}, info: () => {}, warn: (m: string) => log(m), error: (m: string) => log(m) },
  });
  return { applied: ran.map((m) => m.name) };
}
