import type { Mesh } from '../../mesh.ts';
import type { Rng } from '../../../util/rng.ts';
import { box, lathe, torus } from './mesh-builder.ts';
import { mapVertices, mergeMeshes, place } from './mesh-ops.ts';
import { capsuleProfile, sphereProfile } from './profiles.ts';

/**
 * The classes of `synth-cls`. Each makes one random instance in a canonical pose (y up, about
 * unit size); shared nuisances (stretching, bending, noise, cut-away, rotation) are added by
 * `deform.ts`. Several classes are near neighbours on purpose so the task is not trivial:
 * box ↔ prism ↔ cylinder ↔ capsule, cone ↔ pyramid, sphere ↔ blob, table ↔ chair ↔ l_shape.
 * `difficulty` in [0, 1] pulls the neighbours' parameters towards each other.
 */
export interface ShapeClass {
  name: string;
  make(rng: Rng, difficulty: number): Mesh;
}

const ROUND_SIDES = 28;

export const SYNTH_CLS_CLASSES: readonly ShapeClass[] = [
  {
    name: 'box',
    make: (rng) => box(rng.range(0.5, 1.5), rng.range(0.5, 1.5), rng.range(0.5, 1.5), 4),
  },
  {
    // Five to eight sides; at eight it is hard to tell from a cylinder once noise is added.
    name: 'prism',
    make: (rng, difficulty) => {
      const sides = 5 + rng.int(1 + Math.round(3 * difficulty));
      const radius = rng.range(0.35, 0.6);
      return lathe(column(radius, rng.range(0.6, 1.6), 4), sides, { capBottom: true, capTop: true });
    },
  },
  {
    name: 'cylinder',
    make: (rng) => lathe(column(rng.range(0.3, 0.6), rng.range(0.6, 1.6), 4), ROUND_SIDES, { capBottom: true, capTop: true }),
  },
  {
    // Caps flatten with difficulty, which moves a capsule towards a cylinder with rounded edges.
    name: 'capsule',
    make: (rng, difficulty) => {
      const radius = rng.range(0.25, 0.5);
      const capHeight = radius * rng.range(1 - 0.7 * difficulty, 1);
      return lathe(capsuleProfile(radius, rng.range(0.4, 1.2), capHeight), ROUND_SIDES);
    },
  },
  {
    // Sometimes truncated: the flat top moves a cone towards a cylinder-ish frustum.
    name: 'cone',
    make: (rng, difficulty) => frustum(rng, difficulty, ROUND_SIDES),
  },
  {
    name: 'pyramid',
    make: (rng, difficulty) => frustum(rng, difficulty, 4),
  },
  {
    name: 'sphere',
    make: (rng) => lathe(sphereProfile(rng.range(0.4, 0.6), 0, 14), ROUND_SIDES),
  },
  {
    // A sphere with low-frequency bumps; weaker bumps at higher difficulty.
    name: 'blob',
    make: (rng, difficulty) => {
      const amplitude = rng.range(0.3 - 0.18 * difficulty, 0.35);
      const waves = Array.from({ length: 3 }, () => ({
        axis: [rng.normal(), rng.normal(), rng.normal()] as const,
        frequency: rng.range(2, 4),
        phase: rng.range(0, 2 * Math.PI),
      }));
      const sphere = lathe(sphereProfile(0.5, 0, 14), ROUND_SIDES);
      return mapVertices(sphere, (x, y, z) => {
        const length = Math.hypot(x, y, z) || 1;
        let bump = 0;
        for (const wave of waves) bump += Math.sin(wave.frequency * (wave.axis[0] * x + wave.axis[1] * y + wave.axis[2] * z) / length + wave.phase);
        const factor = 1 + (amplitude * bump) / waves.length;
        return [x * factor, y * factor, z * factor];
      });
    },
  },
  {
    name: 'torus',
    make: (rng) => torus(0.5, rng.range(0.1, 0.3), 32, 12),
  },
  {
    name: 'table',
    make: (rng) => {
      const width = rng.range(0.9, 1.6);
      const depth = rng.range(0.6, 1.2);
      const height = rng.range(0.5, 0.9);
      const thickness = rng.range(0.04, 0.1);
      const top = place(box(width, thickness, depth, 3), [1, 1, 1], [0, height - thickness / 2, 0]);
      return mergeMeshes([top, ...legs(width, depth, height - thickness, rng.range(0.04, 0.08), rng.range(0.02, 0.1))]);
    },
  },
  {
    name: 'chair',
    make: (rng) => {
      const width = rng.range(0.5, 0.8);
      const depth = rng.range(0.5, 0.8);
      const seatHeight = rng.range(0.4, 0.55);
      const thickness = rng.range(0.04, 0.08);
      const backHeight = rng.range(0.35, 0.7);
      const seat = place(box(width, thickness, depth, 3), [1, 1, 1], [0, seatHeight - thickness / 2, 0]);
      const back = place(box(width, backHeight, thickness, 3), [1, 1, 1], [0, seatHeight + backHeight / 2, -depth / 2 + thickness / 2]);
      return mergeMeshes([seat, back, ...legs(width, depth, seatHeight - thickness, rng.range(0.03, 0.06), 0.02)]);
    },
  },
  {
    // Two thick slabs at a right angle: a chair without legs, seen coarsely.
    name: 'l_shape',
    make: (rng) => {
      const length = rng.range(0.7, 1.3);
      const height = rng.range(0.6, 1.2);
      const thickness = rng.range(0.15, 0.35);
      const depth = rng.range(0.4, 0.9);
      const foot = place(box(length, thickness, depth, 4), [1, 1, 1], [0, thickness / 2, 0]);
      const upright = place(box(thickness, height, depth, 4), [1, 1, 1], [-length / 2 + thickness / 2, thickness + height / 2, 0]);
      return mergeMeshes([foot, upright]);
    },
  },
];

/** A straight column profile of `rings` + 1 rings so bending has vertices to move. */
function column(radius: number, height: number, rings: number): [number, number][] {
  return Array.from({ length: rings + 1 }, (_, i) => [radius, (height * i) / rings]);
}

function frustum(rng: Rng, difficulty: number, sides: number): Mesh {
  const radius = rng.range(0.35, 0.65);
  const height = rng.range(0.6, 1.5);
  const truncated = rng.uniform() < 0.5 * difficulty;
  const topRadius = truncated ? radius * rng.range(0.1, 0.35) : 0;
  const profile: [number, number][] = Array.from({ length: 5 }, (_, i) => [radius + ((topRadius - radius) * i) / 4, (height * i) / 4]);
  return lathe(profile, sides, { capBottom: true, capTop: truncated });
}

/** Four legs under a rectangular top of the given size, inset from the corners. */
function legs(width: number, depth: number, height: number, legWidth: number, inset: number): Mesh[] {
  const x = width / 2 - inset - legWidth / 2;
  const z = depth / 2 - inset - legWidth / 2;
  return [
    [x, z], [-x, z], [x, -z], [-x, -z],
  ].map(([lx, lz]) => place(box(legWidth, height, legWidth, 2), [1, 1, 1], [lx!, height / 2, lz!]));
}
