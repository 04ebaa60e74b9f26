/** A worker thread of `EnginePool`: one engine on the pool's model, answering batches. */
import { parentPort, workerData } from 'node:worker_threads';
import { readPackedModel } from '../format.ts';
import { Engine, type EngineInput } from './engine.ts';
import { createEngineKernels, type KernelChoice } from './select-kernels.ts';

const data = workerData as { bytes: Uint8Array; file: string; kernels: KernelChoice };
const engine = new Engine(readPackedModel(data.bytes, data.file), { file: data.file, kernels: await createEngineKernels(data.kernels) });

parentPort!.on('message', (message: { id: number; inputs: EngineInput[] }) => {
  try {
    const logits = message.inputs.map((input) => engine.run(input));
    parentPort!.postMessage({ id: message.id, logits, kernels: engine.kernels.name }, logits.map((l) => l.buffer as ArrayBuffer));
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: (error as Error).message });
  }
});
