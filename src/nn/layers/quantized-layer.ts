import * as tf from '@tensorflow/tfjs-core';
import type { BatchNorm } from './batch-norm.ts';
import { Module } from '../module.ts';
import { Parameter } from '../parameter.ts';
import { IdentityQuantizer, type Quantizer } from '../quantizer.ts';

/** What an output scale may look at besides the layer output. */
export interface OutputScaleContext {
  /**
   * The layer's operation on the unquantized input and the masked float weights (A·W), computed
   * only when asked for (e.g. once, to initialize a scale from data).
   */
  floatOutput: () => tf.Tensor;
}

/**
 * A rescaling of a layer's output, applied before the bias; the identity by default. A compression
 * method fills it (BiPointNet's layer-wise scale recovery lives in `src/compress`); the layer only
 * calls `apply`, never asks which method is behind it.
 */
export abstract class OutputScale extends Module {
  /** Short name, e.g. 'identity', 'lsr'. */
  abstract readonly kind: string;
  abstract apply(output: tf.Tensor, context: OutputScaleContext): tf.Tensor;
  /** Float32 values stored for this scale (the summary's accounting). */
  storedScalars(): number {
    return 0;
  }
  describe(): Record<string, unknown> {
    return { kind: this.kind };
  }
}

export class IdentityOutputScale extends OutputScale {
  readonly kind = 'identity';
  apply(output: tf.Tensor): tf.Tensor {
    return output;
  }
}

/**
 * Base of every layer with weights. It holds latent float weights and four compression hooks,
 * all identity by default: a weight quantizer, an input (activation) quantizer, a pruning mask
 * and an output scale. A compression policy fills them in; the layer only asks for
 * `effectiveWeight()`, `quantizeInput(x)` and `scaleOutput(y, …)`, never which method is behind them.
 */
export abstract class QuantizedLayer extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  private maskParameter: Parameter | null = null;
  /** Shape of the last input seen by `quantizeInput` (the summary counts MACs from it). */
  lastInputShape: number[] | null = null;
  /**
   * The BatchNorm that normalizes this layer's output, if any (the block that owns both sets it).
   * The output's scale then cancels (LSR takes that into account), and a policy may initialize
   * its shifts (`thresholdSpread`).
   */
  outputNorm: BatchNorm | null = null;
  /** Called with every input before quantization (diagnostics such as activation statistics). */
  inputObserver: ((x: tf.Tensor) => void) | null = null;

  constructor(weight: tf.Tensor, bias: tf.Tensor | null) {
    super();
    this.weight = this.addParameter('weight', new Parameter('weight', weight));
    this.bias = bias ? this.addParameter('bias', new Parameter('bias', bias)) : null;
    this.addModule('weightQuantizer', new IdentityQuantizer());
    this.addModule('inputQuantizer', new IdentityQuantizer());
    this.addModule('outputScale', new IdentityOutputScale());
  }

  get weightQuantizer(): Quantizer {
    return this.getModule('weightQuantizer') as Quantizer;
  }

  get inputQuantizer(): Quantizer {
    return this.getModule('inputQuantizer') as Quantizer;
  }

  get outputScale(): OutputScale {
    return this.getModule('outputScale') as OutputScale;
  }

  setWeightQuantizer(quantizer: Quantizer): void {
    this.replaceModule('weightQuantizer', quantizer);
  }

  setInputQuantizer(quantizer: Quantizer): void {
    this.replaceModule('inputQuantizer', quantizer);
  }

  setOutputScale(scale: OutputScale): void {
    this.replaceModule('outputScale', scale);
  }

  /** The pruning mask (1 keeps, 0 prunes), same shape as the weight; null when not pruned. */
  get mask(): Parameter | null {
    return this.maskParameter;
  }

  /** Sets the pruning mask and zeroes the pruned latent weights so they stay exactly zero. */
  setMask(mask: tf.Tensor): void {
    if (mask.shape.join() !== this.weight.shape.join()) {
      throw new Error(`mask shape [${mask.shape}] does not match weight [${this.weight.shape}]`);
    }
    if (this.maskParameter) this.maskParameter.assign(mask);
    else this.maskParameter = this.addParameter('mask', new Parameter('mask', mask, false));
    tf.tidy(() => this.weight.assign(tf.mul(this.weight.variable, mask)));
  }

  /** Latent weights with the mask applied (mask ⊙ w), before quantization. */
  maskedWeight(): tf.Tensor {
    return this.maskParameter ? tf.mul(this.weight.variable, this.maskParameter.variable) : this.weight.variable;
  }

  /**
   * Weights as the forward pass uses them: mask ⊙ Q(mask ⊙ w). The second mask keeps pruned
   * weights at zero even under quantizers that have no zero (sign(0) = +1).
   */
  effectiveWeight(): tf.Tensor {
    const quantized = this.weightQuantizer.quantize(this.maskedWeight());
    if (!this.maskParameter || this.weightQuantizer instanceof IdentityQuantizer) return quantized;
    return tf.mul(quantized, this.maskParameter.variable);
  }

  quantizeInput(x: tf.Tensor): tf.Tensor {
    this.lastInputShape = x.shape;
    this.inputObserver?.(x);
    return this.inputQuantizer.quantize(x);
  }

  /** Applies the output scale to `output` (before the bias). */
  protected scaleOutput(output: tf.Tensor, floatOutput: () => tf.Tensor): tf.Tensor {
    return this.outputScale.apply(output, { floatOutput });
  }

  /** Number of input and output channels, for initializers' fan computation. */
  abstract get fanIn(): number;
  abstract get fanOut(): number;

  /** Multiply-accumulates of one forward pass on an input of this shape (bias and scales not counted). */
  abstract macs(inputShape: readonly number[]): number;
}
