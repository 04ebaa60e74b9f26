import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../models/model.ts';
import type { Parameter } from '../nn/parameter.ts';
import { TrainingError } from '../util/errors.ts';
import { clipByGlobalNorm } from './clip.ts';
import { distillationLoss } from './distillation.ts';
import { softmaxCrossEntropy } from './loss.ts';
import type { Optimizer } from './optimizers/index.ts';

/** One batch as the model sees it; the caller owns (and disposes) the tensors. */
export interface Batch {
  /** [B, N, C] points or [B, H, W, 1] images. */
  inputs: tf.Tensor;
  /** [B] class labels or [B, N] per-point labels, int32. */
  targets: tf.Tensor;
  /** [B] object categories (part segmentation). */
  categories?: tf.Tensor1D;
}

export interface TrainerOptions {
  optimizer: Optimizer;
  /** Learning rate for a global step (schedules are functions of the step). */
  learningRate: (step: number) => number;
  labelSmoothing?: number;
  /** Clip gradients to this global L2 norm (none when undefined). */
  clipNorm?: number;
  /** Called after each optimizer update, e.g. by pruning schedules that update masks. */
  afterUpdate?: (step: number) => void;
  /** Knowledge distillation from a trained model (src/train/distillation.ts). */
  distill?: { teacher: Model; weight: number; temperature: number };
}

export interface StepResult {
  loss: number;
  correct: number;
  count: number;
}

/** Loss and gradients of one batch (or shard), before any update. */
export interface GradientResult extends StepResult {
  /** Gradient per trainable parameter path; the caller disposes them. */
  gradients: Map<string, tf.Tensor>;
}

/**
 * Computes gradients and applies updates: forward in train mode, loss (cross-entropy with label
 * smoothing plus the model's auxiliary terms), gradients of the trainable parameters, clipping,
 * the optimizer update, and re-masking so pruned weights stay exactly zero. No tensor survives a
 * step except the parameters and the optimizer's state, so memory stays flat.
 */
export class Trainer {
  /** Number of updates done so far (the global step). */
  step = 0;
  private lastFiniteLoss: number | null = null;
  readonly trainable: Parameter[];

  constructor(
    readonly model: Model,
    private readonly options: TrainerOptions,
  ) {
    this.trainable = model.trainableParameters();
  }

  /** One full update on one batch. */
  trainStep(batch: Batch): StepResult {
    const { gradients, ...result } = this.computeGradients(batch);
    this.applyGradients(gradients, result.loss);
    return result;
  }

  /**
   * `lossScale` multiplies the loss before differentiating: a data-parallel shard of b of the
   * batch's B samples uses b/B, so its gradients are its share of the whole batch's and add up.
   */
  computeGradients(batch: Batch, options: { lossScale?: number } = {}): GradientResult {
    const lossScale = options.lossScale ?? 1;
    this.model.train();
    const variables = this.trainable.map((p) => p.variable);
    const pathOf = new Map(this.trainable.map((p) => [p.variable.name, p.path]));
    // argMax of the logits, kept out of the gradient scope for the accuracy count
    const held: { predictions?: tf.Tensor } = {};
    const distill = this.options.distill;
    // The teacher's logits are computed before the tape, so they are constants to it.
    const teacherLogits = distill ? tf.tidy(() => distill.teacher.eval().forward({ inputs: batch.inputs, categories: batch.categories }).logits) : null;
    const { value, grads } = tf.variableGrads(() => {
      const output = this.model.forward({ inputs: batch.inputs, categories: batch.categories });
      held.predictions = tf.keep(tf.argMax(output.logits, -1));
      let loss = softmaxCrossEntropy(output.logits, batch.targets, this.options.labelSmoothing ?? 0);
      if (distill && teacherLogits) {
        const soft = distillationLoss(output.logits, teacherLogits, distill.temperature);
        loss = tf.add(tf.mul(loss, 1 - distill.weight), tf.mul(soft, distill.weight)) as tf.Scalar;
      }
      const total = output.auxiliaryLoss ? (tf.add(loss, output.auxiliaryLoss) as tf.Scalar) : loss;
      return lossScale === 1 ? total : (tf.mul(total, lossScale) as tf.Scalar);
    }, variables);
    teacherLogits?.dispose();
    const loss = value.dataSync()[0]!;
    value.dispose();
    const predictions = held.predictions!;
    const correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(predictions, tf.cast(batch.targets, 'int32')), 'int32')).dataSync()[0]!);
    predictions.dispose();
    const gradients = new Map<string, tf.Tensor>();
    for (const [name, grad] of Object.entries(grads)) gradients.set(pathOf.get(name)!, grad);
    return { loss, correct, count: batch.targets.size, gradients };
  }

  /** Clips, updates and re-masks; disposes the gradients. `loss` is checked for NaN/Inf first. */
  applyGradients(gradients: Map<string, tf.Tensor>, loss: number): void {
    if (!Number.isFinite(loss)) {
      for (const g of gradients.values()) g.dispose();
      throw new TrainingError(
        `loss became ${loss} at step ${this.step + 1}; last finite loss: ${this.lastFiniteLoss ?? 'none (first step)'}`,
      );
    }
    tf.tidy(() => {
      let used = gradients;
      if (this.options.clipNorm !== undefined) used = clipByGlobalNorm(gradients, this.options.clipNorm).gradients;
      this.options.optimizer.step(this.trainable, used, this.options.learningRate(this.step));
    });
    for (const g of gradients.values()) g.dispose();
    this.step++;
    this.lastFiniteLoss = loss;
    this.reapplyMasks();
    this.options.afterUpdate?.(this.step);
  }

  /** Logits in evaluation mode (running BatchNorm statistics, no dropout). */
  predict(batch: Pick<Batch, 'inputs' | 'categories'>): tf.Tensor {
    this.model.eval();
    return tf.tidy(() => this.model.forward({ inputs: batch.inputs, categories: batch.categories }).logits);
  }

  /** Optimizers may move masked weights (momentum, decay); the mask puts them back to zero. */
  private reapplyMasks(): void {
    for (const [, layer] of this.model.weightLayers()) {
      const mask = layer.mask;
      if (mask) tf.tidy(() => layer.weight.assign(tf.mul(layer.weight.variable, mask.variable)));
    }
  }
}
