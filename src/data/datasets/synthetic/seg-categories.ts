import type { Mesh } from '../../mesh.ts';
import type { Rng } from '../../../util/rng.ts';
import { box, lathe, torus } from './mesh-builder.ts';
import { mapVertices, place, rotateX, rotateZ } from './mesh-ops.ts';
import { capsuleProfile } from './profiles.ts';

/**
 * The object categories of `synth-seg`, ShapeNetPart style: each category has 2–4 named parts and
 * makes one random instance as one mesh per part (an empty list for an optional part this instance
 * lacks). Shapes are upright (y up) and about unit size; part ids are global across categories,
 * assigned in table order (see `synthSegPartTable`).
 */
export interface PartCategory {
  name: string;
  /** Folder name, 8 digits like a ShapeNet synset; starts with 9 so it never clashes with a real one. */
  synset: string;
  partNames: readonly string[];
  /** Meshes per part, indexed like `partNames`. */
  make(rng: Rng): Mesh[][];
}

const ROUND = 20;

export const SYNTH_SEG_CATEGORIES: readonly PartCategory[] = [
  {
    name: 'Airplane',
    synset: '90000001',
    partNames: ['body', 'wing', 'tail', 'engine'],
    make(rng) {
      const radius = rng.range(0.06, 0.1);
      const length = rng.range(0.9, 1.3);
      // A capsule lying along z, centred at the origin.
      const body = place(rotateX(lathe(capsuleProfile(radius, length, radius * rng.range(1, 2.5)), ROUND), Math.PI / 2), [1, 1, 1], [0, 0, -length / 2]);
      const span = rng.range(0.9, 1.4);
      const chord = rng.range(0.15, 0.3);
      const sweep = rng.range(0, 0.5);
      const wingZ = rng.range(-0.1, 0.1) * length;
      const wing = mapVertices(box(span, 0.025, chord, 6), (x, y, z) => [x, y - radius * 0.3, z + wingZ - Math.abs(x) * sweep]);
      const tailZ = -length / 2 - radius * 0.5;
      const finHeight = rng.range(0.15, 0.3);
      const fin = place(box(0.02, finHeight, chord * 0.8, 2), [1, 1, 1], [0, radius + finHeight / 2, tailZ]);
      const stabilizer = place(box(span * rng.range(0.25, 0.4), 0.02, chord * 0.6, 3), [1, 1, 1], [0, radius * 0.5, tailZ]);
      const engineCount = rng.uniform() < 0.6 ? (rng.uniform() < 0.5 ? 2 : 4) : 0;
      const engines = Array.from({ length: engineCount }, (_, i) => {
        const side = i % 2 === 0 ? 1 : -1;
        const x = side * span * (i < 2 ? 0.22 : 0.38);
        const engineLength = chord * rng.range(0.8, 1.2);
        const nacelle = rotateX(lathe(column(radius * 0.5, engineLength), ROUND, { capBottom: true, capTop: true }), Math.PI / 2);
        return place(nacelle, [1, 1, 1], [x, -radius * 1.3, wingZ - Math.abs(x) * sweep + chord * 0.3 - engineLength / 2]);
      });
      return [[body], [wing], [fin, stabilizer], engines];
    },
  },
  {
    name: 'Mug',
    synset: '90000002',
    partNames: ['body', 'handle'],
    make(rng) {
      const radius = rng.range(0.3, 0.45);
      const height = rng.range(0.6, 1.0);
      const wall = radius * 0.9;
      const taper = rng.range(0.85, 1.15);
      // Outside wall and bottom, then the inside wall back down: an open cup.
      const body = lathe(
        [[0, 0], [radius, 0], [radius * taper, height], [wall * taper, height], [wall, height * 0.06], [0, height * 0.06]],
        ROUND * 2,
      );
      const handleRadius = height * rng.range(0.25, 0.35);
      const halfRing = rotateZ(rotateX(torus(handleRadius, rng.range(0.03, 0.05), 16, 8, Math.PI), -Math.PI / 2), -Math.PI / 2);
      const handle = place(halfRing, [rng.range(0.6, 1.0), 1, 1], [radius * (1 + taper) / 2 - 0.02, height / 2, 0]);
      return [[body], [handle]];
    },
  },
  {
    name: 'Lamp',
    synset: '90000003',
    partNames: ['base', 'pole', 'shade'],
    make(rng) {
      const baseRadius = rng.range(0.18, 0.35);
      const baseHeight = rng.range(0.03, 0.08);
      const base = lathe(column(baseRadius, baseHeight), ROUND, { capBottom: true, capTop: true });
      const poleHeight = rng.range(0.6, 1.0);
      const pole = place(lathe(column(rng.range(0.015, 0.03), poleHeight), 10), [1, 1, 1], [0, baseHeight, 0]);
      const shadeHeight = rng.range(0.2, 0.35);
      const bottomRadius = rng.range(0.2, 0.35);
      const shadeY = baseHeight + poleHeight - shadeHeight * 0.6;
      const shade = place(lathe([[bottomRadius, 0], [bottomRadius * rng.range(0.4, 0.8), shadeHeight]], ROUND * 2), [1, 1, 1], [0, shadeY, 0]);
      return [[base], [pole], [shade]];
    },
  },
  {
    name: 'Table',
    synset: '90000004',
    partNames: ['top', 'leg'],
    make(rng) {
      const height = rng.range(0.5, 0.8);
      const thickness = rng.range(0.03, 0.07);
      const round = rng.uniform() < 0.35;
      if (round) {
        const radius = rng.range(0.4, 0.7);
        const top = place(lathe(column(radius, thickness), ROUND * 2, { capBottom: true, capTop: true }), [1, 1, 1], [0, height - thickness, 0]);
        const pedestal = lathe(column(rng.range(0.03, 0.06), height - thickness), 12);
        const foot = lathe(column(radius * rng.range(0.3, 0.5), 0.03), ROUND, { capBottom: true, capTop: true });
        return [[top], [pedestal, foot]];
      }
      const width = rng.range(0.9, 1.6);
      const depth = rng.range(0.5, 1.0);
      const top = place(box(width, thickness, depth, 4), [1, 1, 1], [0, height - thickness / 2, 0]);
      return [[top], fourLegs(width, depth, height - thickness, rng.range(0.04, 0.07), rng.range(0.02, 0.08))];
    },
  },
  {
    name: 'Chair',
    synset: '90000005',
    partNames: ['back', 'seat', 'leg', 'arm'],
    make(rng) {
      const width = rng.range(0.45, 0.7);
      const depth = rng.range(0.45, 0.65);
      const seatHeight = rng.range(0.4, 0.5);
      const thickness = rng.range(0.04, 0.08);
      const backHeight = rng.range(0.4, 0.7);
      const tilt = rng.range(0, 0.25);
      const seat = place(box(width, thickness, depth, 4), [1, 1, 1], [0, seatHeight - thickness / 2, 0]);
      const backSlab = place(box(width, backHeight, thickness, 4), [1, 1, 1], [0, backHeight / 2, 0]);
      const back = place(rotateX(backSlab, -tilt), [1, 1, 1], [0, seatHeight, -depth / 2 + thickness / 2]);
      const legs = fourLegs(width, depth, seatHeight - thickness, rng.range(0.03, 0.05), 0.02);
      const arms =
        rng.uniform() < 0.5
          ? [-1, 1].map((side) => place(box(0.05, 0.04, depth * 0.9, 3), [1, 1, 1], [side * (width / 2 - 0.025), seatHeight + rng.range(0.18, 0.25), 0]))
          : [];
      return [[back], [seat], legs, arms];
    },
  },
];

/** The global part ids of each category, in table order: Airplane 0–3, Mug 4–5, … */
export function synthSegPartTable(): { name: string; synset: string; parts: number[]; partNames: string[] }[] {
  let next = 0;
  return SYNTH_SEG_CATEGORIES.map((category) => ({
    name: category.name,
    synset: category.synset,
    parts: category.partNames.map(() => next++),
    partNames: [...category.partNames],
  }));
}

function column(radius: number, height: number): [number, number][] {
  return [[radius, 0], [radius, height / 2], [radius, height]];
}

function fourLegs(width: number, depth: number, height: number, legWidth: number, inset: number): Mesh[] {
  const x = width / 2 - inset - legWidth / 2;
  const z = depth / 2 - inset - legWidth / 2;
  return [[x, z], [-x, z], [x, -z], [-x, -z]].map(([lx, lz]) => place(box(legWidth, height, legWidth, 1), [1, 1, 1], [lx!, height / 2, lz!]));
}
