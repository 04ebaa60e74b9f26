/**
 * The unit that flows from a dataset to a batch: plain typed arrays, no tensors, so it can be
 * cached, sent to a worker, or used in the browser.
 */
export interface Sample {
  /** Stable identifier, e.g. `airplane/train/airplane_0001` (used in reports and caches). */
  id: string;
  /** N×3 positions, row-major. */
  points: Float32Array;
  /** Optional N×3 normals, row-major. */
  normals?: Float32Array;
  /** Class label for classification (index into the dataset's class names). */
  label?: number;
  /** Per-point labels for segmentation (global part ids), length N. */
  labels?: Int32Array;
  /** Object category for part segmentation (ShapeNetPart's one-hot input), index into categories. */
  category?: number;
}

/** Number of points in a sample. */
export function pointCount(sample: Sample): number {
  return sample.points.length / 3;
}

/** A grey-scale image for the image baselines (MNIST): pixels in [0, 1], row-major H×W. */
export interface ImageSample {
  id: string;
  pixels: Float32Array;
  width: number;
  height: number;
  /** Class label (the digit for MNIST). */
  label: number;
}
