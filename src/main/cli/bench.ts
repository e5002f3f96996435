import type { Command } from 'commander';

/** `uis bench <name>`: each benchmark lives in tests/bench/<name>.ts and prints its figures beside its baseline. */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('run a benchmark (ingest, capture, analytics, context, live, ui, intents); see README "Benchmarks"')
    .argument('<name>', 'which benchmark')
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .helpOption(false)
    .action(async (name: string) => {
      const known = ['ingest', 'capture', 'analytics', 'context', 'live', 'ui', 'intents'];
      if (!known.includes(name)) throw new Error(`unknown benchmark "${name}": one of ${known.join(', ')}`);
      const args = process.argv.slice(process.argv.indexOf(name) + 1);
      const mod = (await import(new URL(`../../../tests/bench/${name}.ts`, import.meta.url).href)) as { main(args: string[]): Promise<void> };
      await mod.main(args);
    });
}
