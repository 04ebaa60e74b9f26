import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { Parameter } from '../../src/nn/parameter.ts';
import { createOptimizer, parseOptimizerConfig, type OptimizerConfig } from '../../src/train/optimizers/index.ts';
import { ConfigError } from '../../src/util/errors.ts';

beforeAll(async () => {
  await useBackend('cpu');
});

const created: Array<{ dispose(): void }> = [];
afterEach(() => {
  for (const item of created.splice(0)) item.dispose();
});

function parameter(path: string, values: number[], trainable = true): Parameter {
  const initial = tf.tensor1d(values);
  const p = new Parameter(path, initial, trainable);
  initial.dispose();
  created.push(p);
  return p;
}

function optimizer(config: OptimizerConfig) {
  const result = createOptimizer(config);
  created.push(result);
  return result;
}

/** Runs `steps` updates with the gradient sequence `gradientAt(t)` and returns the final values. */
function run(config: OptimizerConfig, start: number[], gradientAt: (t: number) => number[], steps: number, lr: number): number[] {
  const p = parameter('w', start);
  const opt = optimizer(config);
  for (let t = 0; t < steps; t++) {
    const grad = tf.tensor1d(gradientAt(t));
    opt.step([p], new Map([['w', grad]]), lr);
    grad.dispose();
  }
  return Array.from(p.variable.dataSync());
}

const START = [1.0, -2.0, 0.5];
const gradients = (t: number): number[] => [0.3 - 0.1 * t, 1.5 + 0.2 * t, -0.05 * (t + 1)];

/** The same updates in float64, written out from the papers' formulas. */
function referenceAdam(options: { beta1: number; beta2: number; epsilon: number; weightDecay: number; decoupled: boolean }, steps: number, lr: number): number[] {
  const theta = [...START];
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  for (let t = 1; t <= steps; t++) {
    const grad = gradients(t - 1);
    for (let i = 0; i < theta.length; i++) {
      let g = grad[i]!;
      if (!options.decoupled) g += options.weightDecay * theta[i]!;
      m[i] = options.beta1 * m[i]! + (1 - options.beta1) * g;
      v[i] = options.beta2 * v[i]! + (1 - options.beta2) * g * g;
      const mHat = m[i]! / (1 - options.beta1 ** t);
      const vHat = v[i]! / (1 - options.beta2 ** t);
      const decay = options.decoupled ? lr * options.weightDecay * theta[i]! : 0;
      theta[i] = theta[i]! - (lr * mHat) / (Math.sqrt(vHat) + options.epsilon) - decay;
    }
  }
  return theta;
}

function referenceSgd(options: { momentum: number; nesterov: boolean; weightDecay: number }, steps: number, lr: number): number[] {
  const theta = [...START];
  const velocity = [0, 0, 0];
  for (let t = 0; t < steps; t++) {
    const grad = gradients(t);
    for (let i = 0; i < theta.length; i++) {
      const g = grad[i]! + options.weightDecay * theta[i]!;
      velocity[i] = options.momentum * velocity[i]! + g;
      const direction = options.nesterov ? g + options.momentum * velocity[i]! : velocity[i]!;
      theta[i] = theta[i]! - lr * direction;
    }
  }
  return theta;
}

function expectClose(actual: number[], expected: number[], tolerance = 2e-6): void {
  expect(actual).toHaveLength(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(tolerance);
}

describe('Adam', () => {
  const defaults = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false };

  it('first step moves every weight by lr against the gradient sign', () => {
    // m̂ = g and v̂ = g² after one step, so the update is lr·g/|g|.
    expectClose(run({ name: 'adam' }, START, gradients, 1, 0.01), [0.99, -2.01, 0.51]);
  });

  it('matches hand-computed updates over 5 steps', () => {
    expectClose(run({ name: 'adam' }, START, gradients, 5, 0.01), referenceAdam(defaults, 5, 0.01));
  });

  it('with other betas and a large epsilon', () => {
    const options = { ...defaults, beta1: 0.5, beta2: 0.9, epsilon: 0.1 };
    expectClose(run({ name: 'adam', beta1: 0.5, beta2: 0.9, epsilon: 0.1 }, START, gradients, 4, 0.05), referenceAdam(options, 4, 0.05));
  });

  it('L2 weight decay goes into the gradient', () => {
    const options = { ...defaults, weightDecay: 0.1 };
    expectClose(run({ name: 'adam', weightDecay: 0.1 }, START, gradients, 5, 0.01), referenceAdam(options, 5, 0.01));
  });

  it('decoupled weight decay (AdamW) shrinks the weight beside the Adam step', () => {
    const options = { ...defaults, weightDecay: 0.1, decoupled: true };
    const expected = referenceAdam(options, 5, 0.01);
    expectClose(run({ name: 'adam', weightDecay: 0.1, decoupled: true }, START, gradients, 5, 0.01), expected);
    expectClose(run({ name: 'adamw', weightDecay: 0.1 }, START, gradients, 5, 0.01), expected);
    // and it differs from the L2 form
    const l2 = referenceAdam({ ...options, decoupled: false }, 5, 0.01);
    expect(Math.abs(expected[1]! - l2[1]!)).toBeGreaterThan(1e-3);
  });
});

describe('SGD', () => {
  it('plain SGD: θ − lr·g', () => {
    expectClose(run({ name: 'sgd', momentum: 0 }, START, gradients, 1, 0.1), [0.97, -2.15, 0.505]);
    expectClose(run({ name: 'sgd', momentum: 0 }, START, gradients, 3, 0.1), referenceSgd({ momentum: 0, nesterov: false, weightDecay: 0 }, 3, 0.1));
  });

  it('momentum matches hand-computed updates', () => {
    const expected = referenceSgd({ momentum: 0.9, nesterov: false, weightDecay: 0 }, 5, 0.1);
    expectClose(run({ name: 'sgd', momentum: 0.9 }, START, gradients, 5, 0.1), expected);
  });

  it('Nesterov momentum with weight decay', () => {
    const expected = referenceSgd({ momentum: 0.8, nesterov: true, weightDecay: 0.05 }, 5, 0.1);
    expectClose(run({ name: 'sgd', momentum: 0.8, nesterov: true, weightDecay: 0.05 }, START, gradients, 5, 0.1), expected);
  });

  it('defaults to momentum 0.9', () => {
    expect(parseOptimizerConfig({ name: 'sgd' })).toEqual({ name: 'sgd', momentum: 0.9, nesterov: false, weightDecay: 0 });
  });
});

describe('every optimizer', () => {
  const configs: OptimizerConfig[] = [{ name: 'adam', weightDecay: 0.01 }, { name: 'adamw' }, { name: 'sgd', nesterov: true, weightDecay: 1e-4 }];

  for (const config of configs) {
    it(`${config.name}: leaves parameters without a gradient, or not trainable, alone`, () => {
      const updated = parameter('a', [1, 2]);
      const noGradient = parameter('b', [3, 4]);
      const frozen = parameter('c', [5, 6], false);
      const opt = optimizer(config);
      const grads = new Map([
        ['a', tf.tensor1d([1, 1])],
        ['c', tf.tensor1d([1, 1])],
      ]);
      opt.step([updated, noGradient, frozen], grads, 0.1);
      for (const grad of grads.values()) grad.dispose();
      expect(Array.from(updated.variable.dataSync()).every((value, i) => value < [1, 2][i]!)).toBe(true);
      expect(Array.from(noGradient.variable.dataSync())).toEqual([3, 4]);
      expect(Array.from(frozen.variable.dataSync())).toEqual([5, 6]);
      expect([...opt.getState().parameters.keys()]).toEqual(['a']);
    });

    it(`${config.name}: allocates nothing per step (20 steps, constant tensor count)`, () => {
      const params = [parameter('x', [1, 2, 3]), parameter('y', [4, 5])];
      const grads = new Map([
        ['x', tf.tensor1d([0.1, -0.2, 0.3])],
        ['y', tf.tensor1d([0.5, 0.5])],
      ]);
      const opt = optimizer(config);
      opt.step(params, grads, 0.01); // creates the state
      const tensorsAfterFirstStep = tf.memory().numTensors;
      for (let i = 0; i < 20; i++) opt.step(params, grads, 0.01);
      expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep);
      for (const grad of grads.values()) grad.dispose();
    });

    it(`${config.name}: a restored state continues exactly like an uninterrupted run`, () => {
      const uninterrupted = run(config, START, gradients, 6, 0.05);

      const p = parameter('w', START);
      const first = optimizer(config);
      const stepWith = (opt: ReturnType<typeof createOptimizer>, t: number): void => {
        const grad = tf.tensor1d(gradients(t));
        opt.step([p], new Map([['w', grad]]), 0.05);
        grad.dispose();
      };
      for (let t = 0; t < 3; t++) stepWith(first, t);
      const saved = first.getState();
      stepWith(first, 3); // the saved state must be a snapshot, unaffected by later steps
      tf.tidy(() => p.assign(tf.tensor1d(run(config, START, gradients, 3, 0.05))));

      const second = optimizer(config);
      second.setState(saved);
      for (let t = 3; t < 6; t++) stepWith(second, t);
      expectClose(Array.from(p.variable.dataSync()), uninterrupted, 1e-7);
    });
  }

  it('state records counters and moment arrays by parameter path', () => {
    const p = parameter('encoder.mlp.0.weight', [1, 2]);
    const opt = optimizer({ name: 'adam' });
    const grad = tf.tensor1d([0.5, -1]);
    opt.step([p], new Map([['encoder.mlp.0.weight', grad]]), 0.1);
    opt.step([p], new Map([['encoder.mlp.0.weight', grad]]), 0.1);
    grad.dispose();
    const state = opt.getState();
    expect(state.name).toBe('adam');
    const entry = state.parameters.get('encoder.mlp.0.weight')!;
    expect(entry.scalars).toEqual({ step: 2 });
    expect(entry.slots['m']!.shape).toEqual([2]);
    // m after two equal gradients: (1 − 0.9²)·g
    expectClose(Array.from(entry.slots['m']!.data), [0.19 * 0.5, 0.19 * -1]);
    expectClose(Array.from(entry.slots['v']!.data), [(1 - 0.999 ** 2) * 0.25, (1 - 0.999 ** 2) * 1], 1e-9);
  });

  it('refuses state written by another optimizer', () => {
    const adam = optimizer({ name: 'adam' });
    const sgd = optimizer({ name: 'sgd' });
    expect(() => sgd.setState(adam.getState())).toThrow(/belongs to 'adam', not 'sgd'/);
  });

  it('rejects a gradient of the wrong shape', () => {
    const p = parameter('w', [1, 2]);
    const grad = tf.tensor1d([1, 2, 3]);
    expect(() => optimizer({ name: 'sgd' }).step([p], new Map([['w', grad]]), 0.1)).toThrow(/gradient of w has shape \[3\]/);
    grad.dispose();
  });
});

describe('optimizer config', () => {
  function pathOf(config: unknown): string {
    try {
      createOptimizer(config as OptimizerConfig, 'train.optimizer');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).path;
    }
    throw new Error(`expected ${JSON.stringify(config)} to be rejected`);
  }

  it('fills defaults', () => {
    expect(parseOptimizerConfig({ name: 'adam' })).toEqual({ name: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false });
    expect(parseOptimizerConfig({ name: 'adamw' })).toEqual({ name: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01, decoupled: true });
  });

  it('names the key path of a bad value', () => {
    expect(pathOf({ name: 'rmsprop' })).toBe('train.optimizer.name');
    expect(pathOf('adam')).toBe('train.optimizer');
    expect(pathOf({ name: 'adam', beta2: 1 })).toBe('train.optimizer.beta2');
    expect(pathOf({ name: 'adam', epsilon: 0 })).toBe('train.optimizer.epsilon');
    expect(pathOf({ name: 'adam', momentum: 0.9 })).toBe('train.optimizer.momentum');
    expect(pathOf({ name: 'adamw', decoupled: false })).toBe('train.optimizer.decoupled');
    expect(pathOf({ name: 'sgd', weightDecay: -1 })).toBe('train.optimizer.weightDecay');
    expect(pathOf({ name: 'sgd', nesterov: 'yes' })).toBe('train.optimizer.nesterov');
    expect(pathOf({ name: 'sgd', momentum: 0, nesterov: true })).toBe('train.optimizer.nesterov');
  });
});
