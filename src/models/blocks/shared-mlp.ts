import type * as tf from '@tensorflow/tfjs-core';
import * as tfc from '@tensorflow/tfjs-core';
import { Module } from '../../nn/module.ts';
import { Linear } from '../../nn/layers/linear.ts';
import { BatchNorm } from '../../nn/layers/batch-norm.ts';
import type { InitializerSpec } from '../../nn/init/index.ts';
import type { Rng } from '../../util/rng.ts';
import type { ProgramBuilder } from '../../deploy/program-builder.ts';
import type { DenseOp } from '../../deploy/program.ts';

/** Slope of the LeakyReLU blocks use (DGCNN's). */
export const LEAKY_RELU_SLOPE = 0.2;

export interface SharedMlpOptions {
  rng: Rng;
  init?: InitializerSpec;
  /** Activation after BN; 'none' leaves the last layer linear. */
  activation?: 'relu' | 'leaky_relu' | 'none';
  batchNorm?: boolean;
}

/**
 * Linear → BatchNorm → ReLU, repeated: PointNet's shared MLP over points (and the FC head over
 * [B, C]). Children are named `0`, `1`, … with `linear` and `bn` inside, so a policy can address
 * `encoder.0.linear` or `head.2.linear`.
 */
export class LinearBnAct extends Module {
  readonly linear: Linear;
  readonly bn: BatchNorm | null;
  readonly activation: 'relu' | 'leaky_relu' | 'none';
  /**
   * Adds the block's real-valued input to its output (Bi-Real Net's shortcut; ReActNet's for a
   * change of width), so that information the binarized input loses still reaches later layers.
   * Set by the policy switch `realShortcuts`; see `channelShortcut` for widths that differ.
   */
  shortcut = false;

  constructor(inFeatures: number, outFeatures: number, options: SharedMlpOptions) {
    super();
    const batchNorm = options.batchNorm ?? true;
    // With BatchNorm right after, a bias would be cancelled by the mean subtraction.
    this.linear = this.addModule('linear', new Linear(inFeatures, outFeatures, { rng: options.rng, init: options.init, bias: !batchNorm }));
    this.bn = batchNorm ? this.addModule('bn', new BatchNorm(outFeatures)) : null;
    this.linear.outputNorm = this.bn;
    this.activation = options.activation ?? 'relu';
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tfc.tidy(() => {
      const y = this.transform(x);
      return this.shortcut ? tfc.add(y, channelShortcut(x, this.linear.outFeatures)) : y;
    });
  }

  private transform(x: tf.Tensor): tf.Tensor {
    let y = this.linear.forward(x);
    if (this.bn && this.activation === 'relu') return this.bn.forward(y, { relu: true });
    if (this.bn) y = this.bn.forward(y);
    if (this.activation === 'relu') y = tfc.relu(y);
    else if (this.activation === 'leaky_relu') y = tfc.leakyRelu(y, LEAKY_RELU_SLOPE);
    return y;
  }

  /** Linear → BatchNorm → activation as one dense op (+ the shortcut); `result` as in DenseOp. */
  lower(b: ProgramBuilder, name: string, input: string, result?: DenseOp['result']): string {
    const options = { batchNorm: this.bn, activation: b.activation(this.activation), slope: LEAKY_RELU_SLOPE };
    if (!this.shortcut) return b.dense(`${name}.linear`, this.linear, { ...options, input, output: name, result });
    // The sum is taken before any max over rows, so the max cannot be fused into the layer.
    const body = b.dense(`${name}.linear`, this.linear, { ...options, input, output: `${name}.body` });
    const sum = result?.kind === 'max' ? `${name}.sum` : name;
    b.push({ op: 'shortcut', input: body, source: input, output: sum });
    if (result?.kind === 'max') b.push({ op: 'max_rows', input: sum, output: name, entropyMaximizing: result.entropyMaximizing });
    return name;
  }
}

/**
 * x [..., C] to [..., out] without parameters: the identity for out = C; the channels repeated
 * out/C times for a wider output (ReActNet concatenates copies); the mean of every C/out-th channel
 * for a narrower one. Output channel j reads input channels ≡ j (mod out) or j mod C.
 */
export function channelShortcut(x: tf.Tensor, outFeatures: number): tf.Tensor {
  const channels = x.shape[x.rank - 1]!;
  if (channels === outFeatures) return x;
  if (outFeatures % channels === 0) return tfc.concat(new Array<tf.Tensor>(outFeatures / channels).fill(x), x.rank - 1);
  if (channels % outFeatures === 0) {
    const groups = channels / outFeatures;
    return tfc.mean(tfc.reshape(x, [...x.shape.slice(0, -1), groups, outFeatures]), x.rank - 1);
  }
  throw new RangeError(`no shortcut from ${channels} to ${outFeatures} channels: one must divide the other`);
}

export class SharedMlp extends Module {
  readonly layers: LinearBnAct[];

  constructor(widths: number[], options: SharedMlpOptions) {
    super();
    this.layers = [];
    for (let i = 0; i + 1 < widths.length; i++) {
      this.layers.push(this.addModule(String(i), new LinearBnAct(widths[i]!, widths[i + 1]!, options)));
    }
  }

  /** Channels of the last layer's output. */
  get outFeatures(): number {
    return this.layers[this.layers.length - 1]!.linear.outFeatures;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tfc.tidy(() => this.layerOutputs(x).at(-1)!);
  }

  /** Every layer's output, in order (the last is `forward`'s); the caller owns them all. */
  layerOutputs(x: tf.Tensor): tf.Tensor[] {
    const outputs: tf.Tensor[] = [];
    this.layers.reduce((h, layer) => {
      const y = layer.forward(h);
      outputs.push(y);
      return y;
    }, x);
    return outputs;
  }

  /** The layers in order; with `pool`, the last one's output is max-pooled over rows. */
  lower(b: ProgramBuilder, name: string, input: string, pool?: { entropyMaximizing: boolean }): string {
    let x = input;
    this.layers.forEach((layer, i) => {
      const last = i === this.layers.length - 1;
      x = layer.lower(b, `${name}.${i}`, x, last && pool ? { kind: 'max', entropyMaximizing: pool.entropyMaximizing } : undefined);
    });
    return x;
  }
}
