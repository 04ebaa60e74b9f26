import * as tf from '@tensorflow/tfjs-core';
import { Linear, type LinearOptions } from '../../nn/layers/linear.ts';
import { IdentityQuantizer } from '../../nn/quantizer.ts';

/**
 * A linear layer on [per-point features, per-cloud features], the cloud's features repeated at
 * every point — the first layer of a segmentation head (PointNet's 64 + 1024 → 512). The weight is
 * one [Cp + Cg, out] matrix; the product is split instead of building the repeated input:
 *
 *   [pᵢ, g]·[Wp; Wg] = pᵢ·Wp + g·Wg,
 *
 * so the global part is multiplied once per cloud, not once per point (for PointNet's head at
 * 2048 points that is 17× fewer multiply-adds in this layer). Masks, weight quantizers and output
 * scales apply as to any `Linear`; with an input quantizer set, the concatenated input is built
 * and quantized as a whole.
 */
export class GlobalConcatLinear extends Linear {
  readonly pointFeatures: number;
  readonly globalFeatures: number;

  constructor(pointFeatures: number, globalFeatures: number, outFeatures: number, options: LinearOptions) {
    super(pointFeatures + globalFeatures, outFeatures, options);
    this.pointFeatures = pointFeatures;
    this.globalFeatures = globalFeatures;
  }

  /** perPoint [B, N, Cp], perCloud [B, Cg] → [B, N, out]. */
  forwardConcat(perPoint: tf.Tensor3D, perCloud: tf.Tensor2D): tf.Tensor3D {
    const [batch, points, channels] = perPoint.shape;
    if (channels !== this.pointFeatures || perCloud.shape[1] !== this.globalFeatures || perCloud.shape[0] !== batch) {
      throw new Error(`GlobalConcatLinear expects [B, N, ${this.pointFeatures}] and [B, ${this.globalFeatures}], got [${perPoint.shape}] and [${perCloud.shape}]`);
    }
    if (!(this.inputQuantizer instanceof IdentityQuantizer)) {
      return tf.tidy(() => {
        const repeated = tf.tile(tf.expandDims(perCloud, 1), [1, points, 1]);
        return this.forward(tf.concat([perPoint, repeated], -1)) as tf.Tensor3D;
      });
    }
    return tf.tidy(() => {
      this.lastInputShape = [batch, points, this.inFeatures];
      const flat = tf.reshape(perPoint, [batch * points, channels]);
      const product = (weight: tf.Tensor) => {
        const [wPoint, wGlobal] = tf.split(weight, [this.pointFeatures, this.globalFeatures], 0) as [tf.Tensor, tf.Tensor];
        const local = tf.reshape(tf.matMul(flat, wPoint), [batch, points, this.outFeatures]);
        return tf.add(local, tf.expandDims(tf.matMul(perCloud, wGlobal), 1));
      };
      let y = product(this.effectiveWeight());
      y = this.scaleOutput(y, () => product(this.maskedWeight()));
      if (this.bias) y = tf.add(y, this.bias.variable);
      return y as tf.Tensor3D;
    });
  }
}
