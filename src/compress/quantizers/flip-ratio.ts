/**
 * Flip ratio (larq's metric): the fraction of binary or ternary weight codes that changed since
 * the previous measurement. High values mean the latent weights oscillate around the thresholds;
 * it falls towards 0 as training settles.
 *
 *   const flips = new FlipRatio(model);
 *   trainer = new Trainer(model, { …, afterUpdate: () => log(flips.update().total) });
 *
 * Codes are sign(effective weight) ∈ {−1, 0, +1}, so both sign flips and moves into or out of a
 * ternary zero count. Layers whose weight quantizer has more than 2 bits are not tracked.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { QuantizedLayer } from '../../nn/layers/quantized-layer.ts';

export interface FlipRatioResult {
  /** Changed codes / all tracked codes; null on the first call (nothing to compare with). */
  total: number | null;
  layers: Record<string, number | null>;
}

export class FlipRatio {
  private readonly previous = new Map<string, tf.Tensor>();

  constructor(private readonly model: { weightLayers(): Array<[string, QuantizedLayer]> }) {}

  /** Binary and ternary layers (weight quantizer of 1 or 2 bits). */
  trackedLayers(): Array<[string, QuantizedLayer]> {
    return this.model.weightLayers().filter(([, layer]) => layer.weightQuantizer.bits <= 2);
  }

  update(): FlipRatioResult {
    const layers: Record<string, number | null> = {};
    let changed = 0;
    let count = 0;
    let compared = false;
    for (const [name, layer] of this.trackedLayers()) {
      const codes = tf.tidy(() => tf.sign(layer.effectiveWeight()));
      const before = this.previous.get(name);
      if (before) {
        const flips = tf.tidy(() => tf.sum(tf.cast(tf.notEqual(before, codes), 'float32')).dataSync()[0]!);
        layers[name] = flips / codes.size;
        changed += flips;
        count += codes.size;
        compared = true;
        before.dispose();
      } else {
        layers[name] = null;
      }
      this.previous.set(name, codes);
    }
    return { total: compared ? changed / count : null, layers };
  }

  dispose(): void {
    for (const codes of this.previous.values()) codes.dispose();
    this.previous.clear();
  }
}
