import computeMunkres from 'munkres-js';

/**
 * External clustering scores against true labels, as the literature reports them (so the CLINC150 anchors compare):
 * NMI with the arithmetic-mean normalisation (scikit-learn's default), the adjusted Rand index, and accuracy under the
 * best one-to-one matching of clusters to labels (Hungarian algorithm).
 */

interface Contingency {
  table: number[][];
  rowSums: number[];
  colSums: number[];
  n: number;
}

function contingency(truth: ArrayLike<number | string>, predicted: ArrayLike<number>): Contingency {
  const rowIndex = new Map<number | string, number>();
  const colIndex = new Map<number, number>();
  const n = truth.length;
  for (let i = 0; i < n; i++) {
    if (!rowIndex.has(truth[i])) rowIndex.set(truth[i], rowIndex.size);
    if (!colIndex.has(predicted[i])) colIndex.set(predicted[i], colIndex.size);
  }
  const table = Array.from({ length: rowIndex.size }, () => new Array<number>(colIndex.size).fill(0));
  for (let i = 0; i < n; i++) table[rowIndex.get(truth[i]) as number][colIndex.get(predicted[i]) as number]++;
  const rowSums = table.map((r) => r.reduce((a, b) => a + b, 0));
  const colSums = table[0]?.map((_, j) => table.reduce((a, r) => a + r[j], 0)) ?? [];
  return { table, rowSums, colSums, n };
}

function entropy(counts: number[], n: number): number {
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n);
  return h;
}

export function normalizedMutualInformation(truth: ArrayLike<number | string>, predicted: ArrayLike<number>): number {
  const { table, rowSums, colSums, n } = contingency(truth, predicted);
  let mi = 0;
  for (let i = 0; i < table.length; i++) {
    for (let j = 0; j < table[i].length; j++) {
      const nij = table[i][j];
      if (nij > 0) mi += (nij / n) * Math.log((n * nij) / (rowSums[i] * colSums[j]));
    }
  }
  const hTruth = entropy(rowSums, n);
  const hPred = entropy(colSums, n);
  const denominator = (hTruth + hPred) / 2;
  return denominator === 0 ? 1 : mi / denominator;
}

const pairs = (x: number): number => (x * (x - 1)) / 2;

export function adjustedRandIndex(truth: ArrayLike<number | string>, predicted: ArrayLike<number>): number {
  const { table, rowSums, colSums, n } = contingency(truth, predicted);
  let index = 0;
  for (const row of table) for (const nij of row) index += pairs(nij);
  const sumRows = rowSums.reduce((a, c) => a + pairs(c), 0);
  const sumCols = colSums.reduce((a, c) => a + pairs(c), 0);
  const expected = (sumRows * sumCols) / pairs(n);
  const max = (sumRows + sumCols) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}

/** Share of items whose cluster is matched to their label by the best one-to-one assignment. */
export function clusteringAccuracy(truth: ArrayLike<number | string>, predicted: ArrayLike<number>): number {
  const { table, n } = contingency(truth, predicted);
  const size = Math.max(table.length, table[0]?.length ?? 0);
  const max = Math.max(0, ...table.flat());
  // Munkres minimises cost; pad to a square matrix so unequal counts of clusters and labels still match.
  const cost = Array.from({ length: size }, (_, i) => Array.from({ length: size }, (_, j) => max - (table[i]?.[j] ?? 0)));
  let matched = 0;
  for (const [i, j] of computeMunkres(cost)) matched += table[i]?.[j] ?? 0;
  return matched / n;
}
