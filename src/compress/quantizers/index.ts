export { CompressQuantizer, signNonzero } from './base.ts';
export { binarize, steSign, approxSign, SteSign, ApproxSign, type BinaryOptions, type BinaryScaling, type BinaryGradient } from './binary.ts';
export {
  twnTernarize,
  ttqTernarize,
  sparsityTernarize,
  sparsityThreshold,
  Twn,
  Ttq,
  TernarySparsity,
  type TwnOptions,
  type TtqOptions,
  type TernarySparsityOptions,
  type TernaryGranularity,
} from './ternary.ts';
export {
  roundSte,
  dorefaWeights,
  dorefaActivations,
  lsqQuantize,
  lsqRange,
  Lsq,
  DoReFa,
  MIN_BITS,
  MAX_BITS,
  type LsqOptions,
  type LsqRange,
  type LsqRangeName,
  type LsqInit,
  type DoReFaOptions,
} from './kbit.ts';
export { FlipRatio, type FlipRatioResult } from './flip-ratio.ts';
export {
  createQuantizer,
  parseQuantizerSpec,
  buildQuantizer,
  QUANTIZER_NAMES,
  type QuantizerSpec,
  type QuantizerConfig,
  type QuantizerRole,
} from './registry.ts';
