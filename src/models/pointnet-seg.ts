import * as tf from '@tensorflow/tfjs-core';
import { GlobalMaxPool } from '../nn/layers/global-max-pool.ts';
import type { InitializerSpec } from '../nn/init/index.ts';
import type { Rng } from '../util/rng.ts';
import { oneHotCategories, SegmentationHead } from './blocks/segmentation-head.ts';
import { SharedMlp } from './blocks/shared-mlp.ts';
import { orthogonalityLoss, TNet } from './blocks/tnet.ts';
import { Model, type ModelInput, type ModelOutput } from './model.ts';
import { QI_ENCODER, type PointNetEncoderWidths } from './pointnet.ts';

export interface PointNetSegOptions {
  rng: Rng;
  /** Number of part labels (all categories' parts together for ShapeNetPart: 50). */
  numClasses: number;
  /** Object categories (16 for ShapeNetPart); 0 or undefined: no category input. */
  numCategories?: number;
  /** Input channels per point: 3 (xyz) or 6 (xyz + normals). */
  inputChannels?: number;
  /** Input (3×3) and feature (64×64) transform networks; false gives the vanilla network. */
  inputTransform?: boolean;
  featureTransform?: boolean;
  /** Weight of the feature-transform orthogonality regularizer (0.001 in the paper). */
  regularizerWeight?: number;
  /** Dropout between the head's hidden layers (0 by default, as in the paper). */
  dropout?: number;
  /** Widths of the shared MLPs before and after the feature T-Net, as PointNet's. */
  encoder?: PointNetEncoderWidths;
  init?: InitializerSpec;
}

/**
 * PointNet part segmentation (Qi et al. 2017, Fig. 2): PointNet's encoder (input T-Net, shared MLP
 * 3-64-64, feature T-Net, 64-64-128-1024, max over points), then for every point its 64-channel
 * local feature next to the 1024-channel global feature — and, for ShapeNetPart, the one-hot object
 * category — through a shared MLP 512-256-128 to part logits [B, N, parts].
 *
 * The encoder's modules have PointNet's names (`inputTnet`, `encoder1`, `featureTnet`, `encoder2`),
 * so a policy or a checkpoint written for the classifier's encoder addresses the same layers.
 * First weight layer: `inputTnet.mlp.0.linear` (`encoder1.0.linear` without T-Nets); last:
 * `head.classifier`.
 */
export class PointNetSeg extends Model {
  readonly task = 'segmentation' as const;
  readonly numClasses: number;
  readonly numCategories: number;
  readonly firstLayer: string;
  readonly lastLayer = 'head.classifier';
  readonly inputTnet: TNet | null;
  readonly encoder1: SharedMlp;
  readonly featureTnet: TNet | null;
  readonly encoder2: SharedMlp;
  readonly pool: GlobalMaxPool;
  readonly head: SegmentationHead;
  private readonly regularizerWeight: number;

  constructor(options: PointNetSegOptions) {
    super();
    const common = { rng: options.rng, init: options.init };
    const channels = options.inputChannels ?? 3;
    this.numClasses = options.numClasses;
    this.numCategories = options.numCategories ?? 0;
    this.regularizerWeight = options.regularizerWeight ?? 0.001;
    const [widths1, widths2] = options.encoder ?? QI_ENCODER;
    const localChannels = widths1[widths1.length - 1];
    this.inputTnet = options.inputTransform ? this.addModule('inputTnet', new TNet(channels, common)) : null;
    this.encoder1 = this.addModule('encoder1', new SharedMlp([channels, ...widths1], common));
    this.featureTnet = options.featureTransform ? this.addModule('featureTnet', new TNet(localChannels, common)) : null;
    this.encoder2 = this.addModule('encoder2', new SharedMlp([localChannels, ...widths2], common));
    this.pool = this.addModule('pool', new GlobalMaxPool());
    this.head = this.addModule(
      'head',
      new SegmentationHead({
        ...common,
        pointChannels: localChannels,
        globalChannels: widths2[widths2.length - 1] + this.numCategories,
        widths: [512, 256, 128],
        numParts: options.numClasses,
        activation: 'relu',
        dropout: options.dropout ?? 0,
      }),
    );
    this.firstLayer = this.inputTnet ? 'inputTnet.mlp.0.linear' : 'encoder1.0.linear';
  }

  forward({ inputs, categories }: ModelInput): ModelOutput {
    const points = inputs as tf.Tensor3D;
    const { logits, auxiliaryLoss } = tf.tidy(() => {
      let x = points;
      if (this.inputTnet) x = this.inputTnet.forward(x).output;
      let local = this.encoder1.forward(x) as tf.Tensor3D;
      let featureMatrix: tf.Tensor3D | null = null;
      if (this.featureTnet) {
        ({ output: local, matrix: featureMatrix } = this.featureTnet.forward(local));
      }
      let global = this.pool.forward(this.encoder2.forward(local)) as tf.Tensor2D;
      if (this.numCategories > 0) global = tf.concat([global, oneHotCategories(categories, this.numCategories, points.shape[0])], -1);
      const result: { logits: tf.Tensor; auxiliaryLoss?: tf.Scalar } = { logits: this.head.forward(local, global) };
      if (featureMatrix && this.regularizerWeight > 0) result.auxiliaryLoss = tf.mul(orthogonalityLoss(featureMatrix), this.regularizerWeight) as tf.Scalar;
      return result;
    });
    return auxiliaryLoss ? { logits, auxiliaryLoss } : { logits };
  }
}
