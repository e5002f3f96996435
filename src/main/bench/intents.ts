import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kmeans } from 'ml-kmeans';
import { z } from 'zod';
import { buildTfidf, clusterTexts } from '../intelligence/cluster.ts';
import { lsa } from './lsa.ts';
import { adjustedRandIndex, clusteringAccuracy, normalizedMutualInformation } from '../intelligence/cluster-metrics.ts';

/**
 * `npm run bench:intents [-- --data DIR] [--seed N]`: scores the local intent clustering on the CLINC150 test split
 * (150 intents × 30 utterances; labels hidden from the clusterer, used only to score) with the true cluster count
 * given and chosen automatically, beside a plain k-means baseline run here and the published anchors.
 */
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const Args = z.object({
  data: z.string().min(1).default(path.resolve(repo, '..', 'shared', 'data', 'clinc150')),
  seed: z.coerce.number().int().min(0).default(1),
});

const Clinc = z.object({ test: z.array(z.tuple([z.string(), z.string()])).min(1) });

function parseArgs(args: string[]): z.infer<typeof Args> {
  const raw: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--(data|seed)(?:=(.*))?$/.exec(args[i]);
    if (!m) throw new Error(`bench intents: unknown argument "${args[i]}" (known: --data DIR, --seed N)`);
    raw[m[1]] = m[2] ?? args[++i] ?? '';
  }
  const parsed = Args.safeParse(raw);
  if (!parsed.success) throw new Error(`bench intents: --${String(parsed.error.issues[0].path[0])}: ${parsed.error.issues[0].message}`);
  return parsed.data;
}

interface Row {
  method: string;
  k: number;
  nmi: number;
  ari: number;
  acc: number;
  seconds: number | null;
  /** CPU seconds of this process: on a machine shared with other jobs, the figure that does not depend on their load. */
  cpuSeconds: number | null;
}

let cpuMark = process.cpuUsage();
function cpuSince(): number {
  const d = process.cpuUsage(cpuMark);
  cpuMark = process.cpuUsage();
  return (d.user + d.system) / 1e6;
}

function score(method: string, truth: string[], labels: ArrayLike<number>, k: number, seconds: number | null): Row {
  return { method, k, nmi: normalizedMutualInformation(truth, labels), ari: adjustedRandIndex(truth, labels), acc: clusteringAccuracy(truth, labels), seconds, cpuSeconds: cpuSince() };
}

export async function main(args: string[]): Promise<void> {
  const { data, seed } = parseArgs(args);
  const file = path.join(data, 'data_full.json');
  if (!existsSync(file)) {
    throw new Error(
      `bench intents: CLINC150 is not at ${file}. It is a public data set (Larson et al., EMNLP 2019, CC BY 3.0): the file ` +
        'data/data_full.json of the oos-eval repository of Clinc, unchanged. Put it there (the project keeps it in shared/data/clinc150 ' +
        'beside the repository) or pass --data DIR.',
    );
  }
  const { test } = Clinc.parse(JSON.parse(readFileSync(file, 'utf8')));
  const texts = test.map(([text]) => text);
  const truth = test.map(([, intent]) => intent);
  const trueK = new Set(truth).size;
  process.stdout.write(`CLINC150 test split: ${texts.length} utterances, ${trueK} intents (${file})\n`);

  const rows: Row[] = [];
  cpuSince();
  let t = performance.now();
  // Plain k-means (ml-kmeans, Euclidean, k-means++) on a 100-dimensional LSA of the same TF-IDF: the baseline.
  const lsaRows = lsa(buildTfidf(texts), 100, seed).map((r) => Array.from(r));
  const plain = kmeans(lsaRows, trueK, { seed, initialization: 'kmeans++', maxIterations: 30 });
  rows.push(score('plain k-means (ml-kmeans on TF-IDF LSA-100)', truth, plain.clusters, trueK, (performance.now() - t) / 1000));

  t = performance.now();
  const given = clusterTexts(texts, { k: trueK, seed });
  rows.push(score('uis: TF-IDF kNN graph + spectral + spherical k-means, k given', truth, given.labels, given.k, (performance.now() - t) / 1000));

  t = performance.now();
  const auto = clusterTexts(texts, { seed });
  rows.push(score('uis: same, k chosen automatically', truth, auto.labels, auto.k, (performance.now() - t) / 1000));

  rows.push({ method: 'published: plain k-means', k: trueK, nmi: 0.711, ari: 0.277, acc: 0.458, seconds: null, cpuSeconds: null });
  rows.push({ method: 'published: USNID', k: trueK, nmi: 0.91, ari: 0.685, acc: 0.759, seconds: null, cpuSeconds: null });

  const pad = (s: string, w: number) => s.padEnd(w);
  process.stdout.write(`\n${pad('method', 66)} ${pad('k', 5)} NMI    ARI    ACC    seconds  cpu-s\n`);
  for (const r of rows) {
    const s = (x: number | null) => (x === null ? '-' : x.toFixed(1)).padEnd(8);
    process.stdout.write(`${pad(r.method, 66)} ${pad(String(r.k), 5)} ${r.nmi.toFixed(3)}  ${r.ari.toFixed(3)}  ${r.acc.toFixed(3)}  ${s(r.seconds)} ${s(r.cpuSeconds)}\n`);
  }
  process.stdout.write(`(load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores while measuring: wall seconds grow with other jobs' load, cpu-s much less)\n`);
  process.stdout.write(`\nautomatic count: candidates ${auto.candidates.map((c) => `${c.k}:${c.silhouette.toFixed(3)}`).join(' ')} → ${auto.k}\n`);
  const givenRow = rows[1];
  const autoRow = rows[2];
  const checks = [
    [`k given: NMI ${givenRow.nmi.toFixed(3)} ≥ 0.78`, givenRow.nmi >= 0.78],
    [`k given: ARI ${givenRow.ari.toFixed(3)} ≥ 0.42`, givenRow.ari >= 0.42],
    [`k given: ${givenRow.seconds?.toFixed(1)} s < 30 s`, (givenRow.seconds ?? 0) < 30],
    [`automatic: k ${autoRow.k} within ${trueK / 2}..${trueK * 2}`, autoRow.k >= trueK / 2 && autoRow.k <= trueK * 2],
    [`automatic: ACC ${autoRow.acc.toFixed(3)} ≥ 0.45`, autoRow.acc >= 0.45],
  ] as const;
  for (const [label, ok] of checks) process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${label}\n`);
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
