import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm } from '../../nn/layers/batch-norm.ts';
import { Linear, type LinearOptions } from '../../nn/layers/linear.ts';
import { Module } from '../../nn/module.ts';
import { edgeFeatures } from '../../nn/ops/edge-features.ts';
import { edgeSum } from '../../nn/ops/edge-sum.ts';
import { maxSharedTies } from '../../nn/ops/max-shared-ties.ts';
import { IdentityQuantizer } from '../../nn/quantizer.ts';
import type { InitializerSpec } from '../../nn/init/index.ts';
import type { Rng } from '../../util/rng.ts';
import type { ProgramBuilder } from '../../deploy/program-builder.ts';
import { knnIndices } from './knn.ts';
import { LinearBnAct } from './shared-mlp.ts';

/** LeakyReLU slope of DGCNN. */
export const DGCNN_NEGATIVE_SLOPE = 0.2;

/**
 * A linear layer on DGCNN's edge features [xᵢ, xⱼ − xᵢ] (2C inputs), computed without building
 * them when that is exact:
 *
 *   [xᵢ, xⱼ − xᵢ]·[Wa; Wb] = xᵢ·(Wa − Wb) + xⱼ·Wb,
 *
 * two products over the N points instead of one over the N·k edges, then one pass adding them up
 * per edge (`edgeSum`). The weight is still one [2C, out] matrix, so masks, weight quantizers and
 * output scales apply as to any `Linear`. An input (activation) quantizer must see the edge features
 * themselves, so with one set the features are built (`edgeFeatures`) and multiplied as usual.
 */
export class EdgeLinear extends Linear {
  readonly pointChannels: number;

  constructor(pointChannels: number, outFeatures: number, options: LinearOptions) {
    super(2 * pointChannels, outFeatures, options);
    this.pointChannels = pointChannels;
  }

  /** x [B, N, C] and flat neighbour rows [B, N, k] → [B, N, k, out]. */
  forwardEdges(x: tf.Tensor3D, neighbours: tf.Tensor3D): tf.Tensor4D {
    if (!(this.inputQuantizer instanceof IdentityQuantizer)) {
      return tf.tidy(() => this.forward(edgeFeatures(x, neighbours)) as tf.Tensor4D);
    }
    const [batch, points, channels] = x.shape;
    if (channels !== this.pointChannels) throw new Error(`EdgeLinear expects ${this.pointChannels} point features, got shape [${x.shape}]`);
    return tf.tidy(() => {
      // The layer's nominal input, for MAC counts: one 2C-vector per edge.
      this.lastInputShape = [batch, points, neighbours.shape[2], 2 * channels];
      const flat = tf.reshape(x, [batch * points, channels]);
      const perPoint = (w: tf.Tensor) => tf.reshape(tf.matMul(flat, w), [batch, points, this.outFeatures]) as tf.Tensor3D;
      const onEdges = (weight: tf.Tensor) => {
        const [wCentre, wNeighbour] = tf.split(weight, 2, 0) as [tf.Tensor, tf.Tensor];
        return edgeSum(perPoint(tf.sub(wCentre, wNeighbour)), perPoint(wNeighbour), neighbours);
      };
      let y: tf.Tensor = onEdges(this.effectiveWeight());
      y = this.scaleOutput(y, () => onEdges(this.maskedWeight()));
      if (this.bias) y = tf.add(y, this.bias.variable);
      return y as tf.Tensor4D;
    });
  }
}

/** The first layer of an EdgeConv: the edge linear layer and its BatchNorm. */
export class EdgeLayer extends Module {
  readonly linear: EdgeLinear;
  readonly bn: BatchNorm;

  constructor(pointChannels: number, outFeatures: number, options: { rng: Rng; init?: InitializerSpec }) {
    super();
    // BatchNorm follows, so a bias would be cancelled by its mean subtraction.
    this.linear = this.addModule('linear', new EdgeLinear(pointChannels, outFeatures, { rng: options.rng, init: options.init, bias: false }));
    this.bn = this.addModule('bn', new BatchNorm(outFeatures));
    this.linear.outputNorm = this.bn;
  }

  /** BN(edge linear), before the activation: [B, N, k, out]. */
  forward(x: tf.Tensor3D, neighbours: tf.Tensor3D): tf.Tensor4D {
    return tf.tidy(() => this.bn.forward(this.linear.forwardEdges(x, neighbours)) as tf.Tensor4D);
  }
}

export interface EdgeConvOptions {
  rng: Rng;
  init?: InitializerSpec;
  /** Neighbours per point (DGCNN: 20). */
  k: number;
  /** LeakyReLU 0.2 after each layer (DGCNN), or none (a compression policy may remove it). */
  activation?: 'leaky_relu' | 'none';
}

/**
 * EdgeConv (Wang et al. 2019): the k nearest neighbours of every point in the current feature
 * space (a new graph per block), a shared MLP (Linear + BN + LeakyReLU 0.2) on the edge features
 * [xᵢ, xⱼ − xᵢ], and the max over each point's k edges: [B, N, C] → [B, N, widths.at(-1)].
 * Children: `0.linear`/`0.bn` (the edge layer), then `1.linear`/`1.bn`, … for deeper MLPs.
 *
 * LeakyReLU is increasing, so max over edges of LeakyReLU(z) equals LeakyReLU of the max: the last
 * activation runs on [B, N, C] instead of [B, N, k, C], with the same values and gradients.
 * `activation` applies to every layer of the block, as `LinearBnAct.activation` does to its one.
 */
export class EdgeConv extends Module {
  readonly k: number;
  readonly activation: 'leaky_relu' | 'none';
  readonly edgeLayer: EdgeLayer;
  readonly layers: LinearBnAct[];
  readonly outChannels: number;

  constructor(inChannels: number, widths: number[], options: EdgeConvOptions) {
    super();
    if (widths.length === 0) throw new Error('EdgeConv needs at least one layer width');
    this.k = options.k;
    this.activation = options.activation ?? 'leaky_relu';
    const common = { rng: options.rng, init: options.init };
    this.edgeLayer = this.addModule('0', new EdgeLayer(inChannels, widths[0]!, common));
    this.layers = [];
    for (let i = 1; i < widths.length; i++) {
      this.layers.push(this.addModule(String(i), new LinearBnAct(widths[i - 1]!, widths[i]!, { ...common, activation: 'none' })));
    }
    this.outChannels = widths[widths.length - 1]!;
  }

  forward(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const neighbours = knnIndices(x, this.k);
      const activate = (t: tf.Tensor) => (this.activation === 'leaky_relu' ? tf.leakyRelu(t, DGCNN_NEGATIVE_SLOPE) : t);
      let h: tf.Tensor = this.edgeLayer.forward(x, neighbours);
      for (const layer of this.layers) h = layer.forward(activate(h));
      return activate(maxSharedTies(h, 2)) as tf.Tensor3D;
    });
  }

  /**
   * kNN in the input's feature space, the edge MLP, the max over each point's edges. A one-layer
   * MLP on float inputs becomes one `edge_max` op (no edge is materialized); any other block
   * materializes the edge features and takes the max with `group_max`.
   */
  lower(b: ProgramBuilder, name: string, input: string): string {
    const neighbours = `${name}.neighbours`;
    b.push({ op: 'knn', input, k: this.k, output: neighbours });
    const activation = b.activation(this.activation);
    const edge = this.edgeLayer;
    if (this.layers.some((layer) => layer.shortcut)) {
      b.fail(`${name}: real-valued shortcuts inside an EdgeConv block (the policy's realShortcuts) are not in the packed format`);
    }
    const options = { batchNorm: edge.bn, activation, slope: DGCNN_NEGATIVE_SLOPE };
    const floatInput = edge.linear.inputQuantizer.grid()?.kind === 'float';
    if (this.layers.length === 0 && floatInput && !edge.linear.mask) {
      const dense = b.denseOp(`${name}.0.linear`, edge.linear, { ...options, input, output: name });
      b.push({ op: 'edge_max', neighbours, k: this.k, dense });
      return name;
    }
    b.push({ op: 'edge_features', input, neighbours, k: this.k, output: `${name}.edges` });
    let x = b.dense(`${name}.0.linear`, edge.linear, { ...options, input: `${name}.edges`, output: `${name}.0` });
    this.layers.forEach((layer, i) => {
      x = b.dense(`${name}.${i + 1}.linear`, layer.linear, { input: x, output: `${name}.${i + 1}`, batchNorm: layer.bn, activation, slope: DGCNN_NEGATIVE_SLOPE });
    });
    b.push({ op: 'group_max', input: x, group: this.k, output: name });
    return name;
  }
}

/** DGCNN's EdgeConv blocks on the points, each on the last one's output, concatenated: `local`. */
export function lowerEdgeConvs(b: ProgramBuilder, blocks: readonly EdgeConv[]): string {
  let x = 'points';
  const features: string[] = [];
  blocks.forEach((block, i) => {
    x = block.lower(b, `edgeconv${i + 1}`, x);
    features.push(x);
  });
  b.push({ op: 'concat', inputs: features, output: 'local' });
  return 'local';
}
