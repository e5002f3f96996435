import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { REDACTION_KINDS, findRedactions, redact } from '../../shared/redact.ts';
import { formatScore, loadCorpus, score } from './redaction-corpus.ts';
import { findRedactionsBaseline, redactBaseline } from './redact-baseline.ts';
import { loadSecretlintRules, SECRETLINT_MISSING, secretlintSpans } from './secretlint-oracle.ts';

/**
 * `npm run bench:redact [-- --mb N] [--data DIR]`: recall and precision per kind on the hand-written labelled corpus
 * (tests/fixtures/redaction), and MB/s of chat text, for redact() and, in the same run, the previous rule set
 * (src/main/bench/redact-baseline.ts) and secretlint's recommended preset (secrets only).
 * Chat text: CLINC150's utterances (real user requests to an assistant, little personal data; --data, as bench:intents)
 * and the corpus's own messages (personal data in nearly every message), each repeated to --mb megabytes.
 */
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const Args = z.object({
  mb: z.coerce.number().positive().max(200).default(4),
  data: z.string().min(1).default(path.resolve(repo, '..', 'shared', 'data', 'clinc150')),
});

function parseArgs(args: string[]): z.infer<typeof Args> {
  const raw: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--(mb|data)(?:=(.*))?$/.exec(args[i]);
    if (!m) throw new Error(`bench redact: unknown argument "${args[i]}" (known: --mb N, --data DIR)`);
    raw[m[1]] = m[2] ?? args[++i] ?? '';
  }
  const parsed = Args.safeParse(raw);
  if (!parsed.success) throw new Error(`bench redact: --${String(parsed.error.issues[0].path[0])}: ${parsed.error.issues[0].message}`);
  return parsed.data;
}

function repeatTo(texts: string[], mb: number): { texts: string[]; bytes: number } {
  const out: string[] = [];
  let bytes = 0;
  while (bytes < mb * 1e6) for (const t of texts) {
    out.push(t);
    bytes += Buffer.byteLength(t);
  }
  return { texts: out, bytes };
}

/** Best of 3 runs: MB/s of wall time and MB per CPU-second of this process (the machine may be shared). */
function throughput(fn: (t: string) => unknown, texts: string[], bytes: number): { wall: number; cpu: number } {
  let wall = 0;
  let cpu = 0;
  for (let run = 0; run < 3; run++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (const t of texts) fn(t);
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    wall = Math.max(wall, bytes / 1e6 / seconds);
    cpu = Math.max(cpu, bytes / 1e6 / ((c.user + c.system) / 1e6));
  }
  return { wall, cpu };
}

export async function main(args: string[]): Promise<void> {
  const { mb, data } = parseArgs(args);
  const corpus = loadCorpus();
  const locales = new Set(corpus.map((c) => c.locale));
  process.stdout.write(
    `corpus: ${corpus.length} messages, ${locales.size} locales (${[...locales].join(', ')}), ${corpus.filter((c) => c.negative).length} hard negatives, ${corpus.reduce((n, c) => n + c.spans.length, 0)} labelled spans\n\n`,
  );

  const ours = score(corpus, findRedactions);
  process.stdout.write(formatScore('redact() (libraries + rules)', ours) + '\n');
  if (ours.misses.length) process.stdout.write(`  missed: ${ours.misses.map((m) => `${m.kind} ${JSON.stringify(m.value)}`).join('; ')}\n`);
  if (ours.falsePositives.length) process.stdout.write(`  wrongly redacted: ${ours.falsePositives.map((m) => `${m.kind} ${JSON.stringify(m.value)}`).join('; ')}\n`);
  const base = score(corpus, findRedactionsBaseline);
  process.stdout.write('\n' + formatScore('baseline: the previous rule set (9 regular expressions)', base) + '\n');

  // secretlint's preset alone, on the secrets of the corpus (a devDependency: skipped where it is not installed).
  if (await loadSecretlintRules()) {
    const oracle = new Map<string, Array<{ start: number; end: number; kind: 'API_KEY' }>>();
    for (const item of corpus) oracle.set(item.id, (await secretlintSpans(item.text)).map((s) => ({ start: s.start, end: s.end, kind: 'API_KEY' as const })));
    const sl = score(corpus, (text) => oracle.get(corpus.find((c) => c.text === text)!.id) ?? []);
    process.stdout.write(`\nbaseline: secretlint recommended preset alone, API_KEY: recall ${(sl.byKind.API_KEY.recall * 100).toFixed(1)}%, precision ${(sl.byKind.API_KEY.precision * 100).toFixed(1)}%\n\n`);
  } else process.stdout.write(`\nbaseline: secretlint skipped: ${SECRETLINT_MISSING}\n\n`);

  const clincFile = path.join(data, 'data_full.json');
  const sets: Array<[string, string[]]> = [];
  if (existsSync(clincFile)) {
    const clinc = JSON.parse(readFileSync(clincFile, 'utf8')) as Record<string, Array<[string, string]>>;
    sets.push(['CLINC150 utterances (chat, little personal data)', Object.values(clinc).flatMap((rows) => rows.map(([t]) => t))]);
  } else process.stdout.write(`(no ${clincFile}: chat throughput on the corpus only)\n`);
  sets.push(['corpus messages (personal data in nearly every one)', corpus.map((c) => c.text)]);
  redact('warm up +33 1 42 68 53 00 jo@example.com 4242 4242 4242 4242');
  process.stdout.write(`throughput, best of 3, ${mb} MB each          redact() MB/s (MB/CPU-s)   baseline MB/s (MB/CPU-s)\n`);
  for (const [name, texts] of sets) {
    const { texts: run, bytes } = repeatTo(texts, mb);
    const a = throughput((t) => redact(t), run, bytes);
    const b = throughput((t) => redactBaseline(t), run, bytes);
    process.stdout.write(`  ${name.padEnd(52)} ${a.wall.toFixed(2).padStart(6)} (${a.cpu.toFixed(2)})      ${b.wall.toFixed(2).padStart(6)} (${b.cpu.toFixed(2)})\n`);
  }
  const bad = REDACTION_KINDS.filter((k) => ours.byKind[k].recall < 0.97 || ours.byKind[k].precision < 0.95);
  process.stdout.write(`\ntargets: recall ≥ 99% overall (${(ours.overall.recall * 100).toFixed(1)}%), ≥ 97% and precision ≥ 95% per kind (${bad.length ? `missed by ${bad.join(', ')}` : 'all kinds'}), ≥ 5 MB/s\n`);
}
