import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { seededRandom } from '../../shared/random.ts';
import { gaussian, normalize, orthonormalizeColumns, sparseTimes, type DenseRows, type SparseRow, type TfidfModel } from '../intelligence/cluster.ts';

/** bench:intents' baseline only (plain k-means on an LSA of the TF-IDF): the product clusters without it. */

/** Z = Aᵀ·Y for sparse A (n×V) and Y given as l columns of length n; returns l columns of length V. */
function sparseTransposeTimes(rows: SparseRow[], vocabSize: number, cols: Float64Array[]): Float64Array[] {
  return cols.map((c) => {
    const out = new Float64Array(vocabSize);
    rows.forEach((row, r) => {
      const w = c[r];
      if (w === 0) return;
      for (let j = 0; j < row.indices.length; j++) out[row.indices[j]] += row.values[j] * w;
    });
    return out;
  });
}

/**
 * Latent semantic analysis: the rank-`dims` truncated SVD of the TF-IDF matrix by the randomized range finder
 * (Halko et al. 2011, with power iterations), returning each message as U·S, L2-normalised.
 */
export function lsa(model: TfidfModel, dims: number, seed = 1, powerIterations = 2): DenseRows {
  const n = model.rows.length;
  const V = model.vocabulary.length;
  const l = Math.min(dims + 10, n, V);
  if (l <= 0) return model.rows.map(() => new Float64Array(0));
  const rand = seededRandom(seed);
  let omega: Float64Array[] = Array.from({ length: l }, () => Float64Array.from({ length: V }, () => gaussian(rand)));
  let Y = sparseTimes(model.rows, omega);
  orthonormalizeColumns(Y);
  for (let q = 0; q < powerIterations; q++) {
    omega = sparseTransposeTimes(model.rows, V, Y);
    orthonormalizeColumns(omega);
    Y = sparseTimes(model.rows, omega);
    orthonormalizeColumns(Y);
  }
  // B = Qᵀ A (l×V); its singular vectors come from the small symmetric eigenproblem B·Bᵀ = W Λ Wᵀ.
  const Bt = sparseTransposeTimes(model.rows, V, Y); // l columns of length V = rows of B
  const BBt = new Matrix(l, l);
  for (let i = 0; i < l; i++) {
    for (let j = i; j < l; j++) {
      let s = 0;
      const bi = Bt[i];
      const bj = Bt[j];
      for (let r = 0; r < V; r++) s += bi[r] * bj[r];
      BBt.set(i, j, s);
      BBt.set(j, i, s);
    }
  }
  const evd = new EigenvalueDecomposition(BBt, { assumeSymmetric: true });
  const order = evd.realEigenvalues.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  const k = Math.min(dims, l);
  const W = evd.eigenvectorMatrix;
  // U·S = Q·W·S, and since S = sqrt(λ), (Q·W)·S per component.
  const out: DenseRows = Array.from({ length: n }, () => new Float64Array(k));
  for (let c = 0; c < k; c++) {
    const [lambda, col] = order[c];
    const s = Math.sqrt(Math.max(lambda, 0));
    for (let j = 0; j < l; j++) {
      const w = W.get(j, col) * s;
      if (w === 0) continue;
      const q = Y[j];
      for (let r = 0; r < n; r++) out[r][c] += q[r] * w;
    }
  }
  for (const row of out) normalize(row);
  return out;
}
