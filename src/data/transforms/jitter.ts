import { withArrays } from './select-points.ts';
import type { Transform } from './transform.ts';

/**
 * Adds Gaussian noise N(0, sigma²) to every coordinate, clipped to ±clip (PointNet's
 * `jitter_point_cloud`, defaults sigma 0.01, clip 0.05). Normals are left as they are.
 */
export function jitter(options: { sigma?: number; clip?: number } = {}): Transform {
  const sigma = options.sigma ?? 0.01;
  const clip = options.clip ?? 0.05;
  if (sigma < 0 || clip < 0) throw new RangeError('jitter: sigma and clip must be ≥ 0');
  return (sample, rng) => {
    const points = new Float32Array(sample.points.length);
    for (let i = 0; i < points.length; i++) {
      const noise = Math.max(-clip, Math.min(clip, sigma * rng.normal()));
      points[i] = sample.points[i]! + noise;
    }
    return withArrays(sample, points, sample.normals, sample.labels);
  };
}
