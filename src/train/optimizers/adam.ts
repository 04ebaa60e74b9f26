import * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from '../../nn/parameter.ts';
import type { ResolvedAdamConfig } from './config.ts';
import type { Optimizer, OptimizerState } from './optimizer.ts';
import { SlotStore, parametersWithGradients } from './slots.ts';

/**
 * Adam (Kingma & Ba 2015), per parameter θ with gradient g at its t-th update:
 *
 *   g ← g + wd·θ                       (L2 weight decay, when not decoupled)
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   θ ← θ − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)  [− lr·wd·θ  when decoupled: AdamW]
 *
 * t counts each parameter's own updates, so a parameter that skips steps (no gradient) gets the
 * bias correction of its own history — as in PyTorch.
 */
export class Adam implements Optimizer {
  readonly name: string;
  private readonly slots: SlotStore;

  constructor(private readonly config: ResolvedAdamConfig) {
    this.name = config.decoupled ? 'adamw' : 'adam';
    this.slots = new SlotStore(this.name, ['m', 'v']);
  }

  step(params: Parameter[], grads: Map<string, tf.Tensor>, learningRate: number): void {
    const { beta1, beta2, epsilon, weightDecay, decoupled } = this.config;
    for (const [parameter, grad] of parametersWithGradients(params, grads)) {
      const m = this.slots.slot(parameter, 'm');
      const v = this.slots.slot(parameter, 'v');
      const t = this.slots.scalar(parameter, 'step') + 1;
      const biasCorrection1 = 1 - beta1 ** t;
      const biasCorrection2 = 1 - beta2 ** t;
      tf.tidy(() => {
        const theta = parameter.variable;
        const g = weightDecay > 0 && !decoupled ? tf.add(grad, tf.mul(theta, weightDecay)) : grad;
        const newM = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const newV = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const denominator = tf.add(tf.div(tf.sqrt(newV), Math.sqrt(biasCorrection2)), epsilon);
        let update = tf.mul(tf.div(newM, denominator), learningRate / biasCorrection1);
        if (weightDecay > 0 && decoupled) update = tf.add(update, tf.mul(theta, learningRate * weightDecay));
        m.assign(newM);
        v.assign(newV);
        parameter.assign(tf.sub(theta, update));
      });
      this.slots.setScalar(parameter, 'step', t);
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
