/**
 * BiPointNet's layer-wise scale recovery (LSR): one learnable scale α per binarized layer,
 * multiplying the layer output (before the bias), initialized on the first training batch as
 *
 *   α = std(A·W) / std(Q(A)·Q(W))
 *
 * where A·W is the layer's operation on the float input and the (masked) float weights and
 * Q(A)·Q(W) is what the layer computed with its quantizers. This restores the output scale that
 * binarization destroys (sign() outputs have a fixed variance regardless of the float ones).
 * std is the population standard deviation over all output values. If the float output is
 * constant (std(A·W) = 0, e.g. T-Net's zero-initialized transform layer), α = 0, so the layer
 * starts exactly where the float one does (α is learned, so it moves away from 0 with the first
 * updates); this holds when the quantized output is constant as well. Otherwise, if
 * std(Q(A)·Q(W)) is 0 (the ratio is not finite), α stays 1.
 *
 * When a BatchNorm normalizes the layer's output, α is initialized but not learned: BatchNorm
 * cancels it (BN(α·y) = sign(α)·BN(y) up to ε), so its gradient is numerical noise, which Adam
 * normalizes into steps of about the learning rate. α then random-walks, and when it crosses
 * zero every output of the layer flips sign at once: we saw training collapse to below chance
 * (binarized PointNet, head layers' α ended at −0.016 and −0.006). Freezing α removes that
 * failure without changing what the network computes.
 *
 *   layer.setOutputScale(new LayerScaleRecovery());
 *   // or through a policy rule: { "match": "*", "outputScale": "lsr" }
 */
import * as tf from '@tensorflow/tfjs-core';
import { IdentityOutputScale, OutputScale, type OutputScaleContext } from '../nn/layers/quantized-layer.ts';
import { Parameter } from '../nn/parameter.ts';

export class LayerScaleRecovery extends OutputScale {
  readonly kind = 'lsr';
  readonly scale: Parameter;
  /** 1 once α was initialized from data (state, so checkpoints remember it). */
  private readonly initializedFlag: Parameter;

  /** `learned`: false keeps α at its data-dependent initial value (see the module comment). */
  constructor(options: { learned?: boolean } = {}) {
    super();
    this.scale = this.addParameter('scale', new Parameter('scale', tf.scalar(1), options.learned ?? true));
    this.initializedFlag = this.addParameter('initialized', new Parameter('initialized', tf.scalar(0), false));
  }

  override storedScalars(): number {
    return 1;
  }

  get initialized(): boolean {
    return this.initializedFlag.variable.dataSync()[0] === 1;
  }

  apply(output: tf.Tensor, context: OutputScaleContext): tf.Tensor {
    if (this.training && !this.initialized) this.initializeFrom(output, context.floatOutput);
    return tf.mul(output, this.scale.variable);
  }

  private initializeFrom(output: tf.Tensor, floatOutput: () => tf.Tensor): void {
    const [floatStd, quantizedStd] = tf.tidy(() => [floatOutput(), output].map((y) => Math.sqrt(tf.moments(y).variance.dataSync()[0]!)));
    this.scale.assign(tf.scalar(floatStd === 0 ? 0 : quantizedStd === 0 ? 1 : floatStd / quantizedStd));
    this.initializedFlag.assign(tf.scalar(1));
  }
}

export type OutputScaleName = 'none' | 'lsr';
export const OUTPUT_SCALE_NAMES: readonly OutputScaleName[] = ['none', 'lsr'];

export function createOutputScale(name: OutputScaleName, options: { learned?: boolean } = {}): OutputScale {
  return name === 'lsr' ? new LayerScaleRecovery(options) : new IdentityOutputScale();
}
