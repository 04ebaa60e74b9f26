import * as tf from '@tensorflow/tfjs-core';
import { Dropout } from '../nn/layers/dropout.ts';
import { Linear } from '../nn/layers/linear.ts';
import { Module } from '../nn/module.ts';
import type { InitializerSpec } from '../nn/init/index.ts';
import type { Rng } from '../util/rng.ts';
import { LinearBnAct } from './blocks/shared-mlp.ts';
import type { ModelInput, ModelOutput } from './model.ts';
import type { ModelLowering, ProgramBuilder } from '../deploy/program-builder.ts';
import { PointNetEncoderModel, type PointNetEncoderOptions } from './pointnet-encoder.ts';

export interface PointNetOptions extends PointNetEncoderOptions {
  numClasses: number;
  dropout?: number;
  /**
   * Which encoder layers the max over points reads: 'last' (Qi et al.), or 'all', whose global
   * feature concatenates the max of every shared-MLP layer's output (as DGCNN concatenates its
   * EdgeConv outputs), so the head also sees what the early layers saw.
   */
  poolFrom?: PoolFrom;
}

export type PoolFrom = 'last' | 'all';

/**
 * PointNet classifier (Qi et al. 2017): a shared MLP 3-64-64 | 64-64-128-1024 over points,
 * max over points, FC 512-256 with BN+ReLU, dropout, then the class layer. Vanilla = no T-Nets,
 * a straight 3-64-64-64-128-1024 MLP. `encoder` changes the widths, `poolFrom` what is pooled. Layer names:
 * `encoder1.0.linear` is the first weight layer, `head.classifier` the last.
 */
export class PointNet extends PointNetEncoderModel {
  readonly task = 'classification' as const;
  readonly numClasses: number;
  readonly lastLayer = 'head.classifier';
  /** head.fc1 takes the max over points. */
  override readonly pooledLayers = ['head.fc1.linear'];
  readonly fc1: LinearBnAct;
  readonly fc2: LinearBnAct;
  readonly dropout: Dropout;
  readonly classifier: Linear;
  readonly poolFrom: PoolFrom;

  constructor(options: PointNetOptions) {
    super(options);
    this.numClasses = options.numClasses;
    this.poolFrom = options.poolFrom ?? 'last';
    const pooledChannels = this.poolFrom === 'all' ? [...this.encoder1.layers, ...this.encoder2.layers].reduce((sum, layer) => sum + layer.linear.outFeatures, 0) : this.globalChannels;
    const head = this.addModule('head', new PointNetHead(options, pooledChannels, { rng: options.rng, init: options.init }));
    this.fc1 = head.fc1;
    this.fc2 = head.fc2;
    this.dropout = head.dropout;
    this.classifier = head.classifier;
  }

  forward({ inputs }: ModelInput): ModelOutput {
    const { layers, features, featureMatrix } = this.pointFeatures(inputs as tf.Tensor3D);
    const global = this.poolFrom === 'all' ? tf.concat(layers.map((layer) => this.pool.forward(layer)), 1) : this.pool.forward(features);
    const logits = this.classifier.forward(this.dropout.forward(this.fc2.forward(this.fc1.forward(global))));
    return { logits, auxiliaryLoss: this.regularizer(featureMatrix) };
  }

  override lower(b: ProgramBuilder): ModelLowering {
    let { global } = this.lowerEncoder(b);
    if (this.poolFrom === 'all') global = this.lowerEveryLayerPool(b, global);
    const h = this.fc2.lower(b, 'head.fc2', this.fc1.lower(b, 'head.fc1', global));
    return { output: b.dense('head.classifier', this.classifier, { input: h, output: 'logits' }) };
  }

  /** `poolFrom: 'all'`: the max of every shared-MLP layer's output (the last one's is `last`), concatenated in layer order. */
  private lowerEveryLayerPool(b: ProgramBuilder, last: string): string {
    const names = [...this.encoder1.layers.map((_, i) => `encoder1.${i}`), ...this.encoder2.layers.map((_, i) => `encoder2.${i}`)];
    const pooled = names.slice(0, -1).map((name) => {
      b.push({ op: 'max_rows', input: name, output: `${name}.max`, entropyMaximizing: this.pool.entropyMaximizing });
      return `${name}.max`;
    });
    b.push({ op: 'concat', inputs: [...pooled, last], output: 'pooled' });
    return 'pooled';
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
