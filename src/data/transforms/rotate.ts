import type { Rng } from '../../util/rng.ts';
import { applyMatrix, type Matrix3 } from './linear-map.ts';
import type { Transform } from './transform.ts';

export type Axis = 'x' | 'y' | 'z';

/**
 * Rotation about the up axis by a uniform random angle (or a fixed `angle` in radians), the
 * standard ModelNet augmentation: objects stay upright. The up axis is y in ModelNet's resampled
 * and HDF5 distributions and in ShapeNetPart.
 */
export function rotateAboutUpAxis(options: { axis?: Axis; angle?: number } = {}): Transform {
  const axis = options.axis ?? 'y';
  return (sample, rng) => {
    const angle = options.angle ?? rng.range(0, 2 * Math.PI);
    return applyMatrix(sample, axisRotation(axis, angle));
  };
}

/** A uniformly random rotation in SO(3) (from a random unit quaternion). */
export function randomRotation(): Transform {
  return (sample, rng) => applyMatrix(sample, randomRotationMatrix(rng));
}

export function axisRotation(axis: Axis, angle: number): Matrix3 {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  switch (axis) {
    case 'x':
      return [1, 0, 0, 0, c, -s, 0, s, c];
    case 'y':
      return [c, 0, s, 0, 1, 0, -s, 0, c];
    case 'z':
      return [c, -s, 0, s, c, 0, 0, 0, 1];
  }
}

export function randomRotationMatrix(rng: Rng): Matrix3 {
  // Four independent normals normalized give a quaternion uniform on S³, hence a uniform rotation.
  let w = 0;
  let x = 0;
  let y = 0;
  let z = 0;
  let length = 0;
  while (length < 1e-9) {
    w = rng.normal();
    x = rng.normal();
    y = rng.normal();
    z = rng.normal();
    length = Math.hypot(w, x, y, z);
  }
  w /= length;
  x /= length;
  y /= length;
  z /= length;
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ];
}
