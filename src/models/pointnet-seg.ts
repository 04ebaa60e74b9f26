import * as tf from '@tensorflow/tfjs-core';
import { oneHotCategories, SegmentationHead } from './blocks/segmentation-head.ts';
import type { ModelInput, ModelOutput } from './model.ts';
import type { ModelLowering, ProgramBuilder } from '../deploy/program-builder.ts';
import { PointNetEncoderModel, type PointNetEncoderOptions } from './pointnet-encoder.ts';

export interface PointNetSegOptions extends PointNetEncoderOptions {
  /** Number of part labels (all categories' parts together for ShapeNetPart: 50). */
  numClasses: number;
  /** Object categories (16 for ShapeNetPart); 0 or undefined: no category input. */
  numCategories?: number;
  /** Dropout between the head's hidden layers (0 by default, as in the paper). */
  dropout?: number;
}

/**
 * PointNet part segmentation (Qi et al. 2017, Fig. 2): PointNet's encoder (input T-Net, shared MLP
 * 3-64-64, feature T-Net, 64-64-128-1024, max over points), then for every point its 64-channel
 * local feature next to the 1024-channel global feature — and, for ShapeNetPart, the one-hot object
 * category — through a shared MLP 512-256-128 to part logits [B, N, parts].
 *
 * The encoder is the classifier's (`PointNetEncoderModel`), with the same module names. Last
 * weight layer: `head.classifier`.
 */
export class PointNetSeg extends PointNetEncoderModel {
  readonly task = 'segmentation' as const;
  readonly numClasses: number;
  readonly numCategories: number;
  readonly lastLayer = 'head.classifier';
  readonly head: SegmentationHead;

  constructor(options: PointNetSegOptions) {
    super(options);
    this.numClasses = options.numClasses;
    this.numCategories = options.numCategories ?? 0;
    this.head = this.addModule(
      'head',
      new SegmentationHead({
        rng: options.rng,
        init: options.init,
        pointChannels: this.localChannels,
        globalChannels: this.globalChannels + this.numCategories,
        widths: [512, 256, 128],
        numParts: options.numClasses,
        activation: 'relu',
        dropout: options.dropout ?? 0,
      }),
    );
  }

  override lower(b: ProgramBuilder): ModelLowering {
    const { local, global } = this.lowerEncoder(b);
    let perCloud = global;
    if (this.numCategories > 0) {
      b.push({ op: 'concat', inputs: [global, 'category'], output: 'global' });
      perCloud = 'global';
    }
    return { output: this.head.lower(b, local, perCloud, this.encoder1.outFeatures), numCategories: this.numCategories };
  }

  forward({ inputs, categories }: ModelInput): ModelOutput {
    const points = inputs as tf.Tensor3D;
    const { logits, auxiliaryLoss } = tf.tidy(() => {
      const { local, features, featureMatrix } = this.pointFeatures(points);
      let global = this.pool.forward(features) as tf.Tensor2D;
      if (this.numCategories > 0) global = tf.concat([global, oneHotCategories(categories, this.numCategories, points.shape[0])], -1);
      const result: { logits: tf.Tensor; auxiliaryLoss?: tf.Scalar } = { logits: this.head.forward(local, global) };
      const regularizer = this.regularizer(featureMatrix);
      if (regularizer) result.auxiliaryLoss = regularizer;
      return result;
    });
    return auxiliaryLoss ? { logits, auxiliaryLoss } : { logits };
  }
}
