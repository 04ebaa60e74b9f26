import { describe, expect, it } from 'vitest';
import { sampleSurface, SurfaceSampler, type Mesh } from '../../src/data/mesh.ts';
import { FormatError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

/** Two triangles in parallel planes: area 0.5 at z = 0 and area 1.5 at z = 1. */
const TWO_TRIANGLES: Mesh = {
  vertices: Float32Array.from([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 3, 0, 1, 0, 1, 1]),
  faces: Uint32Array.from([0, 1, 2, 3, 4, 5]),
};

function sphere(rings: number, segments: number): Mesh {
  const vertices: number[] = [];
  const faces: number[] = [];
  for (let r = 0; r <= rings; r++) {
    const theta = (Math.PI * r) / rings;
    for (let s = 0; s < segments; s++) {
      const phi = (2 * Math.PI * s) / segments;
      vertices.push(Math.sin(theta) * Math.cos(phi), Math.sin(theta) * Math.sin(phi), Math.cos(theta));
    }
  }
  for (let r = 0; r < rings; r++) {
    for (let s = 0; s < segments; s++) {
      const a = r * segments + s;
      const b = r * segments + ((s + 1) % segments);
      faces.push(a, a + segments, b, b, a + segments, b + segments);
    }
  }
  return { vertices: Float32Array.from(vertices), faces: Uint32Array.from(faces) };
}

describe('sampleSurface', () => {
  it('picks triangles in proportion to their area', () => {
    const { points } = sampleSurface(TWO_TRIANGLES, 40000, new Rng(1));
    let upper = 0;
    for (let i = 0; i < 40000; i++) if (points[3 * i + 2] === 1) upper++;
    expect(upper / 40000).toBeCloseTo(0.75, 2);
  });

  it('is uniform inside a triangle (sqrt trick), never outside it', () => {
    const triangle: Mesh = { vertices: Float32Array.from([0, 0, 0, 1, 0, 0, 0, 1, 0]), faces: Uint32Array.from([0, 1, 2]) };
    const n = 40000;
    const { points } = sampleSurface(triangle, n, new Rng(2));
    let meanX = 0;
    let meanY = 0;
    let nearCorner = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const x = points[3 * i]!;
      const y = points[3 * i + 1]!;
      if (!(x >= 0 && y >= 0 && x + y <= 1 + 1e-6 && points[3 * i + 2] === 0)) outside++;
      meanX += x / n;
      meanY += y / n;
      if (x + y < 0.5) nearCorner++;
    }
    expect(outside).toBe(0);
    // Centroid (1/3, 1/3); the half-size corner triangle holds a quarter of the area.
    expect(meanX).toBeCloseTo(1 / 3, 2);
    expect(meanY).toBeCloseTo(1 / 3, 2);
    expect(nearCorner / n).toBeCloseTo(0.25, 2);
  });

  it('returns the unit normal of the face each point lies on', () => {
    const { points, normals } = sampleSurface(sphere(12, 24), 500, new Rng(3), { withNormals: true });
    for (let i = 0; i < 500; i++) {
      const [x, y, z] = [points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!];
      const [nx, ny, nz] = [normals![3 * i]!, normals![3 * i + 1]!, normals![3 * i + 2]!];
      expect(Math.hypot(nx, ny, nz)).toBeCloseTo(1, 5);
      // Outward on this sphere, and close to the radial direction.
      expect((nx * x + ny * y + nz * z) / Math.hypot(x, y, z)).toBeGreaterThan(0.95);
    }
    expect(sampleSurface(sphere(4, 4), 10, new Rng(0)).normals).toBeUndefined();
  });

  it('is deterministic for a seed', () => {
    const mesh = sphere(10, 20);
    expect(sampleSurface(mesh, 64, new Rng(5)).points).toEqual(sampleSurface(mesh, 64, new Rng(5)).points);
    expect(sampleSurface(mesh, 64, new Rng(5)).points).not.toEqual(sampleSurface(mesh, 64, new Rng(6)).points);
  });

  it('never picks a zero-area face', () => {
    const mesh: Mesh = {
      vertices: Float32Array.from([0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0, 5, 1, 0, 5, 0, 1, 5]),
      faces: Uint32Array.from([0, 1, 2, 3, 4, 5, 0, 1, 2]),
    };
    const { points } = sampleSurface(mesh, 2000, new Rng(9));
    expect(new Set(points.filter((_, i) => i % 3 === 2))).toEqual(new Set([5]));
  });

  it('a sampler reuses its area table across draws', () => {
    const sampler = new SurfaceSampler(TWO_TRIANGLES);
    expect(sampler.totalArea).toBeCloseTo(2, 6);
    expect(sampler.sample(16, new Rng(1)).points).toEqual(sampleSurface(TWO_TRIANGLES, 16, new Rng(1)).points);
  });

  it('draws 1024 points from a 30k-face mesh quickly', () => {
    const mesh = sphere(100, 150);
    expect(mesh.faces.length / 3).toBe(30000);
    const rng = new Rng(1);
    sampleSurface(mesh, 1024, rng);
    const start = performance.now();
    for (let i = 0; i < 20; i++) sampleSurface(mesh, 1024, rng);
    // Reported, not asserted: the benchmark (`bitpoint bench load`) tracks the 2 ms target.
    console.log(`sampleSurface: ${((performance.now() - start) / 20).toFixed(2)} ms for 1024 points from 30k faces`);
  });
});

describe('sampleSurface on bad meshes', () => {
  it.each([
    ['no faces', { vertices: new Float32Array(9), faces: new Uint32Array(0) }, /mesh has no faces/],
    ['all faces degenerate', { vertices: Float32Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2]), faces: Uint32Array.from([0, 1, 2]) }, /zero surface area/],
    ['an index past the vertices', { vertices: new Float32Array(9), faces: Uint32Array.from([0, 1, 3]) }, /face 0 uses vertex 3 but the mesh has 3 vertices/],
    ['non-finite coordinates', { vertices: Float32Array.from([0, 0, 0, Infinity, 0, 0, 0, 1, 0]), faces: Uint32Array.from([0, 1, 2]) }, /non-finite surface area/],
  ])('%s → FormatError naming the source', (_, mesh, message) => {
    let error: unknown;
    try {
      sampleSurface(mesh, 10, new Rng(0), { source: 'chair_0001.off' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).message).toMatch(message);
    expect((error as FormatError).message.startsWith('chair_0001.off')).toBe(true);
  });
});
