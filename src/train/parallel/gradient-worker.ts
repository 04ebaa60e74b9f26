import * as tf from '@tensorflow/tfjs-core';
import { parentPort } from 'node:worker_threads';
import { useBackend } from '../../backend/select.ts';
import type { Model } from '../../models/model.ts';
import type { Parameter } from '../../nn/parameter.ts';
import { createOptimizer } from '../optimizers/index.ts';
import { loadRunModel } from '../run-model.ts';
import { reseedStochasticModules } from '../stochastic.ts';
import { Trainer } from '../trainer.ts';
import { fromTensorData, toTensorData, type FromWorker, type ToWorker } from './messages.ts';
import { buildReplicaModel } from './replica.ts';
import { SharedGather } from './shared-gather.ts';
import { inReplicaGroup } from '../../nn/ops/replica-group.ts';

/**
 * A data-parallel replica: receives the current parameters and a shard of the batch, returns the
 * shard's share of the batch's loss and gradients (or, for evaluation, its logits). BatchNorm
 * statistics are exchanged with the other replicas during the step (shared-gather.ts). It never
 * updates weights itself; the main thread owns the optimizer and all state.
 */
const port = parentPort!;
let model: Model | null = null;
let trainer: Trainer | null = null;
let parameters: Parameter[] = [];
let seed = 0;
let replica = 0;
let gatherBuffer: SharedArrayBuffer | null = null;
let replicas = 0;
/** The group of the step in progress, told to fail if the step throws so no replica waits forever. */
let group: SharedGather | null = null;

function reply(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

port.on('message', async (message: ToWorker) => {
  try {
    if (message.type === 'init') {
      const backend = await useBackend(message.spec.backend);
      model = buildReplicaModel(message.spec);
      seed = message.spec.seed;
      replica = message.spec.replica;
      gatherBuffer = message.gather;
      replicas = message.replicas;
      parameters = model.parameters();
      // The optimizer is never used here; Trainer needs one to be constructed.
      const distill = message.spec.distill;
      const teacher = distill ? (await loadRunModel(distill.run, distill.checkpoint)).model : null;
      trainer = new Trainer(model, {
        optimizer: createOptimizer({ name: 'sgd' }),
        learningRate: () => 0,
        labelSmoothing: message.spec.labelSmoothing,
        distill: distill && teacher ? { teacher, weight: distill.weight, temperature: distill.temperature } : undefined,
      });
      reply({ type: 'ready', parameterPaths: model.namedParameters().map(([path]) => path), backend: backend.name });
    } else if (message.type === 'step') {
      const { offset, total, parties } = message.shard;
      // Created first, so that any failure of this step releases the replicas waiting for this one.
      const shardGroup = new SharedGather(gatherBuffer!, replicas, replica, parties, offset, total);
      group = shardGroup;
      if (!model || !trainer) throw new Error('worker received a step before init');
      tf.tidy(() => message.parameters.forEach((values, i) => parameters[i]!.assign(tf.tensor(values, parameters[i]!.shape))));
      reseedStochasticModules(model, seed, message.step);
      const inputs = fromTensorData(message.inputs);
      const targets = fromTensorData(message.targets);
      const categories = message.categories ? (fromTensorData(message.categories) as tf.Tensor1D) : undefined;
      const lossScale = inputs.shape[0]! / total;
      const result = inReplicaGroup(shardGroup, () => trainer!.computeGradients({ inputs, targets, categories }, { lossScale }));
      group = null;
      tf.dispose([inputs, targets, categories ?? []]);
      const gradients: Array<[string, Float32Array]> = [];
      for (const [path, grad] of result.gradients) {
        // Copies: on the cpu backend dataSync returns the tensor's own storage, which must not be transferred.
        gradients.push([path, (grad.dataSync() as Float32Array).slice()]);
        grad.dispose();
      }
      const transfer = gradients.map(([, data]) => data.buffer as ArrayBuffer);
      reply({ type: 'gradients', loss: result.loss, correct: result.correct, count: result.count, gradients }, transfer);
    } else if (message.type === 'predict') {
      if (!model || !trainer) throw new Error('worker received a prediction before init');
      tf.tidy(() => message.parameters.forEach((values, i) => parameters[i]!.assign(tf.tensor(values, parameters[i]!.shape))));
      const inputs = fromTensorData(message.inputs);
      const categories = message.categories ? (fromTensorData(message.categories) as tf.Tensor1D) : undefined;
      const logits = trainer.predict({ inputs, categories });
      const data = toTensorData(logits);
      tf.dispose([inputs, logits, categories ?? []]);
      const copy = { ...data, data: data.data.slice() };
      reply({ type: 'logits', logits: copy }, [copy.data.buffer as ArrayBuffer]);
    } else if (message.type === 'close') {
      model?.dispose();
      port.close();
    }
  } catch (error) {
    group?.fail();
    group = null;
    reply({ type: 'error', message: (error as Error)?.stack ?? String(error) });
  }
});
