import * as tf from '@tensorflow/tfjs-core';
import type { ModelOptions } from '../../models/registry.ts';
import type { DistillConfig } from '../run-config.ts';

/** A tensor as plain data, for postMessage between threads. */
export interface TensorData {
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

/** How to build a model replica identical to the main one (same registry name, options, seed). */
export interface ReplicaSpec {
  model: string;
  /** Registry options except the random stream, which comes from `seed`. */
  modelOptions: Omit<ModelOptions, 'rng'>;
  /** Compression policy as given to `bitpoint train --compress` (name, file or object). */
  compress?: unknown;
  seed: number;
  backend: 'wasm' | 'cpu' | 'node' | 'node-gpu';
  labelSmoothing?: number;
  /** Knowledge distillation: every replica loads the teacher run itself. */
  distill?: DistillConfig;
  /** Index of this replica (0 is the main thread): its slot in the shared gather. */
  replica: number;
}

/** Where a replica's shard sits in the whole batch, for BatchNorm and dropout (nn/ops/replica-group.ts). */
export interface ShardPlace {
  offset: number;
  total: number;
  /** Replicas with a non-empty shard this step (the first ones). */
  parties: number;
}

export type ToWorker =
  | {
      type: 'init';
      spec: ReplicaSpec;
      /** Shared memory of the replicas' all-gather (shared-gather.ts), and how many replicas use it. */
      gather: SharedArrayBuffer;
      replicas: number;
    }
  | {
      type: 'step';
      /** Global step, for the dropout streams. */
      step: number;
      shard: ShardPlace;
      /** Every parameter (trainable and state) in `namedParameters()` order. */
      parameters: Float32Array[];
      inputs: TensorData;
      targets: TensorData;
      categories?: TensorData;
    }
  | {
      type: 'predict';
      parameters: Float32Array[];
      inputs: TensorData;
      categories?: TensorData;
    }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; parameterPaths: string[]; backend: string }
  | {
      type: 'gradients';
      loss: number;
      correct: number;
      count: number;
      /** This shard's share of the whole batch's gradients of the trainable parameters, by path. */
      gradients: Array<[string, Float32Array]>;
    }
  | { type: 'logits'; logits: TensorData }
  | { type: 'error'; message: string };

export function toTensorData(t: tf.Tensor): TensorData {
  const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
  return { shape: t.shape, dtype, data: t.dataSync() as Float32Array | Int32Array };
}

export function fromTensorData(d: TensorData): tf.Tensor {
  return tf.tensor(d.data, d.shape, d.dtype);
}
