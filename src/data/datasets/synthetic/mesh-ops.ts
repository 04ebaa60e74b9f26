import type { Mesh } from '../../mesh.ts';
import type { Rng } from '../../../util/rng.ts';

/**
 * Whole-mesh operations the generators compose: moving vertices, joining parts, and cutting away
 * part of the surface to imitate a partial scan.
 */

export type Vec3 = [number, number, number];

/** A new mesh with every vertex moved by `map` (faces unchanged). */
export function mapVertices(mesh: Mesh, map: (x: number, y: number, z: number) => Vec3): Mesh {
  const vertices = new Float32Array(mesh.vertices.length);
  for (let i = 0; i < vertices.length; i += 3) {
    const [x, y, z] = map(mesh.vertices[i]!, mesh.vertices[i + 1]!, mesh.vertices[i + 2]!);
    vertices[i] = x;
    vertices[i + 1] = y;
    vertices[i + 2] = z;
  }
  return { vertices, faces: mesh.faces };
}

/** Scale per axis, then translate. */
export function place(mesh: Mesh, scale: Vec3, offset: Vec3 = [0, 0, 0]): Mesh {
  return mapVertices(mesh, (x, y, z) => [x * scale[0] + offset[0], y * scale[1] + offset[1], z * scale[2] + offset[2]]);
}

/** Rotation about the y axis by `angle` radians. */
export function rotateY(mesh: Mesh, angle: number): Mesh {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return mapVertices(mesh, (x, y, z) => [c * x + s * z, y, -s * x + c * z]);
}

/** Rotation about the x axis by `angle` radians. */
export function rotateX(mesh: Mesh, angle: number): Mesh {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return mapVertices(mesh, (x, y, z) => [x, c * y - s * z, s * y + c * z]);
}

/** Rotation about the z axis by `angle` radians. */
export function rotateZ(mesh: Mesh, angle: number): Mesh {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return mapVertices(mesh, (x, y, z) => [c * x - s * y, s * x + c * y, z]);
}

/** One mesh holding all parts (vertex indices of later parts are offset). */
export function mergeMeshes(parts: readonly Mesh[]): Mesh {
  const vertexCount = parts.reduce((sum, part) => sum + part.vertices.length, 0);
  const faceCount = parts.reduce((sum, part) => sum + part.faces.length, 0);
  const vertices = new Float32Array(vertexCount);
  const faces = new Uint32Array(faceCount);
  let vertexOffset = 0;
  let faceOffset = 0;
  for (const part of parts) {
    vertices.set(part.vertices, vertexOffset);
    for (let i = 0; i < part.faces.length; i++) faces[faceOffset + i] = part.faces[i]! + vertexOffset / 3;
    vertexOffset += part.vertices.length;
    faceOffset += part.faces.length;
  }
  return { vertices, faces };
}

/** Total surface area. */
export function surfaceArea(mesh: Mesh): number {
  let area = 0;
  for (let f = 0; f < mesh.faces.length; f += 3) area += triangleArea(mesh, f);
  return area;
}

function triangleArea(mesh: Mesh, f: number): number {
  const v = mesh.vertices;
  const a = 3 * mesh.faces[f]!;
  const b = 3 * mesh.faces[f + 1]!;
  const c = 3 * mesh.faces[f + 2]!;
  const ux = v[b]! - v[a]!;
  const uy = v[b + 1]! - v[a + 1]!;
  const uz = v[b + 2]! - v[a + 2]!;
  const wx = v[c]! - v[a]!;
  const wy = v[c + 1]! - v[a + 1]!;
  const wz = v[c + 2]! - v[a + 2]!;
  return 0.5 * Math.hypot(uy * wz - uz * wy, uz * wx - ux * wz, ux * wy - uy * wx);
}

/**
 * Removes the faces whose centroids lie farthest along a random direction until about `fraction`
 * of the surface area is gone: the shape looks as if part of it was never scanned. Unused
 * vertices are dropped.
 */
export function cutAway(mesh: Mesh, fraction: number, rng: Rng): Mesh {
  const faceCount = mesh.faces.length / 3;
  let dx = rng.normal();
  let dy = rng.normal();
  let dz = rng.normal();
  const length = Math.hypot(dx, dy, dz) || 1;
  dx /= length;
  dy /= length;
  dz /= length;
  const v = mesh.vertices;
  const depth = new Float64Array(faceCount);
  const areas = new Float64Array(faceCount);
  let total = 0;
  for (let f = 0; f < faceCount; f++) {
    let sum = 0;
    for (let k = 0; k < 3; k++) {
      const i = 3 * mesh.faces[3 * f + k]!;
      sum += v[i]! * dx + v[i + 1]! * dy + v[i + 2]! * dz;
    }
    depth[f] = sum;
    areas[f] = triangleArea(mesh, 3 * f);
    total += areas[f]!;
  }
  const order = Array.from({ length: faceCount }, (_, f) => f).sort((a, b) => depth[b]! - depth[a]!);
  const removed = new Uint8Array(faceCount);
  let removedArea = 0;
  for (const f of order) {
    if (removedArea + areas[f]! > fraction * total) break;
    removed[f] = 1;
    removedArea += areas[f]!;
  }
  const kept: number[] = [];
  for (let f = 0; f < faceCount; f++) if (!removed[f]) kept.push(mesh.faces[3 * f]!, mesh.faces[3 * f + 1]!, mesh.faces[3 * f + 2]!);
  return compactVertices({ vertices: mesh.vertices, faces: Uint32Array.from(kept) });
}

/** Drops vertices no face uses and renumbers the faces. */
export function compactVertices(mesh: Mesh): Mesh {
  const remap = new Int32Array(mesh.vertices.length / 3).fill(-1);
  const vertices: number[] = [];
  const faces = new Uint32Array(mesh.faces.length);
  for (let i = 0; i < mesh.faces.length; i++) {
    const old = mesh.faces[i]!;
    if (remap[old] === -1) {
      remap[old] = vertices.length / 3;
      vertices.push(mesh.vertices[3 * old]!, mesh.vertices[3 * old + 1]!, mesh.vertices[3 * old + 2]!);
    }
    faces[i] = remap[old]!;
  }
  return { vertices: Float32Array.from(vertices), faces };
}
