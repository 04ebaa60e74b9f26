/**
 * bitpoint's public API: re-exports only. Everything here is stable enough to build studies on;
 * anything not exported is an implementation detail.
 *
 *   import { useBackend, parseRunConfig, runTraining } from 'bitpoint';
 *   await useBackend('auto');
 *   const result = await runTraining(parseRunConfig({ model: 'pointnet-vanilla', dataset: 'synth-cls', compress: 'bipointnet' }),
 *                                    { outDir: 'runs/example', log: console.error });
 */

// Errors and seeded randomness
export { BackendError, BitpointError, ConfigError, FormatError, TrainingError, UsageError } from './util/errors.ts';
export { Rng, type RngState } from './util/rng.ts';

// Backends
export { activeBackend, parseBackendRequest, useBackend, type BackendInfo, type BackendRequest } from './backend/select.ts';

// Module system, layers and initializers
export { Module } from './nn/module.ts';
export { Parameter } from './nn/parameter.ts';
export { IdentityQuantizer, Quantizer, type QuantizerGrid } from './nn/quantizer.ts';
export { QuantizedLayer } from './nn/layers/quantized-layer.ts';
export { Linear, type LinearOptions } from './nn/layers/linear.ts';
export { Conv2d, type Conv2dOptions } from './nn/layers/conv2d.ts';
export { BatchNorm, type BatchNormOptions } from './nn/layers/batch-norm.ts';
export { Dropout } from './nn/layers/dropout.ts';
export { GlobalMaxPool } from './nn/layers/global-max-pool.ts';
export { entropyMaximizingOffset } from './nn/ops/entropy-maximizing-offset.ts';
export {
  describeInitializer,
  initialTensor,
  initialValues,
  parseInitializer,
  type Fans,
  type InitializerConfig,
  type InitializerName,
  type InitializerSpec,
} from './nn/init/index.ts';

// Models
export { Model, type ModelInput, type ModelOutput, type Task } from './models/model.ts';
export { createModel, modelNames, type ModelOptions } from './models/registry.ts';

// Compression: quantizers, pruning, policies and the size summary
export * from './compress/index.ts';
export { resolvePolicy } from './compress/resolve.ts';

// Data
export * from './data/index.ts';

// Training
export { Trainer, type Batch, type StepResult, type TrainerOptions } from './train/trainer.ts';
export { createOptimizer, type Optimizer, type OptimizerConfig } from './train/optimizers/index.ts';
export { createSchedule, type LearningRateSchedule } from './train/schedules.ts';
export { softmaxCrossEntropy } from './train/loss.ts';
export { clipByGlobalNorm, clipByValue } from './train/clip.ts';
export { loadCheckpoint, saveCheckpoint, captureModelState, restoreModelState, type Checkpoint } from './train/checkpoint.ts';
export { ConfusionMatrix, PartSegmentationMeter, shapeIoU } from './train/metrics.ts';
export { evaluateDataset, type Evaluation } from './train/evaluate.ts';
export { parseRunConfig, type RunConfig } from './train/run-config.ts';
export { runTraining, type EpochMetrics, type RunResult } from './train/run.ts';
export { RESUME_MAY_CHANGE } from './train/resume.ts';
export { loadRunModel, type ModelCard } from './train/run-model.ts';
export { modelLogits, predictCloud, withPredictions, type CloudLogits, type CloudPrediction } from './train/predict.ts';
export { DataParallel } from './train/parallel/data-parallel.ts';
// One sweep per results store at a time (shared by the sweep runner and queue coordinators).
export { acquireSweepLock, sweepLockHolder, SweepLockedError, type SweepLockOwner } from './experiments/sweep-lock.ts';

// Deploy: the packed model format and the bit-packed inference engine
export { exportModel, ExportError } from './deploy/export.ts';
export { PackedFormatError, readPackedModel, writePackedModel, type PackedHeader, type PackedModel } from './deploy/format.ts';
export type { Op as PackedOp, ProgramHeader } from './deploy/program.ts';
export { Engine, EngineInputError, type EngineInput, type EngineOptions } from './deploy/engine/engine.ts';
export { LIMITS as PACKED_LIMITS, type ProgramBounds } from './deploy/validate-program.ts';
export type { ModelLowering, ProgramBuilder } from './deploy/program-builder.ts';
export { createEngineKernels, type KernelChoice } from './deploy/engine/select-kernels.ts';
export { EnginePool } from './deploy/engine/pool.ts';
export { floatParameterBytes } from './deploy/sizes.ts';

// Prediction folders: the index.json the demo writes and the viewer reads (docs/prediction-index.md)
export {
  PREDICTION_INDEX_VERSION,
  predictionIndexJson,
  readPredictionIndex,
  type PredictionIndex,
  type PredictionIndexEntry,
  type PredictionTask,
} from './experiments/prediction-index.ts';

// Reports: a study's tables and figures, its results page, one run's pictures, the README table
export { writeReport, type Report, type ReportOptions } from './experiments/report/index.ts';
export { writeResultsPage, type PageOptions, type ResultsPage } from './experiments/report/page.ts';
export { writeRunReport, type RunReport } from './experiments/report/run-report.ts';
export { readmeTable, replaceReadmeTable } from './experiments/report/readme-table.ts';

// Distributed sweeps: a Redis (BullMQ) queue of runs, workers, and the coordinator (docs/scaling-out.md)
export { runDistributedSweep, type DistributedSweepOptions } from './experiments/distributed/coordinator.ts';
export { startRunWorker, type RunWorker, type RunWorkerOptions } from './experiments/distributed/worker.ts';
export { parseQueueUrl, QueueError, type QueueConnection } from './experiments/distributed/connection.ts';
export { DEFAULT_TIMINGS, type QueueTimings } from './experiments/distributed/timings.ts';
