import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { distillationLoss } from '../../src/train/distillation.ts';
import { softmaxCrossEntropy } from '../../src/train/loss.ts';
import { createOptimizer } from '../../src/train/optimizers/index.ts';
import { DataParallel } from '../../src/train/parallel/data-parallel.ts';
import { buildReplicaModel } from '../../src/train/parallel/replica.ts';
import { parseRunConfig } from '../../src/train/run-config.ts';
import { loadRunModel } from '../../src/train/run-model.ts';
import { runTraining } from '../../src/train/run.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { ConfigError } from '../../src/util/errors.ts';

const scalar = (t: tf.Tensor) => t.dataSync()[0]!;

describe('knowledge distillation', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('is T²·KL(teacher ‖ student) on softened distributions, with the gradient T·(p_s − p_t)', () => {
    const student = tf.tensor2d([[0, 0]]);
    const teacher = tf.tensor2d([[Math.log(3), 0]]);
    // p_t = (3/4, 1/4), p_s = (1/2, 1/2): 3/4·ln(3/2) + 1/4·ln(1/2)
    expect(scalar(distillationLoss(student, teacher, 1))).toBeCloseTo(0.130812, 5);
    // T = 2: p_t ∝ (√3, 1); times T² = 4
    expect(scalar(distillationLoss(student, teacher, 2))).toBeCloseTo(0.145363, 5);
    const grad = tf.grad((s: tf.Tensor) => distillationLoss(s, teacher, 2))(student).dataSync();
    const pt = Math.sqrt(3) / (Math.sqrt(3) + 1);
    expect(grad[0]).toBeCloseTo(2 * (0.5 - pt), 5);
    expect(grad[1]).toBeCloseTo(2 * (pt - 0.5), 5);
    // agreeing logits cost nothing; per-point logits [B, N, K] average over every position
    expect(scalar(distillationLoss(teacher, teacher, 1))).toBeCloseTo(0, 6);
    const perPoint = distillationLoss(tf.tensor3d([[[0, 0], [1, 1]]]), tf.tensor3d([[[Math.log(3), 0], [1, 1]]]), 1);
    expect(scalar(perPoint)).toBeCloseTo(0.130812 / 2, 5);
    expect(() => distillationLoss(tf.zeros([2, 3]), tf.zeros([2, 4]), 1)).toThrow(/differ/);
  });

  it('reads `distill` as a folder (with :best or :last) or an object, and names a bad key', () => {
    const base = { model: 'pointnet-vanilla' };
    expect(parseRunConfig({ ...base, distill: 'runs/fp:last' }).distill).toEqual({ run: 'runs/fp', checkpoint: 'last', weight: 1, temperature: 1 });
    expect(parseRunConfig({ ...base, distill: { run: 'runs/fp', weight: 0.5, temperature: 4 } }).distill).toEqual({ run: 'runs/fp', checkpoint: 'best', weight: 0.5, temperature: 4 });
    expect(() => parseRunConfig({ ...base, distill: { run: 'runs/fp', weight: 0 } })).toThrow(/distill\.weight/);
    expect(() => parseRunConfig({ ...base, distill: { run: 'runs/fp', temprature: 2 } })).toThrow(/distill\.temprature/);
    // absent by default, so the hashes of configs without it do not change
    expect('distill' in parseRunConfig(base)).toBe(false);
  });

  it('the trainer loss is (1 − w)·CE + w·T²·KL with the teacher in evaluation mode', () => {
    const spec = { model: 'pointnet-vanilla', modelOptions: { numClasses: 4, dropout: 0 }, backend: 'wasm' as const, replica: 0 };
    const student = buildReplicaModel({ ...spec, seed: 1 });
    const teacher = buildReplicaModel({ ...spec, seed: 2 });
    const batch = { inputs: tf.randomNormal([3, 32, 3], 0, 1, 'float32', 5), targets: tf.tensor1d([0, 3, 1], 'int32') };
    const trainer = new Trainer(student, { optimizer: createOptimizer({ name: 'adam' }), learningRate: () => 1e-3, distill: { teacher, weight: 0.25, temperature: 3 } });
    const result = trainer.computeGradients(batch);
    tf.dispose([...result.gradients.values()]);
    const expected = tf.tidy(() => {
      const studentLogits = student.train().forward({ inputs: batch.inputs }).logits;
      const teacherLogits = teacher.eval().forward({ inputs: batch.inputs }).logits;
      const ce = scalar(softmaxCrossEntropy(studentLogits, batch.targets));
      return 0.75 * ce + 0.25 * scalar(distillationLoss(studentLogits, teacherLogits, 3));
    });
    expect(result.loss).toBeCloseTo(expected, 4);
  });

  it('trains a run from a teacher run, in the workers too, and refuses a teacher of other classes', async () => {
    const work = mkdtempSync(join(tmpdir(), 'bitpoint-distill-'));
    const data = join(work, 'ModelNet-tiny');
    cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true });
    const common = { model: 'pointnet-vanilla', dataset: data, points: 64, batchSize: 2, epochs: 1, workers: 0, backend: 'wasm', modelOptions: { dropout: 0 } };
    const teacherDir = join(work, 'teacher');
    await runTraining(parseRunConfig({ ...common, seed: 1 }), { outDir: teacherDir, log: () => {} });

    const logged: string[] = [];
    const studentDir = join(work, 'student');
    const config = parseRunConfig({ ...common, seed: 2, workers: 1, compress: 'bipointnet', distill: { run: teacherDir, weight: 0.5, temperature: 2 } });
    const result = await runTraining(config, { outDir: studentDir, log: (line) => logged.push(line) });
    expect(logged).toContain(`distill: teacher ${teacherDir} (best), weight 0.5, temperature 2`);
    expect(result.status).toBe('completed');
    expect(JSON.parse(readFileSync(join(studentDir, 'config.json'), 'utf8')).distill).toEqual({ run: teacherDir, checkpoint: 'best', weight: 0.5, temperature: 2 });

    // A worker loads the teacher itself: its shard's loss is the distillation loss as well.
    const { card } = await loadRunModel(studentDir);
    const spec = { ...card.spec, distill: { run: teacherDir, checkpoint: 'best' as const, weight: 1, temperature: 1 } };
    const main = buildReplicaModel({ ...spec, replica: 0 });
    const teacher = (await loadRunModel(teacherDir)).model;
    const trainer = new Trainer(main, { optimizer: createOptimizer({ name: 'adam' }), learningRate: () => 1e-3, distill: { teacher, weight: 1, temperature: 1 } });
    const parallel = await DataParallel.start(spec, 1, main.parameters());
    try {
      const batch = { inputs: tf.randomNormal([4, 64, 3], 0, 1, 'float32', 9), targets: tf.tensor1d([0, 1, 0, 1], 'int32') };
      const state = main.parameters().filter((p) => !p.trainable).map((p) => (p.variable.dataSync() as Float32Array).slice());
      const combined = await parallel.computeGradients(trainer, batch);
      main.parameters().filter((p) => !p.trainable).forEach((p, i) => p.assign(tf.tensor(state[i]!, p.shape)));
      const first = trainer.computeGradients({ inputs: tf.slice(batch.inputs, 0, 2), targets: tf.slice(batch.targets, 0, 2) });
      const second = trainer.computeGradients({ inputs: tf.slice(batch.inputs, 2, 2), targets: tf.slice(batch.targets, 2, 2) });
      expect(combined.loss).toBeCloseTo((first.loss + second.loss) / 2, 4);
      tf.dispose([...combined.gradients.values(), ...first.gradients.values(), ...second.gradients.values()]);
    } finally {
      await parallel.close();
    }

    // A teacher whose classes differ from the data set's
    const otherDir = join(work, 'other-teacher');
    cpSync(teacherDir, otherDir, { recursive: true });
    const otherCard = JSON.parse(readFileSync(join(otherDir, 'model.json'), 'utf8'));
    otherCard.classNames = [...otherCard.classNames].reverse();
    writeFileSync(join(otherDir, 'model.json'), JSON.stringify(otherCard));
    const run = (teacherRun: string, out: string) => runTraining(parseRunConfig({ ...common, distill: teacherRun }), { outDir: join(work, out), log: () => {} });
    await expect(run(otherDir, 'refused')).rejects.toThrow(ConfigError);
    await expect(run(otherDir, 'refused-2')).rejects.toThrow(`teacher ${otherDir} was trained for other classes`);
    await expect(run(join(work, 'nowhere'), 'refused-3')).rejects.toThrow(/teacher run folder .*nowhere does not exist/);
  });
});
