/**
 * Categorical colours for part and class ids, shared by the viewer and the prediction files
 * `bitpoint predict` writes (so a PLY/PCD opened in CloudCompare or MeshLab shows the same colour
 * for a class as the viewer does). Browser-safe: no imports. sRGB bytes.
 */
export type Rgb = readonly [number, number, number];

/** Tableau-like categorical colours without red and grey (the viewer keeps those for errors). */
export const PALETTE: readonly Rgb[] = [
  [78, 121, 167],
  [242, 142, 44],
  [89, 161, 79],
  [237, 201, 73],
  [175, 122, 161],
  [118, 183, 178],
  [156, 117, 95],
  [255, 157, 167],
  [214, 97, 180],
  [188, 189, 34],
  [23, 190, 207],
  [148, 103, 189],
];

/** The colour of the k-th id: the palette, then golden-angle hues that avoid red. */
export function categoricalColor(k: number): Rgb {
  if (k < PALETTE.length) return PALETTE[k]!;
  let hue = (k * 137.508) % 360;
  if (hue < 30 || hue > 330) hue = (hue + 60) % 360;
  return hslToRgb(hue, 0.55, 0.55);
}

function hslToRgb(hue: number, saturation: number, lightness: number): Rgb {
  const c = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const x = c * (1 - Math.abs(((hue / 60) % 2) - 1));
  const m = lightness - c / 2;
  const [r, g, b] = hue < 60 ? [c, x, 0] : hue < 120 ? [x, c, 0] : hue < 180 ? [0, c, x] : hue < 240 ? [0, x, c] : hue < 300 ? [x, 0, c] : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}
