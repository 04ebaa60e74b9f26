import type { ModelFacts } from './predictions.ts';

/** How numbers read on the page. */

export function percent(value: number, digits = 1): string {
  return `${(value * 100).toFixed(digits)} %`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

/** `1/32`: weight bits / activation bits; the weight bits alone when the activations' are unknown. */
export function bitsText(facts: Partial<ModelFacts>): string | undefined {
  if (facts.bits === undefined) return undefined;
  return facts.activation_bits === undefined ? String(facts.bits) : `${facts.bits}/${facts.activation_bits}`;
}

/** `×29.2 smaller`; a packed full-precision model can be larger than the reference's facts say. */
export function sizeRatio(referenceSize: number, size: number): string {
  return referenceSize >= size ? `×${(referenceSize / size).toFixed(1)} smaller` : `×${(size / referenceSize).toFixed(1)} larger`;
}
