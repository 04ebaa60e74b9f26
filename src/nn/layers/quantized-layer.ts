import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.ts';
import { Parameter } from '../parameter.ts';
import { IdentityQuantizer, type Quantizer } from '../quantizer.ts';

/**
 * Base of every layer with weights. It holds latent float weights and three compression hooks,
 * all identity by default: a weight quantizer, an input (activation) quantizer and a pruning mask.
 * A compression policy fills them in; the layer only asks for `effectiveWeight()` and
 * `quantizeInput(x)`, never which method is behind them.
 */
export abstract class QuantizedLayer extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  private maskParameter: Parameter | null = null;

  constructor(weight: tf.Tensor, bias: tf.Tensor | null) {
    super();
    this.weight = this.addParameter('weight', new Parameter('weight', weight));
    this.bias = bias ? this.addParameter('bias', new Parameter('bias', bias)) : null;
    this.addModule('weightQuantizer', new IdentityQuantizer());
    this.addModule('inputQuantizer', new IdentityQuantizer());
  }

  get weightQuantizer(): Quantizer {
    return this.getModule('weightQuantizer') as Quantizer;
  }

  get inputQuantizer(): Quantizer {
    return this.getModule('inputQuantizer') as Quantizer;
  }

  setWeightQuantizer(quantizer: Quantizer): void {
    this.replaceModule('weightQuantizer', quantizer);
  }

  setInputQuantizer(quantizer: Quantizer): void {
    this.replaceModule('inputQuantizer', quantizer);
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

  /** Weights as the forward pass uses them: masked, then quantized. */
  effectiveWeight(): tf.Tensor {
    const masked = this.maskParameter ? tf.mul(this.weight.variable, this.maskParameter.variable) : this.weight.variable;
    return this.weightQuantizer.quantize(masked);
  }

  quantizeInput(x: tf.Tensor): tf.Tensor {
    return this.inputQuantizer.quantize(x);
  }

  /** Number of input and output channels, for initializers' fan computation. */
  abstract get fanIn(): number;
  abstract get fanOut(): number;
}
