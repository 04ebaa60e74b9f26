import * as tf from '@tensorflow/tfjs-core';

/**
 * `Identity` that shares the input's buffer instead of copying it, on wasm. tfjs clones every
 * tensor it keeps for a gradient (`saveTensorsForBackwardMode` → `Identity`), and wasm's kernel
 * copies the data: for DGCNN each [B, N, k, C] edge tensor was copied two or three times per step
 * (0.7 s of a 10 s step, and a third of the peak memory). Tensors are immutable and no kernel
 * writes into its inputs, so the cpu backend's way — one more reference to the same data, freed
 * when the last one goes — is safe here too; the wasm backend counts references the same way.
 */
interface RefCountingBackend {
  incRef(dataId: object): void;
}

export function installSharedIdentity(backendName: string): string[] {
  if (backendName !== 'wasm') return [];
  const original = tf.getKernel('Identity', backendName);
  if (!original) return [];
  if ((original as { bitpoint?: boolean }).bitpoint) return ['Identity'];
  tf.unregisterKernel('Identity', backendName);
  const config: tf.KernelConfig & { bitpoint: true } = {
    ...original,
    bitpoint: true,
    kernelFunc: (args) => {
      const x = args.inputs['x'] as tf.TensorInfo;
      if (x.dtype === 'string') return original.kernelFunc(args);
      (args.backend as unknown as RefCountingBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  };
  tf.registerKernel(config);
  return ['Identity'];
}
