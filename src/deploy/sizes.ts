import type { Model } from '../models/model.ts';

/**
 * Bytes of the uncompressed model at float32: weights, biases and BatchNorm's four vectors
 * (quantizer state, output scales and masks are compression's additions, not counted) — the same
 * `float32_bytes` as `bitpoint summary`, which a packed file is compared with.
 */
export function floatParameterBytes(model: Model): number {
  let values = 0;
  for (const [path, parameter] of model.namedParameters()) {
    if (/(^|\.)(weightQuantizer|inputQuantizer|outputScale)\./.test(path) || /(^|\.)mask$/.test(path)) continue;
    values += parameter.size;
  }
  return values * 4;
}
