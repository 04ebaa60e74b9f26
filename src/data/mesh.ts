import { FormatError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';

/**
 * A triangle mesh and area-weighted sampling of points on its surface (how ModelNet's meshes
 * become point clouds).
 *
 *   const { points, normals } = sampleSurface(mesh, 1024, new Rng(0), { withNormals: true });
 *
 * Each point picks a triangle with probability proportional to its area (binary search in the
 * cumulative areas), then a uniform point inside it: with r1, r2 ~ U(0,1) and s = sqrt(r1),
 * p = (1 - s)·a + s(1 - r2)·b + s·r2·c (Osada et al. 2002), which is uniform over the triangle.
 */
export interface Mesh {
  /** V×3 positions, row-major. */
  vertices: Float32Array;
  /** F×3 vertex indices, one triangle per row (polygons are fan-triangulated by the readers). */
  faces: Uint32Array;
}

export interface SurfaceSample {
  /** n×3 points on the surface. */
  points: Float32Array;
  /** n×3 unit normals of the triangle each point lies on (only with `withNormals`). */
  normals?: Float32Array;
}

export interface SampleSurfaceOptions {
  withNormals?: boolean;
  /** Names the mesh (usually its file) in the error for a mesh with no area. */
  source?: string;
}

/** Area-weighted random points on a mesh's surface. Throws FormatError for a mesh with no area. */
export function sampleSurface(mesh: Mesh, n: number, rng: Rng, options: SampleSurfaceOptions = {}): SurfaceSample {
  return new SurfaceSampler(mesh, options.source).sample(n, rng, options);
}

/**
 * The cumulative-area table of one mesh, kept so that drawing several clouds from the same mesh
 * (augmentation, several epochs) pays for the areas once.
 */
export class SurfaceSampler {
  private readonly cumulativeAreas: Float64Array;
  readonly totalArea: number;

  constructor(
    readonly mesh: Mesh,
    source = 'mesh',
  ) {
    const { vertices, faces } = mesh;
    if (vertices.length % 3 !== 0) throw new FormatError(source, `mesh vertex array length ${vertices.length} is not a multiple of 3`);
    if (faces.length % 3 !== 0) throw new FormatError(source, `mesh face array length ${faces.length} is not a multiple of 3`);
    if (faces.length === 0) throw new FormatError(source, 'mesh has no faces; cannot sample points on its surface');
    const faceCount = faces.length / 3;
    const vertexCount = vertices.length / 3;
    const cumulative = new Float64Array(faceCount);
    let total = 0;
    for (let f = 0; f < faceCount; f++) {
      const ia = faces[3 * f]!;
      const ib = faces[3 * f + 1]!;
      const ic = faces[3 * f + 2]!;
      if (ia >= vertexCount || ib >= vertexCount || ic >= vertexCount) {
        throw new FormatError(source, `face ${f} uses vertex ${Math.max(ia, ib, ic)} but the mesh has ${vertexCount} vertices`);
      }
      const a = 3 * ia;
      const b = 3 * ib;
      const c = 3 * ic;
      const ax = vertices[a]!;
      const ay = vertices[a + 1]!;
      const az = vertices[a + 2]!;
      const ux = vertices[b]! - ax;
      const uy = vertices[b + 1]! - ay;
      const uz = vertices[b + 2]! - az;
      const vx = vertices[c]! - ax;
      const vy = vertices[c + 1]! - ay;
      const vz = vertices[c + 2]! - az;
      const cx = uy * vz - uz * vy;
      const cy = uz * vx - ux * vz;
      const cz = ux * vy - uy * vx;
      // Twice the area; the factor cancels in the sampling and is halved once for `totalArea`.
      total += Math.sqrt(cx * cx + cy * cy + cz * cz);
      cumulative[f] = total;
    }
    if (!(total > 0) || !Number.isFinite(total)) {
      throw new FormatError(source, `mesh has ${Number.isFinite(total) ? 'zero' : 'non-finite'} surface area (${faceCount} faces); cannot sample points on it`);
    }
    this.cumulativeAreas = cumulative;
    this.totalArea = total / 2;
  }

  sample(n: number, rng: Rng, options: { withNormals?: boolean } = {}): SurfaceSample {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`sampleSurface: point count must be a non-negative integer, got ${n}`);
    const { vertices, faces } = this.mesh;
    const cumulative = this.cumulativeAreas;
    const last = cumulative.length - 1;
    const total = cumulative[last]!;
    const points = new Float32Array(n * 3);
    const normals = options.withNormals ? new Float32Array(n * 3) : undefined;
    for (let i = 0; i < n; i++) {
      const target = rng.uniform() * total;
      // First face whose cumulative area exceeds the target; zero-area faces are never chosen.
      let low = 0;
      let high = last;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (cumulative[mid]! > target) high = mid;
        else low = mid + 1;
      }
      const a = faces[3 * low]! * 3;
      const b = faces[3 * low + 1]! * 3;
      const c = faces[3 * low + 2]! * 3;
      const s = Math.sqrt(rng.uniform());
      const r2 = rng.uniform();
      const wa = 1 - s;
      const wb = s * (1 - r2);
      const wc = s * r2;
      for (let k = 0; k < 3; k++) {
        points[3 * i + k] = wa * vertices[a + k]! + wb * vertices[b + k]! + wc * vertices[c + k]!;
      }
      if (normals) writeFaceNormal(vertices, a, b, c, normals, 3 * i);
    }
    return normals ? { points, normals } : { points };
  }
}

function writeFaceNormal(vertices: Float32Array, a: number, b: number, c: number, out: Float32Array, at: number): void {
  const ux = vertices[b]! - vertices[a]!;
  const uy = vertices[b + 1]! - vertices[a + 1]!;
  const uz = vertices[b + 2]! - vertices[a + 2]!;
  const vx = vertices[c]! - vertices[a]!;
  const vy = vertices[c + 1]! - vertices[a + 1]!;
  const vz = vertices[c + 2]! - vertices[a + 2]!;
  const cx = uy * vz - uz * vy;
  const cy = uz * vx - ux * vz;
  const cz = ux * vy - uy * vx;
  const length = Math.sqrt(cx * cx + cy * cy + cz * cz);
  out[at] = cx / length;
  out[at + 1] = cy / length;
  out[at + 2] = cz / length;
}
