import type { Rng } from '../../util/rng.ts';

/**
 * A random (semi-)orthogonal rows×cols matrix times `gain` (Saxe et al. 2014), row-major:
 * WᵀW = gain²·I when rows ≥ cols, WWᵀ = gain²·I otherwise.
 *
 * A Gaussian max×min matrix is orthonormalized column by column with modified Gram–Schmidt in
 * float64. Gram–Schmidt yields the Q of a QR decomposition whose R has a positive diagonal, and
 * that Q of a Gaussian matrix is Haar-distributed (uniform over orthogonal matrices) — the same
 * distribution as QR plus the usual sign fix. One pass suffices: a Gaussian matrix is well
 * conditioned enough that the loss of orthogonality stays near 1e-12.
 *
 * The cost is max·min² multiply-adds: ~10 ms for 64×1024, ~0.8 s for 1024×512 and ~3.5 s for
 * 1024×1024 in Node — paid once per layer at construction, and only when asked for.
 *
 *   orthogonalValues(64, 128, 1, rng);   // rows orthonormal
 */
export function orthogonalValues(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  const long = Math.max(rows, cols);
  const short = Math.min(rows, cols);
  const columns: Float64Array[] = [];
  for (let j = 0; j < short; j++) columns.push(orthonormalizedGaussianColumn(columns, long, rng));

  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // rows ≥ cols: the orthonormal vectors are W's columns; otherwise they are its rows.
      out[r * cols + c] = gain * (rows >= cols ? columns[c]![r]! : columns[r]![c]!);
    }
  }
  return out;
}

/** A Gaussian vector with its components along `basis` removed, normalized. */
function orthonormalizedGaussianColumn(basis: Float64Array[], length: number, rng: Rng): Float64Array {
  const v = new Float64Array(length);
  for (;;) {
    for (let i = 0; i < length; i++) v[i] = rng.normal();
    const normBefore = norm(v);
    for (const q of basis) {
      const projection = dot(q, v);
      for (let i = 0; i < length; i++) v[i]! -= projection * q[i]!;
    }
    const normAfter = norm(v);
    // A draw (almost) inside the span of the basis has probability zero; redraw rather than divide by ~0.
    if (normAfter > 1e-6 * normBefore) {
      for (let i = 0; i < length; i++) v[i]! /= normAfter;
      return v;
    }
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function norm(v: Float64Array): number {
  return Math.sqrt(dot(v, v));
}
