/**
 * Compression: quantizers (binary, ternary, k-bit, with straight-through gradients), pruning
 * (masks, schedules, lottery tickets), policies that assign them to layers, and the summary that
 * counts bits. Browser-safe except `resolvePolicy` (reads policy files; import it from
 * './resolve.ts').
 *
 *   const report = applyPolicy(model, parsePolicy({ extends: 'bipointnet' }), { rng });
 *   const trainer = new Trainer(model, { …, afterUpdate: (step) => report.pruningSchedule?.afterUpdate(step) });
 *   console.log(formatSummary(summarizeModel(model, { report })));
 */
export * from './quantizers/index.ts';
export * from './prune/index.ts';
export { LayerScaleRecovery, createOutputScale, OUTPUT_SCALE_NAMES, type OutputScaleName } from './output-scale.ts';
export {
  applyPolicy,
  parsePolicy,
  type CompressionPolicy,
  type PolicyRule,
  type PruneSpec,
  type ModelSwitches,
  type ResolvedPolicy,
  type ResolvedRule,
  type ResolvedPrune,
  type PolicyReport,
  type LayerAssignment,
  type CompressibleModel,
  type ApplyPolicyOptions,
} from './policy.ts';
export { PRESET_NAMES, presetPolicy } from './presets.ts';
export { globToRegExp, matchesGlob } from './glob.ts';
export {
  summarizeModel,
  formatSummary,
  packedWeightBits,
  type ModelSummary,
  type LayerSummary,
  type OtherSummary,
  type SummaryOptions,
  type SummarizableModel,
} from './summary.ts';
export { ActivationStats, formatActivationStats, type InputStats, type UniformInputStats, type SignInputStats } from './activation-stats.ts';
