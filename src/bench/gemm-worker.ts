import { parentPort } from 'node:worker_threads';
import { useBackend, type BackendRequest } from '../backend/select.ts';
import { probeGemmHere, type GemmShape } from './gemm-peak.ts';

/** One thread of the GEMM probe (gemm-peak.ts): starts its own backend, then probes on request. */
const port = parentPort!;

port.on('message', async (message: { type: 'init'; backend: BackendRequest } | { type: 'probe'; shapes: GemmShape[]; minMs: number }) => {
  try {
    if (message.type === 'init') {
      await useBackend(message.backend);
      port.postMessage({ type: 'ready' });
    } else {
      port.postMessage({ type: 'probes', probes: probeGemmHere(message.shapes, message.minMs) });
    }
  } catch (error) {
    port.postMessage({ type: 'error', message: (error as Error).message });
  }
});
