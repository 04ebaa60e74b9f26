import type { PartTable } from '../../src/data/datasets/part-table.ts';
import { synthSegPartTable } from '../../src/data/datasets/synthetic/seg-categories.ts';
import { writePointCloudPly } from '../../src/data/formats/ply/index.ts';
import type { PointAttribute, PointCloud } from '../../src/data/formats/point-cloud.ts';
import { predictionEntry } from '../../src/experiments/demo-predictions.ts';
import { predictionIndexJson } from '../../src/experiments/prediction-index.ts';
import { Rng } from '../../src/util/rng.ts';

/**
 * Prediction PLY files like `bitpoint predict` writes, made with the project's writer, for the
 * viewer's tests: a small "airplane" with ground-truth parts and models whose predictions differ
 * on known points, and a classified cone with `prob_*` columns.
 */

export const PLANE_PARTS = ['body', 'wing', 'tail', 'engine'] as const;
export const CLASSES = ['cone', 'cube', 'sphere', 'torus'] as const;

export interface Plane {
  points: Float32Array;
  labels: Int32Array;
  /** Points on the right wing (z > 0): the ones the binary model gets wrong. */
  rightWing: number[];
}

/** Fuselage along x, wings along z, a tail fin and two engines under the wings. */
export function makePlane(count: number, seed = 1): Plane {
  const rng = new Rng(seed);
  const points = new Float32Array(count * 3);
  const labels = new Int32Array(count);
  const rightWing: number[] = [];
  const u = () => rng.uniform();
  for (let i = 0; i < count; i++) {
    const pick = u();
    let x: number, y: number, z: number, part: number;
    if (pick < 0.4) {
      const angle = u() * Math.PI * 2;
      x = -1 + 2 * u();
      const r = 0.14 * (x > 0.8 ? (1 - x) / 0.2 + 0.05 : 1);
      y = r * Math.cos(angle);
      z = r * Math.sin(angle);
      part = 0;
    } else if (pick < 0.75) {
      z = (u() < 0.5 ? -1 : 1) * (0.14 + 0.86 * u());
      x = -0.1 + 0.35 * u() - Math.abs(z) * 0.25;
      y = -0.02 + 0.04 * u();
      part = 1;
    } else if (pick < 0.87) {
      x = -0.95 + 0.25 * u();
      y = 0.1 + 0.35 * u();
      z = -0.02 + 0.04 * u();
      part = 2;
    } else {
      const side = u() < 0.5 ? -1 : 1;
      const angle = u() * Math.PI * 2;
      x = -0.05 + 0.3 * u();
      y = -0.12 + 0.07 * Math.cos(angle);
      z = side * 0.45 + 0.07 * Math.sin(angle);
      part = 3;
    }
    points.set([x, y, z], i * 3);
    labels[i] = part;
    if (part === 1 && z > 0) rightWing.push(i);
  }
  return { points, labels, rightWing };
}

/** A cone (apex up) as a point cloud. */
export function makeCone(count: number, seed = 2): Float32Array {
  const rng = new Rng(seed);
  const points = new Float32Array(count * 3);
  for (let i = 0; i < count; i++) {
    const t = Math.sqrt(rng.uniform());
    const angle = rng.uniform() * Math.PI * 2;
    points.set([0.6 * t * Math.cos(angle), 1 - 1.6 * t, 0.6 * t * Math.sin(angle)], i * 3);
  }
  return points;
}

/** A random cloud on a sphere with a label per octant, for the size test. */
export function makeSphere(count: number, seed = 3): { points: Float32Array; labels: Int32Array } {
  const rng = new Rng(seed);
  const points = new Float32Array(count * 3);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const z = 2 * rng.uniform() - 1;
    const angle = rng.uniform() * Math.PI * 2;
    const r = Math.sqrt(1 - z * z);
    const x = r * Math.cos(angle);
    const y = r * Math.sin(angle);
    points.set([x, y, z], i * 3);
    labels[i] = (x > 0 ? 1 : 0) + (y > 0 ? 2 : 0);
  }
  return { points, labels };
}

function int32(values: ArrayLike<number>): PointAttribute {
  return { type: 'int32', values: Int32Array.from(values) };
}

/** A segmentation prediction file as `bitpoint predict` writes it (plus the ground truth). */
export function segmentationPly(points: Float32Array, truth: Int32Array, pred: Int32Array, options: { run?: string; comments?: string[] } = {}): Uint8Array {
  const cloud: PointCloud = { points, attributes: { label: int32(truth), pred: int32(pred) } };
  return writePointCloudPly(cloud, {
    format: 'binary_little_endian',
    comments: [`bitpoint predict --run ${options.run ?? 'runs/test'}`, 'task segmentation', ...(options.comments ?? [])],
  });
}

/** A classification prediction file: `pred` and `label` repeated per point, `prob_<class>` columns. */
export function classificationPly(points: Float32Array, truthClass: number, probabilities: readonly number[], options: { run?: string; comments?: string[] } = {}): Uint8Array {
  const count = points.length / 3;
  let predicted = 0;
  probabilities.forEach((p, c) => {
    if (p > probabilities[predicted]!) predicted = c;
  });
  const attributes: Record<string, PointAttribute> = { label: int32(new Int32Array(count).fill(truthClass)), pred: int32(new Int32Array(count).fill(predicted)) };
  CLASSES.forEach((name, c) => {
    attributes[`prob_${name}`] = { type: 'float32', values: new Float32Array(count).fill(probabilities[c]!) };
  });
  return writePointCloudPly(
    { points, attributes },
    {
      format: 'binary_little_endian',
      comments: [`bitpoint predict --run ${options.run ?? 'runs/test'}`, 'task classification', `predicted_class ${CLASSES[predicted]}`, ...(options.comments ?? [])],
    },
  );
}

export interface FixtureRun {
  method: string;
  /** A longer panel name, added to the written entry. */
  label?: string;
  bits: number;
  activation_bits: number;
  sparsity: number;
  packed_bytes: number;
}

/** synth-seg's part table: the Airplane (category 0) has parts 0–3, named body, wing, tail, engine like the plane's. */
const SYNTH_SEG_TABLE: PartTable = { categories: synthSegPartTable(), partCount: synthSegPartTable().flatMap((c) => c.parts).length, source: 'json' };

/**
 * index.json as the demo writes it (`predictionEntry` from each run's facts and model card, then
 * `predictionIndexJson`), for `plane_0__<method>.ply` (segmentation, the plane's parts) and
 * `cone_0__<method>.ply` (classification over CLASSES) of every run; the first run is the reference.
 */
export function writtenIndex(runs: readonly FixtureRun[], plane: { labels: Int32Array; pred: (method: string) => Int32Array }, cone: { truth: number; probabilities: (method: string) => readonly number[] }): string {
  const reference = runs[0]?.method;
  const entries = runs.flatMap((run) => {
    const facts = { method: run.method, task_label: 'fixture', bits: run.bits, activation_bits: run.activation_bits, sparsity: run.sparsity, measured_sparsity: null, packed_bytes: run.packed_bytes };
    const parts = plane.pred(run.method);
    const segmentation = predictionEntry(
      facts,
      { task: 'segmentation', partTable: SYNTH_SEG_TABLE },
      { file: `plane_0__${run.method}.ply`, shape: 'plane_0', category: 0, labels: plane.labels, prediction: { task: 'segmentation', parts, category: 0 } },
      reference,
    );
    const probabilities = cone.probabilities(run.method);
    const predictedClass = probabilities.indexOf(Math.max(...probabilities));
    const classification = predictionEntry(
      facts,
      { task: 'classification', classNames: [...CLASSES] },
      {
        file: `cone_0__${run.method}.ply`,
        shape: 'cone_0',
        label: cone.truth,
        prediction: { task: 'classification', predictedClass, className: CLASSES[predictedClass]!, probabilities: Float32Array.from(probabilities) },
      },
      reference,
    );
    return [segmentation, classification].map((entry) => (run.label ? { ...entry, label: run.label } : entry));
  });
  return predictionIndexJson({ title: 'viewer test', entries });
}
