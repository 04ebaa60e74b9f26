import { pointCount } from '../sample.ts';
import { selectPoints } from './select-points.ts';
import type { Transform } from './transform.ts';

/**
 * Random input dropout as in PointNet++: draw a ratio uniform in [0, maxRatio), drop each point with
 * that probability, and put the first point in its place, so the point count (and the batch shape)
 * stays fixed. The normal and label of a dropped point become those of the first point too.
 */
export function randomPointDropout(options: { maxRatio?: number } = {}): Transform {
  const maxRatio = options.maxRatio ?? 0.875;
  if (maxRatio < 0 || maxRatio >= 1) throw new RangeError(`randomPointDropout: maxRatio must be in [0, 1), got ${maxRatio}`);
  return (sample, rng) => {
    const count = pointCount(sample);
    const ratio = rng.uniform() * maxRatio;
    const indices = new Int32Array(count);
    for (let i = 0; i < count; i++) indices[i] = rng.uniform() <= ratio ? 0 : i;
    return selectPoints(sample, indices);
  };
}
