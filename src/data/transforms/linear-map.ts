import type { Sample } from '../sample.ts';
import { withArrays } from './select-points.ts';

/** A 3×3 matrix, row-major. */
export type Matrix3 = readonly [number, number, number, number, number, number, number, number, number];

/**
 * Applies `p ↦ M·p` to every point. Normals are mapped by the inverse transpose of M and
 * renormalized, which keeps them perpendicular to the surface under non-uniform scaling
 * (for a rotation this is M itself).
 */
export function applyMatrix(sample: Sample, matrix: Matrix3): Sample {
  const points = mapVectors(sample.points, matrix);
  const normals = sample.normals ? normalizeRows(mapVectors(sample.normals, inverseTranspose(matrix))) : undefined;
  return withArrays(sample, points, normals, sample.labels);
}

function mapVectors(vectors: Float32Array, m: Matrix3): Float32Array {
  const out = new Float32Array(vectors.length);
  for (let i = 0; i < vectors.length; i += 3) {
    const x = vectors[i]!;
    const y = vectors[i + 1]!;
    const z = vectors[i + 2]!;
    out[i] = m[0] * x + m[1] * y + m[2] * z;
    out[i + 1] = m[3] * x + m[4] * y + m[5] * z;
    out[i + 2] = m[6] * x + m[7] * y + m[8] * z;
  }
  return out;
}

function normalizeRows(vectors: Float32Array): Float32Array {
  for (let i = 0; i < vectors.length; i += 3) {
    const length = Math.hypot(vectors[i]!, vectors[i + 1]!, vectors[i + 2]!);
    if (length > 0) {
      vectors[i]! /= length;
      vectors[i + 1]! /= length;
      vectors[i + 2]! /= length;
    }
  }
  return vectors;
}

function inverseTranspose(m: Matrix3): Matrix3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  // The cofactor matrix divided by the determinant is (M⁻¹)ᵀ.
  const determinant = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  const s = determinant === 0 ? 1 : 1 / determinant;
  return [
    (e * i - f * h) * s, -(d * i - f * g) * s, (d * h - e * g) * s,
    -(b * i - c * h) * s, (a * i - c * g) * s, -(a * h - b * g) * s,
    (b * f - c * e) * s, -(a * f - c * d) * s, (a * e - b * d) * s,
  ];
}
