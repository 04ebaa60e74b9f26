import { withArrays } from './select-points.ts';
import type { Transform } from './transform.ts';

/** Translates the whole cloud by a random offset, each component uniform in [-range, range). */
export function randomShift(options: { range?: number } = {}): Transform {
  const range = options.range ?? 0.1;
  return (sample, rng) => {
    const offset = [rng.range(-range, range), rng.range(-range, range), rng.range(-range, range)] as const;
    const points = new Float32Array(sample.points.length);
    for (let i = 0; i < points.length; i++) points[i] = sample.points[i]! + offset[i % 3]!;
    return withArrays(sample, points, sample.normals, sample.labels);
  };
}
