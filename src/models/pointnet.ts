import * as tf from '@tensorflow/tfjs-core';
import { Dropout } from '../nn/layers/dropout.ts';
import { GlobalMaxPool } from '../nn/layers/global-max-pool.ts';
import { Linear } from '../nn/layers/linear.ts';
import { Module } from '../nn/module.ts';
import type { InitializerSpec } from '../nn/init/index.ts';
import type { Rng } from '../util/rng.ts';
import { LinearBnAct, SharedMlp } from './blocks/shared-mlp.ts';
import { orthogonalityLoss, TNet } from './blocks/tnet.ts';
import { Model, type ModelInput, type ModelOutput } from './model.ts';

export interface PointNetOptions {
  rng: Rng;
  numClasses: number;
  /** Input channels per point: 3 (xyz) or 6 (xyz + normals). */
  inputChannels?: number;
  /** Input (3×3) and feature (64×64) transform networks; false gives the vanilla PointNet. */
  inputTransform?: boolean;
  featureTransform?: boolean;
  /** Weight of the feature-transform orthogonality regularizer (0.001 in the paper). */
  regularizerWeight?: number;
  dropout?: number;
  /** Widths of the shared MLPs before and after the feature T-Net; default Qi et al.'s. */
  encoder?: PointNetEncoderWidths;
  init?: InitializerSpec;
}

/**
 * Output widths of `encoder1` (before the feature T-Net) and `encoder2` (after it, ending in the
 * global feature). Qi et al.: [[64, 64], [64, 128, 1024]]. BiPointNet's vanilla network has
 * [[64], [128, 1024]]: two binarized layers in the encoder instead of four.
 */
export type PointNetEncoderWidths = readonly [readonly number[], readonly number[]];
export const QI_ENCODER: PointNetEncoderWidths = [[64, 64], [64, 128, 1024]];

/**
 * PointNet classifier (Qi et al. 2017): a shared MLP 3-64-64 | 64-64-128-1024 over points,
 * max over points, FC 512-256 with BN+ReLU, dropout, then the class layer. Vanilla = no T-Nets,
 * a straight 3-64-64-64-128-1024 MLP. `encoder` changes the widths. Layer names:
 * `encoder1.0.linear` is the first weight layer, `head.classifier` the last.
 */
export class PointNet extends Model {
  readonly task = 'classification' as const;
  readonly numClasses: number;
  readonly firstLayer: string;
  readonly lastLayer = 'head.classifier';
  readonly inputTnet: TNet | null;
  readonly featureTnet: TNet | null;
  readonly encoder1: SharedMlp;
  readonly encoder2: SharedMlp;
  readonly pool: GlobalMaxPool;
  readonly fc1: LinearBnAct;
  readonly fc2: LinearBnAct;
  readonly dropout: Dropout;
  readonly classifier: Linear;
  private readonly regularizerWeight: number;

  constructor(options: PointNetOptions) {
    super();
    const common = { rng: options.rng, init: options.init };
    const channels = options.inputChannels ?? 3;
    this.numClasses = options.numClasses;
    this.regularizerWeight = options.regularizerWeight ?? 0.001;
    const [widths1, widths2] = options.encoder ?? QI_ENCODER;
    const localChannels = widths1[widths1.length - 1];
    this.inputTnet = options.inputTransform ? this.addModule('inputTnet', new TNet(channels, common)) : null;
    this.encoder1 = this.addModule('encoder1', new SharedMlp([channels, ...widths1], common));
    this.featureTnet = options.featureTransform ? this.addModule('featureTnet', new TNet(localChannels, common)) : null;
    this.encoder2 = this.addModule('encoder2', new SharedMlp([localChannels, ...widths2], common));
    this.pool = this.addModule('pool', new GlobalMaxPool());
    const head = this.addModule('head', new PointNetHead(options, widths2[widths2.length - 1], common));
    this.fc1 = head.fc1;
    this.fc2 = head.fc2;
    this.dropout = head.dropout;
    this.classifier = head.classifier;
    this.firstLayer = this.inputTnet ? 'inputTnet.mlp.0.linear' : 'encoder1.0.linear';
  }

  /** Per-point features [B, N, 1024] before the max, the local ones after `encoder1` [B, N, 64] (default widths), and the feature transform if any. */
  pointFeatures(points: tf.Tensor3D): { local: tf.Tensor3D; features: tf.Tensor3D; featureMatrix: tf.Tensor3D | null } {
    let x: tf.Tensor3D = points;
    if (this.inputTnet) x = this.inputTnet.forward(x).output;
    let local = this.encoder1.forward(x) as tf.Tensor3D;
    let featureMatrix: tf.Tensor3D | null = null;
    if (this.featureTnet) {
      const t = this.featureTnet.forward(local);
      local = t.output;
      featureMatrix = t.matrix;
    }
    return { local, features: this.encoder2.forward(local) as tf.Tensor3D, featureMatrix };
  }

  forward({ inputs }: ModelInput): ModelOutput {
    const { features, featureMatrix } = this.pointFeatures(inputs as tf.Tensor3D);
    const global = this.pool.forward(features);
    const logits = this.classifier.forward(this.dropout.forward(this.fc2.forward(this.fc1.forward(global))));
    const auxiliaryLoss =
      featureMatrix && this.regularizerWeight > 0 ? (tf.mul(orthogonalityLoss(featureMatrix), this.regularizerWeight) as tf.Scalar) : undefined;
    return { logits, auxiliaryLoss };
  }
}

/** FC 1024-512-256 (from the global feature's width) with BN+ReLU, dropout, then the class layer. */
class PointNetHead extends Module {
  readonly fc1: LinearBnAct;
  readonly fc2: LinearBnAct;
  readonly dropout: Dropout;
  readonly classifier: Linear;

  constructor(options: PointNetOptions, globalChannels: number, common: { rng: Rng; init?: InitializerSpec }) {
    super();
    this.fc1 = this.addModule('fc1', new LinearBnAct(globalChannels, 512, common));
    this.fc2 = this.addModule('fc2', new LinearBnAct(512, 256, common));
    this.dropout = this.addModule('dropout', new Dropout(options.dropout ?? 0.3, options.rng.fork('dropout')));
    this.classifier = this.addModule('classifier', new Linear(256, options.numClasses, common));
  }
}
