import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { applyPolicy } from '../../src/compress/policy.ts';
import { captureWeights, disposeWeights, iterativeMagnitudePruning, rewindWeights } from '../../src/compress/prune/lottery.ts';
import {
  maskFromScores,
  maskSparsity,
  pruneChannels,
  pruneGlobalMagnitude,
  pruneUnstructured,
} from '../../src/compress/prune/masks.ts';
import { cubicSparsity, PruningSchedule } from '../../src/compress/prune/schedule.ts';
import { createModel } from '../../src/models/registry.ts';
import { Linear } from '../../src/nn/layers/linear.ts';
import { createOptimizer } from '../../src/train/optimizers/index.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { ConfigError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { values } from './helpers.ts';

function linearWith(weights: number[][]): Linear {
  const layer = new Linear(weights.length, weights[0]!.length, { rng: new Rng(1), bias: false });
  layer.weight.assign(tf.tensor2d(weights));
  return layer;
}

describe('pruning', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('masks prune exactly round(s·n) of the lowest scores, ties by position', () => {
    expect(Array.from(maskFromScores([1, 0, 0, 0, 2], 2))).toEqual([1, 0, 0, 1, 1]);
    expect(Array.from(maskFromScores([3, 1, 2], 0))).toEqual([1, 1, 1]);
    expect(Array.from(maskFromScores([3, 1, 2], 3))).toEqual([0, 0, 0]);
    expect(Array.from(maskFromScores([5, 5, 5, 5], 2))).toEqual([0, 0, 1, 1]);
  });

  it('layer-wise magnitude pruning; masks only grow', () => {
    const layer = linearWith([
      [0.1, -0.9, 0.3],
      [-0.4, 0.5, -0.2],
    ]);
    pruneUnstructured(layer, 0.5, 'magnitude');
    expect(values(layer.mask!.variable)).toEqual([0, 1, 0, 1, 1, 0]);
    expect(values(layer.weight.variable).filter((v) => v === 0)).toHaveLength(3);
    pruneUnstructured(layer, 0.25, 'magnitude'); // lower target: nothing comes back
    expect(maskSparsity(layer)).toBe(0.5);
    pruneUnstructured(layer, 5 / 6, 'magnitude');
    expect(values(layer.mask!.variable)).toEqual([0, 1, 0, 0, 0, 0]);
  });

  it('global magnitude pruning uses one threshold over all layers', () => {
    const a = linearWith([[0.1, 0.2], [0.3, 0.4]]);
    const b = linearWith([[1, 2], [3, 0.05]]);
    pruneGlobalMagnitude([a, b], 0.5);
    expect(values(a.mask!.variable)).toEqual([0, 0, 0, 1]);
    expect(values(b.mask!.variable)).toEqual([1, 1, 1, 0]);
  });

  it('random pruning is seeded and nested', () => {
    const make = () => linearWith([[1, 2, 3, 4], [5, 6, 7, 8]]);
    const a = make();
    const b = make();
    pruneUnstructured(a, 0.5, 'random', new Rng(7));
    pruneUnstructured(b, 0.5, 'random', new Rng(7));
    expect(values(a.mask!.variable)).toEqual(values(b.mask!.variable));
    expect(maskSparsity(a)).toBe(0.5);
    const before = values(a.mask!.variable);
    pruneUnstructured(a, 0.75, 'random', new Rng(8));
    const after = values(a.mask!.variable);
    expect(maskSparsity(a)).toBe(0.75);
    before.forEach((keep, i) => {
      if (keep === 0) expect(after[i]).toBe(0);
    });
  });

  it('structured pruning removes whole output channels by L1 norm', () => {
    const layer = linearWith([
      [0.1, -2, 0.5, 0.0],
      [0.1, 1, -0.6, 0.05],
    ]);
    // channel L1 norms: 0.2, 3, 1.1, 0.05 → at 50% channels 3 and 0 go
    pruneChannels(layer, 0.5);
    expect(values(layer.mask!.variable)).toEqual([0, 1, 1, 0, 0, 1, 1, 0]);
    pruneChannels(layer, 0.75);
    expect(values(layer.mask!.variable)).toEqual([0, 1, 0, 0, 0, 1, 0, 0]);
  });

  it("Zhu & Gupta's cubic schedule", () => {
    const schedule = { initialSparsity: 0, finalSparsity: 0.9, beginStep: 10, endStep: 30, updates: 4 };
    const at = (t: number) => cubicSparsity(t, schedule);
    expect(at(9)).toBe(0);
    expect(at(10)).toBe(0);
    expect(at(14)).toBe(0);
    expect(at(15)).toBeCloseTo(0.9 * (1 - 0.75 ** 3), 12);
    expect(at(20)).toBeCloseTo(0.9 * (1 - 0.5 ** 3), 12);
    expect(at(25)).toBeCloseTo(0.9 * (1 - 0.25 ** 3), 12);
    expect(at(30)).toBe(0.9);
    expect(at(1000)).toBe(0.9);
    expect(cubicSparsity(10, { ...schedule, initialSparsity: 0.2 })).toBeCloseTo(0.2, 12);
  });

  it('PruningSchedule prunes from afterUpdate, needs total steps for fractions', () => {
    const layer = linearWith([
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
    ]);
    const schedule = new PruningSchedule([
      { layers: [['l', layer]], method: 'magnitude', scope: 'layer', sparsity: 0.8, timing: { kind: 'gradual', initialSparsity: 0, begin: 0, end: 0.5, updates: 2 } },
    ]);
    expect(() => schedule.afterUpdate(1)).toThrow(ConfigError);
    schedule.setTotalSteps(20); // steps 0…10, Δt = 5
    expect(schedule.afterUpdate(4)).toBe(false); // s = 0 before the first interval ends
    expect(schedule.afterUpdate(5)).toBe(true); // s = 0.8·(1 − ½³) = 0.7 → 7 of 10
    expect(maskSparsity(layer)).toBe(0.7);
    expect(schedule.afterUpdate(6)).toBe(false);
    schedule.afterUpdate(10);
    expect(maskSparsity(layer)).toBe(0.8);
    expect(values(layer.weight.variable).map(Math.abs)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 9, 10]);
  });

  it('masked weights stay exactly zero through Adam updates', () => {
    const model = createModel('pointnet-vanilla', { rng: new Rng(3), numClasses: 4, dropout: 0 });
    applyPolicy(model, { layers: [{ match: '*', prune: { sparsity: 0.5 } }, { match: 'head.fc1.linear', prune: { method: 'channel', sparsity: 0.25 } }] });
    const trainer = new Trainer(model, { optimizer: createOptimizer({ name: 'adam', weightDecay: 0.01 }), learningRate: () => 0.01 });
    const batch = { inputs: tf.randomNormal([4, 16, 3], 0, 1, 'float32', 1), targets: tf.tensor1d([0, 1, 2, 3], 'int32') };
    for (let i = 0; i < 3; i++) trainer.trainStep(batch);
    for (const [name, layer] of model.weightLayers()) {
      const mask = values(layer.mask!.variable);
      const weights = values(layer.weight.variable);
      const effective = tf.tidy(() => values(layer.effectiveWeight()));
      // the later rule replaces the pruning of fc1: channel pruning at 25%
      expect(mask.filter((m) => m === 0).length / mask.length, name).toBeCloseTo(name === 'head.fc1.linear' ? 0.25 : 0.5, 2);
      // exactly zero (a masked negative weight is −0, which === 0)
      const nonzeroWhereMasked = mask.filter((m, i) => m === 0 && (weights[i] !== 0 || effective[i] !== 0)).length;
      expect(nonzeroWhereMasked, name).toBe(0);
    }
    // a whole pruned output channel of fc1 is zero in every row
    const fc1 = model.weightLayers().find(([name]) => name === 'head.fc1.linear')![1];
    const columns = tf.tidy(() => values(tf.sum(tf.abs(fc1.weight.variable), 0)));
    expect(columns.filter((c) => c === 0).length).toBe(128);
    model.dispose();
  });

  it('capture, prune, rewind: survivors get their captured values back, masks stay', () => {
    const model = createModel('pointnet-vanilla', { rng: new Rng(4), numClasses: 3 });
    const snapshot = captureWeights(model);
    const [name, layer] = model.weightLayers()[2]!;
    const initial = values(snapshot.get(`${name}.weight`)!);
    tf.tidy(() => layer.weight.assign(tf.add(layer.weight.variable, 1))); // "training"
    pruneUnstructured(layer, 0.5, 'magnitude');
    rewindWeights(model, snapshot);
    const mask = values(layer.mask!.variable);
    const rewound = values(layer.weight.variable);
    mask.forEach((m, i) => expect(m === 0 ? Math.abs(rewound[i]!) : rewound[i]).toBe(m === 0 ? 0 : initial[i]));
    expect(snapshot.has(`${name}.mask`)).toBe(false);
    disposeWeights(snapshot);
    model.dispose();
  });

  it('iterative magnitude pruning: 1 − (1 − p)^r sparsity per round, rewinding to a captured step', async () => {
    const model = createModel('pointnet-vanilla', { rng: new Rng(5), numClasses: 3 });
    const [, target] = model.weightLayers()[3]!;
    let capturedValue = 0;
    const result = await iterativeMagnitudePruning(model, {
      rounds: 2,
      pruneFraction: 0.5,
      rewind: 'captured',
      layers: (name) => name.startsWith('encoder2'),
      train: (round, { captureRewindPoint }) => {
        // fake training: shift every weight; capture after the first "step" of round 0
        tf.tidy(() => target.weight.assign(tf.add(target.weight.variable, 0.5)));
        if (round === 0) {
          captureRewindPoint();
          capturedValue = Math.max(...values(target.weight.variable));
        }
        tf.tidy(() => target.weight.assign(tf.add(target.weight.variable, 0.5)));
        return round;
      },
    });
    expect(result.rounds.map((r) => r.sparsity)).toEqual([0, 0.5, 0.75]);
    expect(result.rounds.map((r) => r.result)).toEqual([0, 1, 2]);
    expect(model.weightLayers()[0]![1].mask).toBeNull(); // not selected
    // after the last rewind the survivors were back at the captured values, then shifted by 1
    expect(Math.max(...values(target.weight.variable))).toBeCloseTo(capturedValue + 1, 5);
    await expect(iterativeMagnitudePruning(model, { rounds: 1, rewind: 'captured', train: () => 0 })).rejects.toThrow(/captureRewindPoint/);
    model.dispose();
  });
});
