import { withArrays } from './select-points.ts';
import type { Transform } from './transform.ts';

/**
 * Moves the centroid to the origin and scales so the farthest point lies on the unit sphere
 * (the normalization of PointNet/PointNet++). Normals are directions and do not change.
 * Deterministic: the rng is not used.
 */
export function centerAndScaleToUnitSphere(): Transform {
  return (sample) => {
    const points = sample.points;
    const count = points.length / 3;
    let cx = 0;
    let cy = 0;
    let cz = 0;
    for (let i = 0; i < count; i++) {
      cx += points[3 * i]!;
      cy += points[3 * i + 1]!;
      cz += points[3 * i + 2]!;
    }
    cx /= count || 1;
    cy /= count || 1;
    cz /= count || 1;
    const out = new Float32Array(points.length);
    let maxSquared = 0;
    for (let i = 0; i < count; i++) {
      const x = points[3 * i]! - cx;
      const y = points[3 * i + 1]! - cy;
      const z = points[3 * i + 2]! - cz;
      out[3 * i] = x;
      out[3 * i + 1] = y;
      out[3 * i + 2] = z;
      maxSquared = Math.max(maxSquared, x * x + y * y + z * z);
    }
    // A single point (or all coincident) stays at the origin instead of dividing by zero.
    const scale = maxSquared > 0 ? 1 / Math.sqrt(maxSquared) : 1;
    for (let i = 0; i < out.length; i++) out[i]! *= scale;
    return withArrays(sample, out, sample.normals, sample.labels);
  };
}
