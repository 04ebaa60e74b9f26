import * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from '../../nn/parameter.ts';
import { ConfigError } from '../../util/errors.ts';
import type { OptimizerState, ParameterOptimizerState } from './optimizer.ts';

/**
 * Per-parameter optimizer state, created lazily the first time a parameter gets a gradient:
 * named tensors ("slots", as TensorFlow calls them) held as tf variables and updated with
 * `assign`, plus plain-number counters. Shared by every optimizer, so saving and restoring state
 * is written once.
 */
export class SlotStore {
  private readonly tensors = new Map<string, Map<string, tf.Variable>>();
  private readonly scalars = new Map<string, Record<string, number>>();

  constructor(
    private readonly optimizerName: string,
    private readonly slotNames: readonly string[],
  ) {}

  /** The parameter's slot `name`, zeros of the parameter's shape on first use. */
  slot(parameter: Parameter, name: string): tf.Variable {
    let slots = this.tensors.get(parameter.path);
    if (!slots) {
      slots = new Map();
      this.tensors.set(parameter.path, slots);
    }
    let variable = slots.get(name);
    if (!variable) {
      const zeros = tf.zeros(parameter.shape, 'float32');
      variable = tf.variable(zeros, false);
      zeros.dispose();
      slots.set(name, variable);
    } else if (variable.shape.join() !== parameter.shape.join()) {
      throw new RangeError(
        `${this.optimizerName} state '${name}' of ${parameter.path} has shape [${variable.shape}], the parameter [${parameter.shape}]`,
      );
    }
    return variable;
  }

  /** A per-parameter counter (0 before the first update). */
  scalar(parameter: Parameter, name: string): number {
    return this.scalars.get(parameter.path)?.[name] ?? 0;
  }

  setScalar(parameter: Parameter, name: string, value: number): void {
    const scalars = this.scalars.get(parameter.path) ?? {};
    scalars[name] = value;
    this.scalars.set(parameter.path, scalars);
  }

  getState(): OptimizerState {
    const parameters = new Map<string, ParameterOptimizerState>();
    const paths = new Set([...this.tensors.keys(), ...this.scalars.keys()]);
    for (const path of paths) {
      const slots: ParameterOptimizerState['slots'] = {};
      // dataSync may hand out the backend's own buffer (cpu does): copy, so the state is a snapshot.
      for (const [name, variable] of this.tensors.get(path) ?? []) {
        slots[name] = { shape: [...variable.shape], data: (variable.dataSync() as Float32Array).slice() };
      }
      parameters.set(path, { scalars: { ...this.scalars.get(path) }, slots });
    }
    return { name: this.optimizerName, parameters };
  }

  setState(state: OptimizerState): void {
    if (state.name !== this.optimizerName) {
      throw new ConfigError('optimizer.name', `the saved optimizer state belongs to '${state.name}', not '${this.optimizerName}'`);
    }
    for (const [path, saved] of state.parameters) {
      for (const [name, values] of Object.entries(saved.slots)) {
        if (!this.slotNames.includes(name)) throw new RangeError(`${this.optimizerName} has no state '${name}' (saved for ${path})`);
        const expected = values.shape.reduce((product, size) => product * size, 1);
        if (values.data.length !== expected) {
          throw new RangeError(`${this.optimizerName} state '${name}' of ${path}: ${values.data.length} values for shape [${values.shape}]`);
        }
      }
    }
    this.dispose();
    for (const [path, saved] of state.parameters) {
      const slots = new Map<string, tf.Variable>();
      for (const [name, values] of Object.entries(saved.slots)) {
        const initial = tf.tensor(values.data, values.shape, 'float32');
        slots.set(name, tf.variable(initial, false));
        initial.dispose();
      }
      this.tensors.set(path, slots);
      this.scalars.set(path, { ...saved.scalars });
    }
  }

  dispose(): void {
    for (const slots of this.tensors.values()) for (const variable of slots.values()) variable.dispose();
    this.tensors.clear();
    this.scalars.clear();
  }
}

/** The parameters that get an update this step, each with its gradient (shape-checked). */
export function parametersWithGradients(params: Parameter[], grads: Map<string, tf.Tensor>): Array<[Parameter, tf.Tensor]> {
  const result: Array<[Parameter, tf.Tensor]> = [];
  for (const parameter of params) {
    const grad = grads.get(parameter.path);
    if (!parameter.trainable || grad === undefined) continue;
    if (grad.shape.join() !== parameter.shape.join()) {
      throw new RangeError(`gradient of ${parameter.path} has shape [${grad.shape}], the parameter [${parameter.shape}]`);
    }
    result.push([parameter, grad]);
  }
  return result;
}
