import type { Command } from 'commander';
import { ConfigError, readEnv } from '../config.js';
import { migrate } from '../db/migrate.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending PostgreSQL migrations (DATABASE_URL); running it again changes nothing')
    .action(async () => {
      const env = readEnv();
      if (!env.DATABASE_URL) throw new ConfigError('DATABASE_URL is not set, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/uis');
      const { applied } = await migrate(env.DATABASE_URL, (l) => process.stderr.write(l + '\n'));
      if (applied.length === 0) console.log('Database is up to date: no migration applied.');
      else for (const name of applied) console.log(`applied ${name}`);
    });
}
