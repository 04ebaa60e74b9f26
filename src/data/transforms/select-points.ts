import type { Sample } from '../sample.ts';

/**
 * A new sample holding the points at `indices` (in that order, repeats allowed), with normals and
 * per-point labels gathered alongside so they keep following their points.
 */
export function selectPoints(sample: Sample, indices: ArrayLike<number>): Sample {
  const count = indices.length;
  const points = new Float32Array(count * 3);
  const normals = sample.normals ? new Float32Array(count * 3) : undefined;
  const labels = sample.labels ? new Int32Array(count) : undefined;
  for (let i = 0; i < count; i++) {
    const from = indices[i]!;
    points[3 * i] = sample.points[3 * from]!;
    points[3 * i + 1] = sample.points[3 * from + 1]!;
    points[3 * i + 2] = sample.points[3 * from + 2]!;
    if (normals) {
      normals[3 * i] = sample.normals![3 * from]!;
      normals[3 * i + 1] = sample.normals![3 * from + 1]!;
      normals[3 * i + 2] = sample.normals![3 * from + 2]!;
    }
    if (labels) labels[i] = sample.labels![from]!;
  }
  return withArrays(sample, points, normals, labels);
}

/** A copy of `sample` with new per-point arrays; optional fields stay absent when absent. */
export function withArrays(sample: Sample, points: Float32Array, normals?: Float32Array, labels?: Int32Array): Sample {
  const out: Sample = { ...sample, points };
  if (normals) out.normals = normals;
  else delete out.normals;
  if (labels) out.labels = labels;
  else delete out.labels;
  return out;
}
