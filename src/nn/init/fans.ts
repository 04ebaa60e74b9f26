import type { Fans } from './variance-scaling.ts';

/**
 * Fans of a weight in bitpoint's layout, output channels last: [in, out] for linear layers,
 * [...kernel, in, out] for convolutions, where every kernel position counts (Keras's rule).
 * Layers usually know their fans and pass them directly; this is for weights that do not.
 *
 *   fansOf([3, 3, 16, 32]);   // → { fanIn: 144, fanOut: 288 }
 */
export function fansOf(shape: readonly number[]): Fans {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  const receptiveField = shape.slice(0, -2).reduce((product, size) => product * size, 1);
  return { fanIn: shape[shape.length - 2]! * receptiveField, fanOut: shape[shape.length - 1]! * receptiveField };
}
