import type { PlyScalarType, PlyTypedArray } from './ply/types.ts';

/**
 * What a point file holds once its layout is understood: positions and the per-point data the
 * rest of bitpoint uses, as plain typed arrays (the same shapes as a dataset `Sample`).
 */
export interface PointCloud {
  /** N×3 positions, row-major. */
  points: Float32Array;
  /** N×3 normals. */
  normals?: Float32Array;
  /** N×3 colours in [0, 1]. */
  colors?: Float32Array;
  /** N opacities in [0, 1], when the file has an alpha channel. */
  alpha?: Float32Array;
  /** Per-point labels (part or class ids), length N. */
  labels?: Int32Array;
  /**
   * Every other per-point value, by name with its type: `label`, `intensity`, `pred_pointnet`, …
   * This is how ground truth and predictions travel in PLY files.
   */
  attributes?: Record<string, PointAttribute>;
}

export interface PointAttribute {
  type: PlyScalarType;
  /** Length N. */
  values: PlyTypedArray;
}

export function pointCountOf(cloud: PointCloud): number {
  return cloud.points.length / 3;
}
