export {
  maskFromScores,
  maskSparsity,
  pruneUnstructured,
  pruneGlobalMagnitude,
  pruneChannels,
  pruneLayers,
  PRUNING_METHODS,
  type PruningMethod,
} from './masks.ts';
export { cubicSparsity, PruningSchedule, type PruningGroup, type PruningTiming } from './schedule.ts';
export {
  captureWeights,
  rewindWeights,
  disposeWeights,
  iterativeMagnitudePruning,
  type WeightSnapshot,
  type IterativePruningOptions,
  type IterativePruningRound,
} from './lottery.ts';
