/**
 * Knowledge distillation (Hinton et al. 2015) from a trained run, the teacher, to the run being
 * trained: the loss becomes
 *
 *   (1 − w) · CE(y, z_s) + w · T² · KL(softmax(z_t / T) ‖ softmax(z_s / T))
 *
 * per labelled position, averaged. w = 1 and T = 1 (the defaults) is ReActNet's distributional
 * loss for binary networks: the student matches the full-precision teacher's class distribution
 * and never sees the labels. T² keeps the gradient's size independent of T. The teacher runs in
 * evaluation mode (running BatchNorm statistics, no dropout) on the same augmented batch.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../data/datasets/dataset.ts';
import type { Model } from '../models/model.ts';
import { ConfigError } from '../util/errors.ts';
import type { DistillConfig } from './run-config.ts';
import { loadRunModel } from './run-model.ts';

/**
 * T² · KL(softmax(teacher/T) ‖ softmax(student/T)), averaged over positions ([B, K] or [B, N, K]
 * logits). Zero when the two agree. Pass the teacher's logits as a constant (computed outside
 * the gradient tape), so that only the student learns.
 */
export function distillationLoss(student: tf.Tensor, teacher: tf.Tensor, temperature: number): tf.Scalar {
  if (student.shape.join() !== teacher.shape.join()) {
    throw new RangeError(`student logits [${student.shape}] and teacher logits [${teacher.shape}] differ`);
  }
  return tf.tidy(() => {
    const classes = student.shape[student.rank - 1]!;
    const target = tf.logSoftmax(tf.reshape(tf.div(teacher, temperature), [-1, classes]));
    const logStudent = tf.logSoftmax(tf.reshape(tf.div(student, temperature), [-1, classes]));
    const perPosition = tf.sum(tf.mul(tf.exp(target), tf.sub(target, logStudent)), -1);
    return tf.mul(tf.mean(perPosition), temperature * temperature) as tf.Scalar;
  });
}

/**
 * The teacher of `config` for a run on `dataset`: its classes (or parts) must be the data set's,
 * in the same order, or its logits mean something else. Errors name the teacher's folder.
 */
export async function loadTeacher(config: DistillConfig, dataset: Dataset): Promise<Model> {
  if (!existsSync(config.run)) throw new ConfigError('distill.run', `teacher run folder ${config.run} does not exist`);
  const { model, card } = await loadRunModel(config.run, config.checkpoint);
  const expected = dataset.task === 'segmentation' ? JSON.stringify(dataset.partTable) : JSON.stringify(dataset.classNames);
  const actual = card.task === 'segmentation' ? JSON.stringify(card.partTable) : JSON.stringify(card.classNames);
  if (card.task !== dataset.task || actual !== expected) {
    model.dispose();
    throw new ConfigError('distill.run', `teacher ${config.run} was trained for other ${dataset.task === 'segmentation' ? 'parts' : 'classes'} than this run's data set`);
  }
  return model;
}
