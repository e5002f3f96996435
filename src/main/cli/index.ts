import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { redactConnectionString } from '../connection-string.js';
import { registerAnalyticsCommand } from './analytics.js';
import { registerBenchCommand } from './bench.js';
import { registerDemoCommand } from './demo.js';
import { registerDigestCommand } from './digest.js';
import { registerForgetCommand } from './forget.js';
import { registerIntelligenceCommand } from './intelligence.js';
import { registerMigrateCommand } from './migrate.js';
import { registerProfilesCommand } from './profiles.js';
import { registerReportCommand } from './report.js';
import { registerServeCommand } from './serve.js';
import { registerSyncCommand } from './sync.js';
import { registerTailCommand } from './tail.js';
import { registerWebCommand } from './web.js';

/** Every `uis` command registers here; `uis --help` lists each with its one-line description. */
const program = new Command()
  .name('uis')
  .description('User Intelligence System: event capture, user context and PMF analytics for an AI chat product')
  .showHelpAfterError()
  .exitOverride();

registerMigrateCommand(program);
registerServeCommand(program);
registerBenchCommand(program);
registerDemoCommand(program);
registerSyncCommand(program);
registerAnalyticsCommand(program);
registerProfilesCommand(program);
registerForgetCommand(program);
registerTailCommand(program);
registerWebCommand(program);
registerReportCommand(program);
registerDigestCommand(program);
registerIntelligenceCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  const message = err instanceof ConfigError ? err.message : `error: ${redactConnectionString((err as Error).message ?? String(err))}`;
  process.stderr.write(message + '\n');
  process.exit(1);
}
