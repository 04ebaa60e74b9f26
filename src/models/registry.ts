import type { InitializerSpec } from '../nn/init/index.ts';
import type { Rng } from '../util/rng.ts';
import { ConfigError } from '../util/errors.ts';
import type { Model } from './model.ts';
import { Dgcnn } from './dgcnn.ts';
import { DgcnnSeg } from './dgcnn-seg.ts';
import { MnistCnn, MnistMlp } from './mnist.ts';
import { PointNet, type PoolFrom } from './pointnet.ts';
import type { PointNetEncoderWidths } from './pointnet-encoder.ts';
import { PointNetSeg } from './pointnet-seg.ts';

/** Options every model understands; model-specific ones ride along in `extra`. */
export interface ModelOptions {
  rng: Rng;
  numClasses: number;
  inputChannels?: number;
  init?: InitializerSpec;
  dropout?: number;
  /** Object categories of a part-segmentation data set (one-hot input of ShapeNetPart models). */
  numCategories?: number;
  /** Neighbours per point in DGCNN's graph. */
  k?: number;
  /** Width of DGCNN's per-point layer before the global pooling (1024). */
  embeddingChannels?: number;
  /** PointNet's shared-MLP widths before and after the feature T-Net. */
  encoder?: PointNetEncoderWidths;
  /** What the PointNet classifier's max over points reads (`PointNetOptions.poolFrom`). */
  poolFrom?: PoolFrom;
}

type Factory = (options: ModelOptions) => Model;

const FACTORIES: Record<string, Factory> = {
  pointnet: (o) => new PointNet({ ...o, inputTransform: true, featureTransform: true }),
  'pointnet-vanilla': (o) => new PointNet({ ...o, inputTransform: false, featureTransform: false }),
  // Segmentation models: numClasses is the number of part labels.
  'pointnet-seg': (o) => new PointNetSeg({ ...o, inputTransform: true, featureTransform: true }),
  'pointnet-seg-vanilla': (o) => new PointNetSeg({ ...o, inputTransform: false, featureTransform: false }),
  dgcnn: (o) => new Dgcnn(o),
  'dgcnn-seg': (o) => new DgcnnSeg(o),
  'mnist-mlp': (o) => new MnistMlp(o),
  'mnist-cnn': (o) => new MnistCnn(o),
};

export function modelNames(): string[] {
  return Object.keys(FACTORIES);
}

/** Creates a model by registry name, e.g. `createModel('pointnet-vanilla', {rng, numClasses: 40})`. */
export function createModel(name: string, options: ModelOptions): Model {
  const factory = FACTORIES[name];
  if (!factory) throw new ConfigError('model', `unknown model '${name}': choose one of ${modelNames().join(', ')}`);
  const model = factory(options);
  model.inputChannels = options.inputChannels ?? 3;
  return model;
}
