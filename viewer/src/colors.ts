/**
 * Point colours for the four colour modes, as sRGB bytes (three renders them unchanged: colour
 * management is off and the output is not re-encoded, so what is written here is what appears).
 *
 *  - `truth`: the ground-truth part/class of each point;
 *  - `pred`: the model's predicted part/class;
 *  - `error`: points the model gets wrong in red, right ones grey;
 *  - `diff`: points where the model disagrees with the reference (full-precision) model in violet.
 *
 * Part/class ids get distinct colours per shape (the ids that occur, in ascending order), from a
 * palette that leaves out red and grey, so the error colour never means anything else.
 */

export type ColorMode = 'truth' | 'pred' | 'error' | 'diff';

export const COLOR_MODES: readonly { mode: ColorMode; label: string; key: string }[] = [
  { mode: 'truth', label: 'Ground truth', key: '1' },
  { mode: 'pred', label: 'Prediction', key: '2' },
  { mode: 'error', label: 'Errors', key: '3' },
  { mode: 'diff', label: 'vs reference', key: '4' },
];

import { categoricalColor, type Rgb } from '../../src/data/palette.ts';

export { categoricalColor, type Rgb };

export const BACKGROUND: Rgb = [27, 30, 36];
export const ERROR_COLOR: Rgb = [235, 20, 40];
export const DIFF_COLOR: Rgb = [160, 70, 255];
export const AGREE_COLOR: Rgb = [120, 128, 142];
export const NEUTRAL_COLOR: Rgb = [205, 210, 218];

export function rgbHex(rgb: Rgb): string {
  return `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** One colour per id occurring in any of the arrays (ascending id order). */
export function idColors(arrays: readonly (Int32Array | undefined)[], extraIds: readonly number[] = []): Map<number, Rgb> {
  const ids = new Set<number>(extraIds);
  for (const array of arrays) {
    if (!array) continue;
    // Classification files repeat one id per point: skip runs cheaply.
    let last = NaN;
    for (const id of array) {
      if (id === last) continue;
      ids.add(id);
      last = id;
    }
  }
  const sorted = [...ids].sort((a, b) => a - b);
  return new Map(sorted.map((id, k) => [id, categoricalColor(k)]));
}

export interface ColorInputs {
  count: number;
  truth?: Int32Array;
  pred?: Int32Array;
  /** The reference model's prediction (mode `diff`); undefined for the reference itself. */
  reference?: Int32Array;
  isReference?: boolean;
}

/** What a panel shows in a mode when its data allows it; otherwise why not. */
export function colorAvailability(mode: ColorMode, input: ColorInputs): string | undefined {
  if (mode === 'truth' && !input.truth) return 'no ground truth (label) in this file';
  if (mode === 'pred' && !input.pred) return 'no prediction (pred) in this file';
  if (mode === 'error' && (!input.truth || !input.pred)) return input.pred ? 'no ground truth (label) to compare with' : 'no prediction (pred) in this file';
  if (mode === 'diff') {
    if (!input.pred) return 'no prediction (pred) in this file';
    if (input.isReference) return undefined;
    if (!input.reference) return 'the reference model has no prediction for this shape';
    if (input.reference.length !== input.count) return 'the reference file has a different number of points';
  }
  return undefined;
}

/** N×3 sRGB bytes for one panel in one mode. */
export function pointColors(mode: ColorMode, input: ColorInputs, colors: Map<number, Rgb>, out = new Uint8Array(input.count * 3)): Uint8Array {
  const put = (i: number, rgb: Rgb) => {
    out[i * 3] = rgb[0];
    out[i * 3 + 1] = rgb[1];
    out[i * 3 + 2] = rgb[2];
  };
  const byId = (ids: Int32Array) => {
    for (let i = 0; i < input.count; i++) put(i, colors.get(ids[i]!) ?? NEUTRAL_COLOR);
  };
  if (colorAvailability(mode, input) !== undefined) {
    for (let i = 0; i < input.count; i++) put(i, NEUTRAL_COLOR);
    return out;
  }
  if (mode === 'truth') byId(input.truth!);
  else if (mode === 'pred' || (mode === 'diff' && input.isReference)) byId(input.pred!);
  else {
    const other = mode === 'error' ? input.truth! : input.reference!;
    const pred = input.pred!;
    const highlight = mode === 'error' ? ERROR_COLOR : DIFF_COLOR;
    for (let i = 0; i < input.count; i++) put(i, pred[i] === other[i] ? AGREE_COLOR : highlight);
  }
  return out;
}
