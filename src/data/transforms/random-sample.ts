import type { Rng } from '../../util/rng.ts';
import { pointCount } from '../sample.ts';
import { selectPoints } from './select-points.ts';
import type { Transform } from './transform.ts';

/**
 * Exactly `count` points chosen uniformly at random: without replacement when the cloud has enough
 * points, otherwise all points plus random repeats (so a short scan still fills a fixed-size batch).
 */
export function randomSample(count: number): Transform {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`randomSample: count must be a positive integer, got ${count}`);
  return (sample, rng) => selectPoints(sample, randomIndices(pointCount(sample), count, rng));
}

export function randomIndices(available: number, count: number, rng: Rng): Int32Array {
  if (available < 1) throw new RangeError('randomSample: the sample has no points');
  const indices = new Int32Array(count);
  if (count <= available) {
    // Partial Fisher–Yates: the first `count` slots of a shuffled identity.
    const pool = new Int32Array(available);
    for (let i = 0; i < available; i++) pool[i] = i;
    for (let i = 0; i < count; i++) {
      const j = i + rng.int(available - i);
      const tmp = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = tmp;
      indices[i] = pool[i]!;
    }
    return indices;
  }
  for (let i = 0; i < available; i++) indices[i] = i;
  for (let i = available; i < count; i++) indices[i] = rng.int(available);
  rng.shuffle(indices);
  return indices;
}
