import type { Mesh } from '../../mesh.ts';
import type { Rng } from '../../../util/rng.ts';
import { cutAway, mapVertices, rotateY } from './mesh-ops.ts';

/**
 * Nuisances shared by every synth-cls class, all growing with `difficulty` in [0, 1]:
 * per-axis stretching (up to ×/÷1.6 at 1), taper and bend along the height, vertex noise, and with
 * some probability a cut-away part of the surface as in a partial scan. A random rotation about
 * the up axis is always applied, as objects in a real data set are not all facing one way.
 */
export function deform(mesh: Mesh, rng: Rng, difficulty: number): Mesh {
  const { min, max } = bounds(mesh);
  const size = Math.max(max[0] - min[0], max[1] - min[1], max[2] - min[2]) || 1;
  const midY = (min[1] + max[1]) / 2;
  const stretch = [0, 1, 2].map(() => Math.exp(rng.range(-1, 1) * 0.47 * difficulty));
  const taper = rng.range(-0.5, 0.5) * difficulty;
  const bend = rng.range(-0.4, 0.4) * difficulty;
  const noise = 0.012 * difficulty * size;
  let out = mapVertices(mesh, (x, y, z) => {
    const t = (y - midY) / size; // height along the shape, about -0.5..0.5
    const taperFactor = 1 + taper * t;
    return [
      (x * taperFactor + bend * t * t * size + noise * rng.normal()) * stretch[0]!,
      (y + noise * rng.normal()) * stretch[1]!,
      (z * taperFactor + noise * rng.normal()) * stretch[2]!,
    ];
  });
  if (rng.uniform() < 0.6 * difficulty) out = cutAway(out, rng.range(0.1, 0.35), rng);
  return rotateY(out, rng.range(0, 2 * Math.PI));
}

function bounds(mesh: Mesh): { min: [number, number, number]; max: [number, number, number] } {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < mesh.vertices.length; i++) {
    const axis = i % 3;
    min[axis] = Math.min(min[axis]!, mesh.vertices[i]!);
    max[axis] = Math.max(max[axis]!, mesh.vertices[i]!);
  }
  return { min, max };
}
