import { applyMatrix } from './linear-map.ts';
import type { Transform } from './transform.ts';

/**
 * Random scaling with factors uniform in [low, high): one factor per axis (anisotropic, the
 * PointNet++/DGCNN augmentation) unless `anisotropic: false`. Normals are corrected.
 */
export function randomScale(options: { low?: number; high?: number; anisotropic?: boolean } = {}): Transform {
  const low = options.low ?? 0.8;
  const high = options.high ?? 1.25;
  const anisotropic = options.anisotropic ?? true;
  if (!(low > 0 && high >= low)) throw new RangeError(`randomScale: need 0 < low ≤ high, got [${low}, ${high}]`);
  return (sample, rng) => {
    const sx = rng.range(low, high);
    const sy = anisotropic ? rng.range(low, high) : sx;
    const sz = anisotropic ? rng.range(low, high) : sx;
    return applyMatrix(sample, [sx, 0, 0, 0, sy, 0, 0, 0, sz]);
  };
}
