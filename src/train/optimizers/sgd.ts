import * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from '../../nn/parameter.ts';
import type { ResolvedSgdConfig } from './config.ts';
import type { Optimizer, OptimizerState } from './optimizer.ts';
import { SlotStore, parametersWithGradients } from './slots.ts';

/**
 * SGD with momentum, PyTorch's formulation (no dampening):
 *
 *   g ← g + wd·θ
 *   b ← μ·b + g                        (b starts at 0, so the first b is g)
 *   θ ← θ − lr·(g + μ·b)   Nesterov,   θ ← θ − lr·b   otherwise
 *
 * With μ = 0 no velocity is kept and this is plain SGD.
 */
export class Sgd implements Optimizer {
  readonly name = 'sgd';
  private readonly slots = new SlotStore('sgd', ['velocity']);

  constructor(private readonly config: ResolvedSgdConfig) {}

  step(params: Parameter[], grads: Map<string, tf.Tensor>, learningRate: number): void {
    const { momentum, nesterov, weightDecay } = this.config;
    for (const [parameter, grad] of parametersWithGradients(params, grads)) {
      const velocity = momentum > 0 ? this.slots.slot(parameter, 'velocity') : null;
      tf.tidy(() => {
        const theta = parameter.variable;
        const g = weightDecay > 0 ? tf.add(grad, tf.mul(theta, weightDecay)) : grad;
        let direction = g;
        if (velocity) {
          const newVelocity = tf.add(tf.mul(velocity, momentum), g);
          velocity.assign(newVelocity);
          direction = nesterov ? tf.add(g, tf.mul(newVelocity, momentum)) : newVelocity;
        }
        parameter.assign(tf.sub(theta, tf.mul(direction, learningRate)));
      });
    }
  }

  getState(): OptimizerState {
    return this.slots.getState();
  }

  setState(state: OptimizerState): void {
    this.slots.setState(state);
  }

  dispose(): void {
    this.slots.dispose();
  }
}
