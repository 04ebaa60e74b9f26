import { summarizeModel } from '../compress/summary.ts';
import type { ReplicaSpec } from '../train/parallel/messages.ts';
import { buildCompressedModel } from '../train/parallel/replica.ts';

/**
 * Floating-point work of a training step, counted from the weight layers' multiply-adds (the
 * accounting of `bitpoint summary`): the forward pass is 2 FLOPs per MAC, and the backward pass
 * about twice the forward (the input gradient and the weight gradient are one product each).
 * Elementwise work, reductions, the kNN distance products of DGCNN and the optimizer are not
 * counted, so the figure is what the products alone need: a floor on the step's real work.
 *
 * Compressed models train in float (fake quantization), so they are counted as full precision.
 */
export function forwardMacsPerExample(spec: Omit<ReplicaSpec, 'replica'>, points: number): number {
  const { model } = buildCompressedModel({ ...spec, compress: 'fp', replica: 0 });
  try {
    return summarizeModel(model, { points }).total_macs;
  } finally {
    model.dispose();
  }
}

export function trainingStepFlops(macsPerExample: number, batchSize: number): number {
  return 3 * 2 * macsPerExample * batchSize;
}

export function inferenceFlops(macsPerExample: number, batchSize: number): number {
  return 2 * macsPerExample * batchSize;
}
