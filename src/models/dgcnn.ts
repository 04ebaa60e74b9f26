import * as tf from '@tensorflow/tfjs-core';
import { Dropout } from '../nn/layers/dropout.ts';
import { GlobalMaxPool } from '../nn/layers/global-max-pool.ts';
import { Linear } from '../nn/layers/linear.ts';
import { Module } from '../nn/module.ts';
import type { InitializerSpec } from '../nn/init/index.ts';
import type { Rng } from '../util/rng.ts';
import { EdgeConv, lowerEdgeConvs } from './blocks/edge-conv.ts';
import { LinearBnAct } from './blocks/shared-mlp.ts';
import { Model, type ModelInput, type ModelOutput } from './model.ts';
import type { ModelLowering, ProgramBuilder } from '../deploy/program-builder.ts';

export interface DgcnnOptions {
  rng: Rng;
  numClasses: number;
  /** Input channels per point: 3 (xyz) or 6 (xyz + normals). */
  inputChannels?: number;
  /** Neighbours per point in every EdgeConv's graph (20 in the paper). */
  k?: number;
  /** Width of the per-point layer before pooling (1024 in the paper). */
  embeddingChannels?: number;
  dropout?: number;
  init?: InitializerSpec;
}

/**
 * DGCNN classifier (Wang et al. 2019, "Dynamic Graph CNN for Learning on Point Clouds"): four
 * EdgeConv blocks (64, 64, 128, 256), each on a k-NN graph recomputed in its own input feature
 * space; their outputs concatenated (512) → Linear+BN+LeakyReLU to 1024 per point → max and mean
 * over points (2048) → FC 512-256 with BN, LeakyReLU 0.2 and dropout 0.5 → classes.
 *
 * Layer names: `edgeconv1.0.linear` is the first weight layer, `head.classifier` the last;
 * `edgeconv2.0.linear`, `embedding.linear`, `head.fc1.linear` and so on in between.
 */
export class Dgcnn extends Model {
  readonly task = 'classification' as const;
  readonly numClasses: number;
  readonly firstLayer = 'edgeconv1.0.linear';
  readonly lastLayer = 'head.classifier';
  /** head.fc1 takes the max and the mean over points. */
  override readonly pooledLayers = ['head.fc1.linear'];
  readonly k: number;
  readonly edgeConvs: EdgeConv[];
  readonly embedding: LinearBnAct;
  /** The max half of the pooling (a module, so BiPointNet's EMA can be switched on). */
  readonly pool: GlobalMaxPool;
  readonly head: DgcnnHead;

  constructor(options: DgcnnOptions) {
    super();
    const common = { rng: options.rng, init: options.init };
    this.numClasses = options.numClasses;
    this.k = options.k ?? 20;
    const embeddingChannels = options.embeddingChannels ?? 1024;
    const widths = [64, 64, 128, 256];
    let channels = options.inputChannels ?? 3;
    this.edgeConvs = widths.map((width, i) => {
      const block = this.addModule(`edgeconv${i + 1}`, new EdgeConv(channels, [width], { ...common, k: this.k }));
      channels = width;
      return block;
    });
    const concatenated = widths.reduce((sum, width) => sum + width, 0);
    this.embedding = this.addModule('embedding', new LinearBnAct(concatenated, embeddingChannels, { ...common, activation: 'leaky_relu' }));
    this.pool = this.addModule('pool', new GlobalMaxPool());
    this.head = this.addModule('head', new DgcnnHead(2 * embeddingChannels, options));
  }

  forward({ inputs }: ModelInput): ModelOutput {
    const logits = tf.tidy(() => {
      let x = inputs as tf.Tensor3D;
      const features: tf.Tensor3D[] = [];
      for (const block of this.edgeConvs) {
        x = block.forward(x);
        features.push(x);
      }
      const perPoint = this.embedding.forward(tf.concat(features, -1));
      const pooled = tf.concat([this.pool.forward(perPoint), tf.mean(perPoint, 1)], -1);
      return this.head.forward(pooled);
    });
    return { logits };
  }

  override lower(b: ProgramBuilder): ModelLowering {
    const local = lowerEdgeConvs(b, this.edgeConvs);
    const embedded = this.embedding.lower(b, 'embedding', local);
    b.push({ op: 'max_rows', input: embedded, output: 'pooled.max', entropyMaximizing: this.pool.entropyMaximizing });
    b.push({ op: 'mean_rows', input: embedded, output: 'pooled.mean', entropyMaximizing: false });
    b.push({ op: 'concat', inputs: ['pooled.max', 'pooled.mean'], output: 'pooled' });
    return { output: this.head.lower(b, 'pooled') };
  }
}

/** FC (2·embedding)-512-256 with BN, LeakyReLU 0.2 and dropout (0.5), then the class layer. */
export class DgcnnHead extends Module {
  readonly fc1: LinearBnAct;
  readonly fc2: LinearBnAct;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly classifier: Linear;

  constructor(inFeatures: number, options: DgcnnOptions) {
    super();
    const common = { rng: options.rng, init: options.init, activation: 'leaky_relu' as const };
    const rate = options.dropout ?? 0.5;
    this.fc1 = this.addModule('fc1', new LinearBnAct(inFeatures, 512, common));
    this.dropout1 = this.addModule('dropout1', new Dropout(rate, options.rng.fork('dropout1')));
    this.fc2 = this.addModule('fc2', new LinearBnAct(512, 256, common));
    this.dropout2 = this.addModule('dropout2', new Dropout(rate, options.rng.fork('dropout2')));
    this.classifier = this.addModule('classifier', new Linear(256, options.numClasses, { rng: options.rng, init: options.init }));
  }

  forward(pooled: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const h = this.dropout1.forward(this.fc1.forward(pooled));
      return this.classifier.forward(this.dropout2.forward(this.fc2.forward(h)));
    });
  }

  /** Dropout is off in evaluation mode: FC, FC, the class layer. */
  lower(b: ProgramBuilder, input: string): string {
    const h = this.fc2.lower(b, 'head.fc2', this.fc1.lower(b, 'head.fc1', input));
    return b.dense('head.classifier', this.classifier, { input: h, output: 'logits' });
  }
}
