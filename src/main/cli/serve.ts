import type { Command } from 'commander';
import { z } from 'zod';
import { readEnv } from '../config.js';
import { startService } from '../server/service.js';
import { parseOption } from './options.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the service: ingest API, outbox relay to Redis, profile builder, context API')
    .option('--port <port>', 'port to listen on (env PORT, default 8787)')
    .option('--host <host>', 'address to bind (env HOST, default 127.0.0.1)')
    .action(async (raw: { port?: string; host?: string }) => {
      const opts = parseOption(z.object({ port: z.coerce.number().int().min(0).max(65535).optional(), host: z.string().optional() }), raw);
      const env = readEnv();
      const service = await startService(env, { ...opts, log: (l) => process.stderr.write(l + '\n') });
      console.log(`uis serve listening on ${service.url}`);
      const stop = async () => {
        await service.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
