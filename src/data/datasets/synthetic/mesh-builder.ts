import type { Mesh } from '../../mesh.ts';

/**
 * Builds triangle meshes for the generated data sets: a growing vertex and face list plus the few
 * surface constructions every procedural shape here is made of (lathe, torus, subdivided box).
 * Coordinates are y-up, like ShapeNet and ModelNet's resampled distributions.
 */
export class MeshBuilder {
  private readonly vertices: number[] = [];
  private readonly faces: number[] = [];

  vertex(x: number, y: number, z: number): number {
    this.vertices.push(x, y, z);
    return this.vertices.length / 3 - 1;
  }

  triangle(a: number, b: number, c: number): void {
    this.faces.push(a, b, c);
  }

  /** A quad a-b-c-d (counter-clockwise seen from outside) as two triangles. */
  quad(a: number, b: number, c: number, d: number): void {
    this.faces.push(a, b, c, a, c, d);
  }

  build(): Mesh {
    return { vertices: Float32Array.from(this.vertices), faces: Uint32Array.from(this.faces) };
  }
}

/** One point of a lathe profile: distance from the y axis and height. */
export type ProfilePoint = readonly [radius: number, y: number];

/**
 * A surface of revolution about the y axis from a profile listed bottom to top. A profile point
 * with radius 0 becomes a single pole vertex (no degenerate triangles); `capBottom`/`capTop` close
 * an open end with a flat disc. `sides` = 4 gives a pyramid-like square section, 24+ looks round.
 */
export function lathe(profile: readonly ProfilePoint[], sides: number, options: { capBottom?: boolean; capTop?: boolean } = {}): Mesh {
  const builder = new MeshBuilder();
  const rings: number[][] = profile.map(([radius, y]) => {
    if (radius === 0) return [builder.vertex(0, y, 0)];
    return Array.from({ length: sides }, (_, k) => {
      // Offset by half a step so a 4-sided lathe has faces, not edges, facing the axes.
      const angle = ((k + 0.5) / sides) * 2 * Math.PI;
      return builder.vertex(radius * Math.cos(angle), y, radius * Math.sin(angle));
    });
  });
  for (let r = 0; r + 1 < rings.length; r++) {
    const lower = rings[r]!;
    const upper = rings[r + 1]!;
    for (let k = 0; k < sides; k++) {
      const next = (k + 1) % sides;
      if (lower.length === 1 && upper.length === 1) continue;
      if (lower.length === 1) builder.triangle(lower[0]!, upper[next]!, upper[k]!);
      else if (upper.length === 1) builder.triangle(lower[k]!, lower[next]!, upper[0]!);
      else builder.quad(lower[k]!, lower[next]!, upper[next]!, upper[k]!);
    }
  }
  const capRing = (ring: number[], y: number, facingUp: boolean) => {
    if (ring.length === 1) return;
    const centre = builder.vertex(0, y, 0);
    for (let k = 0; k < sides; k++) {
      const next = (k + 1) % sides;
      if (facingUp) builder.triangle(centre, ring[next]!, ring[k]!);
      else builder.triangle(centre, ring[k]!, ring[next]!);
    }
  };
  if (options.capBottom) capRing(rings[0]!, profile[0]![1], false);
  if (options.capTop) capRing(rings[rings.length - 1]!, profile[profile.length - 1]![1], true);
  return builder.build();
}

/** A torus around the y axis: ring radius `major`, tube radius `minor`; `arc` < 2π leaves it open. */
export function torus(major: number, minor: number, segments = 32, tubeSides = 12, arc = 2 * Math.PI): Mesh {
  const builder = new MeshBuilder();
  const closed = arc >= 2 * Math.PI - 1e-9;
  const rings = closed ? segments : segments + 1;
  const grid: number[][] = [];
  for (let i = 0; i < rings; i++) {
    const u = (i / segments) * arc;
    grid.push(
      Array.from({ length: tubeSides }, (_, j) => {
        const v = (j / tubeSides) * 2 * Math.PI;
        const radius = major + minor * Math.cos(v);
        return builder.vertex(radius * Math.cos(u), minor * Math.sin(v), radius * Math.sin(u));
      }),
    );
  }
  for (let i = 0; i < segments; i++) {
    const a = grid[i]!;
    const b = grid[(i + 1) % rings]!;
    for (let j = 0; j < tubeSides; j++) {
      const next = (j + 1) % tubeSides;
      builder.quad(a[j]!, a[next]!, b[next]!, b[j]!);
    }
  }
  return builder.build();
}

/**
 * An axis-aligned box centred at the origin with the given full extents, each face split into a
 * `divisions`×`divisions` grid so later bending and noise deform it smoothly.
 */
export function box(width: number, height: number, depth: number, divisions = 1): Mesh {
  const builder = new MeshBuilder();
  const half = [width / 2, height / 2, depth / 2] as const;
  // Each face: the fixed axis, its sign, and the two in-plane axes ordered so the quad faces out.
  const faces: [axis: number, sign: number, u: number, v: number][] = [
    [0, 1, 1, 2], [0, -1, 2, 1], [1, 1, 2, 0], [1, -1, 0, 2], [2, 1, 0, 1], [2, -1, 1, 0],
  ];
  for (const [axis, sign, uAxis, vAxis] of faces) {
    const ids: number[][] = [];
    for (let i = 0; i <= divisions; i++) {
      const row: number[] = [];
      for (let j = 0; j <= divisions; j++) {
        const p = [0, 0, 0];
        p[axis] = sign * half[axis]!;
        p[uAxis] = (2 * (i / divisions) - 1) * half[uAxis]!;
        p[vAxis] = (2 * (j / divisions) - 1) * half[vAxis]!;
        row.push(builder.vertex(p[0]!, p[1]!, p[2]!));
      }
      ids.push(row);
    }
    for (let i = 0; i < divisions; i++) {
      for (let j = 0; j < divisions; j++) builder.quad(ids[i]![j]!, ids[i + 1]![j]!, ids[i + 1]![j + 1]!, ids[i]![j + 1]!);
    }
  }
  return builder.build();
}
