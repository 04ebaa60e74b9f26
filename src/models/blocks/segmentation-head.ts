import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm } from '../../nn/layers/batch-norm.ts';
import { Dropout } from '../../nn/layers/dropout.ts';
import { Linear } from '../../nn/layers/linear.ts';
import { Module } from '../../nn/module.ts';
import type { InitializerSpec } from '../../nn/init/index.ts';
import type { Rng } from '../../util/rng.ts';
import type { ProgramBuilder } from '../../deploy/program-builder.ts';
import { DGCNN_NEGATIVE_SLOPE } from './edge-conv.ts';
import { GlobalConcatLinear } from './global-concat-linear.ts';
import { LinearBnAct } from './shared-mlp.ts';

export interface SegmentationHeadOptions {
  rng: Rng;
  init?: InitializerSpec;
  /** Channels of the per-point and of the per-cloud features that the head concatenates. */
  pointChannels: number;
  globalChannels: number;
  /** Hidden widths, e.g. [512, 256, 128] (PointNet) or [256, 256, 128] (DGCNN). */
  widths: number[];
  numParts: number;
  activation: 'relu' | 'leaky_relu';
  /** Dropout after every hidden layer but the last (0: none). */
  dropout?: number;
}

/** The head's first layer: Linear on [per-point, per-cloud] features, BatchNorm, activation ('none': BN only). */
export class GlobalConcatLayer extends Module {
  readonly linear: GlobalConcatLinear;
  readonly bn: BatchNorm;

  constructor(
    pointChannels: number,
    globalChannels: number,
    outChannels: number,
    readonly activation: 'relu' | 'leaky_relu' | 'none',
    options: { rng: Rng; init?: InitializerSpec },
  ) {
    super();
    this.linear = this.addModule('linear', new GlobalConcatLinear(pointChannels, globalChannels, outChannels, { ...options, bias: false }));
    this.bn = this.addModule('bn', new BatchNorm(outChannels));
    this.linear.outputNorm = this.bn;
  }

  forward(perPoint: tf.Tensor3D, perCloud: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const y = this.linear.forwardConcat(perPoint, perCloud);
      if (this.activation === 'relu') return this.bn.forward(y, { relu: true }) as tf.Tensor3D;
      const z = this.bn.forward(y) as tf.Tensor3D;
      return this.activation === 'leaky_relu' ? (tf.leakyRelu(z, DGCNN_NEGATIVE_SLOPE) as tf.Tensor3D) : z;
    });
  }
}

/**
 * Per-point part logits from per-point features and a per-cloud feature (global feature, object
 * category): a shared MLP whose first layer sees both, then the part layer. Children: `0.linear`
 * (the concatenating layer), `1.linear`, …, `dropout0`, …, and `classifier`, so the last weight
 * layer of a segmentation model is `head.classifier`.
 */
export class SegmentationHead extends Module {
  readonly first: GlobalConcatLayer;
  readonly layers: LinearBnAct[];
  readonly dropouts: Array<Dropout | null>;
  readonly classifier: Linear;

  constructor(options: SegmentationHeadOptions) {
    super();
    const common = { rng: options.rng, init: options.init };
    const { widths } = options;
    if (widths.length === 0) throw new Error('SegmentationHead needs at least one hidden width');
    const rate = options.dropout ?? 0;
    const dropoutAfter = (i: number) =>
      rate > 0 && i < widths.length - 1 ? this.addModule(`dropout${i}`, new Dropout(rate, options.rng.fork(`dropout${i}`))) : null;
    this.first = this.addModule('0', new GlobalConcatLayer(options.pointChannels, options.globalChannels, widths[0]!, options.activation, common));
    this.dropouts = [dropoutAfter(0)];
    this.layers = [];
    for (let i = 1; i < widths.length; i++) {
      this.layers.push(this.addModule(String(i), new LinearBnAct(widths[i - 1]!, widths[i]!, { ...common, activation: options.activation })));
      this.dropouts.push(dropoutAfter(i));
    }
    this.classifier = this.addModule('classifier', new Linear(widths[widths.length - 1]!, options.numParts, common));
  }

  /** perPoint [B, N, Cp], perCloud [B, Cg] → logits [B, N, parts]. */
  forward(perPoint: tf.Tensor3D, perCloud: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      let h: tf.Tensor = this.first.forward(perPoint, perCloud);
      if (this.dropouts[0]) h = this.dropouts[0].forward(h);
      this.layers.forEach((layer, i) => {
        h = layer.forward(h);
        const dropout = this.dropouts[i + 1];
        if (dropout) h = dropout.forward(h);
      });
      return this.classifier.forward(h) as tf.Tensor3D;
    });
  }

  /**
   * The first layer split into a per-point product (`local`, its first `localChannels` input
   * rows) plus a per-cloud row (`global`, the other rows), then the layers and the part layer.
   */
  lower(b: ProgramBuilder, local: string, global: string, localChannels: number): string {
    const first = this.first;
    const activation = b.activation(first.activation);
    const globalPart = b.dense('head.0.linear', first.linear, {
      input: global,
      output: 'head.0.global',
      batchNorm: first.bn,
      rows: [localChannels, first.linear.inFeatures],
      part: 'global',
      withoutShift: true,
    });
    let x = b.dense('head.0.linear', first.linear, {
      input: local,
      output: 'head.0',
      batchNorm: first.bn,
      activation,
      slope: DGCNN_NEGATIVE_SLOPE,
      rows: [0, localChannels],
      part: 'local',
      addRow: globalPart,
    });
    this.layers.forEach((layer, i) => {
      x = layer.lower(b, `head.${i + 1}`, x);
    });
    return b.dense('head.classifier', this.classifier, { input: x, output: 'logits' });
  }
}

/** One-hot object categories [B] → [B, numCategories] float32, checked against the range. */
export function oneHotCategories(categories: tf.Tensor1D | undefined, numCategories: number, batch: number): tf.Tensor2D {
  if (!categories) throw new Error(`this model takes the object category of each cloud (numCategories = ${numCategories}); pass \`categories\` [B]`);
  if (categories.shape[0] !== batch) throw new Error(`categories has ${categories.shape[0]} entries for a batch of ${batch}`);
  return tf.tidy(() => tf.cast(tf.oneHot(tf.cast(categories, 'int32'), numCategories), 'float32') as tf.Tensor2D);
}
