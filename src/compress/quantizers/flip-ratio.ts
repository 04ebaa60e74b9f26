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
    const compared: Array<{ name: string; size: number; flips: tf.Scalar }> = [];
    for (const [name, layer] of this.trackedLayers()) {
      const codes = tf.tidy(() => tf.sign(layer.effectiveWeight()));
      const before = this.previous.get(name);
      layers[name] = null;
      if (before) {
        compared.push({ name, size: codes.size, flips: tf.tidy(() => tf.sum(tf.cast(tf.notEqual(before, codes), 'float32'))) });
        before.dispose();
      }
      this.previous.set(name, codes);
    }
    if (compared.length === 0) return { total: null, layers };
    // One readback for every layer: a sync per layer would stall a GPU backend that many times.
    const counts = tf.tidy(() => tf.stack(compared.map((c) => c.flips)).dataSync());
    tf.dispose(compared.map((c) => c.flips));
    let changed = 0;
    let count = 0;
    compared.forEach(({ name, size }, i) => {
      layers[name] = counts[i]! / size;
      changed += counts[i]!;
      count += size;
    });
    return { total: changed / count, layers };
  }

  dispose(): void {
    for (const codes of this.previous.values()) codes.dispose();
    this.previous.clear();
  }
}
