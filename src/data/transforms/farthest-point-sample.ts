import { pointCount } from '../sample.ts';
import { randomIndices } from './random-sample.ts';
import { selectPoints } from './select-points.ts';
import type { Transform } from './transform.ts';

/**
 * Farthest point sampling: repeatedly takes the point farthest from all points taken so far, which
 * covers the shape evenly (PointNet++). O(N·M) with one running distance array.
 * The start point is random (seeded) unless `randomStart: false`, then it is point 0.
 * A cloud with fewer than `count` points is padded with random repeats.
 */
export function farthestPointSample(count: number, options: { randomStart?: boolean } = {}): Transform {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`farthestPointSample: count must be a positive integer, got ${count}`);
  const randomStart = options.randomStart ?? true;
  return (sample, rng) => {
    const available = pointCount(sample);
    if (available <= count) return selectPoints(sample, randomIndices(available, count, rng));
    const start = randomStart ? rng.int(available) : 0;
    return selectPoints(sample, farthestPointIndices(sample.points, count, start));
  };
}

/** Indices of `count` farthest points of an N×3 array, starting from `start`. */
export function farthestPointIndices(points: Float32Array, count: number, start = 0): Int32Array {
  const available = points.length / 3;
  if (count > available) throw new RangeError(`farthestPointIndices: asked for ${count} of ${available} points`);
  // Separate coordinate arrays keep the inner loop on three sequential streams.
  const xs = new Float32Array(available);
  const ys = new Float32Array(available);
  const zs = new Float32Array(available);
  for (let i = 0; i < available; i++) {
    xs[i] = points[3 * i]!;
    ys[i] = points[3 * i + 1]!;
    zs[i] = points[3 * i + 2]!;
  }
  const indices = new Int32Array(count);
  // Squared distance from each point to the nearest chosen point so far.
  const nearest = new Float32Array(available).fill(Infinity);
  let current = start;
  for (let k = 0; k < count; k++) {
    indices[k] = current;
    const cx = xs[current]!;
    const cy = ys[current]!;
    const cz = zs[current]!;
    let farthest = 0;
    let farthestDistance = -1;
    for (let i = 0; i < available; i++) {
      const dx = xs[i]! - cx;
      const dy = ys[i]! - cy;
      const dz = zs[i]! - cz;
      const d = Math.min(nearest[i]!, dx * dx + dy * dy + dz * dz);
      nearest[i] = d;
      if (d > farthestDistance) {
        farthestDistance = d;
        farthest = i;
      }
    }
    current = farthest;
  }
  return indices;
}
