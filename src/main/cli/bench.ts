import type { Command } from 'commander';

/**
 * `uis bench <name>`: each benchmark lives in src/main/bench/<name>.ts and prints its figures beside its baseline.
 * The list below is what `uis bench --help` and `uis bench NAME --help` print; docs/benchmarks.md has the figures.
 */
const BENCHMARKS: Record<string, { what: string; flags: string }> = {
  ingest: {
    what: 'events/s end to end through POST /v1/events and the library, beside a raw COPY of the same rows',
    flags: '[--events N] [--preload N] [--clients N] [--batch N] [--capture-concurrency N] [--aggregates after-commit|in-trigger] [--database-url URL] [--redis-url URL]',
  },
  capture: {
    what: "PostgreSQL CPU per event of the capture statement, beside a per-batch COPY on the same backend",
    flags: '[--events N] [--batch N] [--rounds N] [--database-url URL]',
  },
  analytics: {
    what: 'first and incremental sync, the dashboard cold / warm / segmented, beside the seed SQL on PostgreSQL',
    flags: '[--size small|medium|large] [--users N] [--days N] [--increment N] [--database-url URL] [--keep] [--reuse DIR] [--json]',
  },
  context: {
    what: 'GET /v1/users/:id/context at full load and at a steady rate, beside a static endpoint of the same server',
    flags: '[--users N] [--duration S] [--rate N] [--connections N] [--fresh-samples N] [--database-url URL] [--redis-url URL]',
  },
  live: {
    what: 'XADD to a row on the Live page in Chromium at a steady rate; long tasks',
    flags: '[--rate N] [--duration S] [--database-url URL] [--redis-url URL] [--chromium PATH]',
  },
  ui: {
    what: 'Overview time to tiles; Users with 100k rows: first rows and scrolling; a segment click to new Overview numbers (Chromium)',
    flags: '[--users N] [--runs N]',
  },
  intents: {
    what: 'intent clustering on the CLINC150 test split (NMI, ARI, accuracy), beside plain k-means and published scores',
    flags: '[--data DIR (holding CLINC150\'s data_full.json)] [--seed N]',
  },
  redact: {
    what: 'redaction recall and precision per kind on the labelled corpus, and MB/s of chat text, beside the previous rule set',
    flags: '[--mb N] [--data DIR (holding CLINC150\'s data_full.json)]',
  },
};

const listing = () =>
  Object.entries(BENCHMARKS)
    .map(([name, b]) => `  ${name.padEnd(10)} ${b.what}`)
    .join('\n');

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description(`run a benchmark (${Object.keys(BENCHMARKS).join(', ')}); figures in docs/benchmarks.md`)
    .argument('[name]', 'which benchmark')
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    // --help is read here: after a benchmark's name it asks for that benchmark's flags, which commander does not know.
    .helpOption(false)
    .addHelpText('after', `\nBenchmarks:\n${listing()}\n\nuis bench NAME --help lists a benchmark's flags. Also as npm run bench:NAME -- [flags].`)
    .action(async (name: string | undefined, _opts: unknown, command: Command) => {
      if (!name || name === '--help' || name === '-h') {
        if (!name && !process.argv.some((a) => a === '--help' || a === '-h')) throw new Error(`name a benchmark: one of ${Object.keys(BENCHMARKS).join(', ')}`);
        command.outputHelp();
        return;
      }
      const bench = BENCHMARKS[name];
      if (!bench) throw new Error(`unknown benchmark "${name}": one of ${Object.keys(BENCHMARKS).join(', ')}`);
      const args = process.argv.slice(process.argv.indexOf(name) + 1);
      if (args.includes('--help') || args.includes('-h')) {
        console.log(`usage: uis bench ${name} ${bench.flags}\n\n${bench.what}.\nFigures and how they were taken: docs/benchmarks.md.`);
        return;
      }
      const mod = (await import(new URL(`../bench/${name}.ts`, import.meta.url).href)) as { main(args: string[]): Promise<void> };
      await mod.main(args);
    });
}
