import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { useBackend, type BackendRequest } from '../backend/select.ts';
import { EdgeConv } from '../models/blocks/edge-conv.ts';
import { IdentityQuantizer } from '../nn/quantizer.ts';
import { Rng } from '../util/rng.ts';
import { median } from './median.ts';

export interface EdgeConvBenchmarkOptions {
  backend: BackendRequest;
  batchSize: number;
  points: number;
  k: number;
  inChannels: number;
  outChannels: number;
  /** Measured runs after warm-up; medians are reported. */
  runs: number;
  warmup: number;
  /** Also time the block with its edge features built (the path taken under an input quantizer). */
  materialized: boolean;
  log?: (text: string) => void;
}

export const EDGECONV_BENCHMARK_DEFAULTS: Omit<EdgeConvBenchmarkOptions, 'backend' | 'log'> = {
  batchSize: 8,
  points: 1024,
  k: 20,
  inChannels: 3,
  outChannels: 64,
  runs: 5,
  warmup: 2,
  materialized: true,
};

/** An input quantizer that changes nothing but is not the identity, to force the materialized path. */
class PassThroughQuantizer extends IdentityQuantizer {}

/**
 * One EdgeConv block, forward and backward (issue 4's target): kNN in feature space, neighbour
 * gather, the 2C→out edge layer, BatchNorm, LeakyReLU 0.2 and the max over k, on a random batch;
 * gradients of the mean output with respect to every parameter. Reports wall-clock and process CPU
 * medians (CPU time is steadier when other jobs share the machine).
 *
 *   node --import tsx src/bench/edgeconv.ts          # one JSON object on stdout, progress on stderr
 */
export async function runEdgeConvBenchmark(options: Partial<EdgeConvBenchmarkOptions> & { backend?: BackendRequest } = {}): Promise<Record<string, unknown>> {
  const o = { ...EDGECONV_BENCHMARK_DEFAULTS, backend: 'wasm' as BackendRequest, ...options };
  const log = o.log ?? (() => {});
  const backend = await useBackend(o.backend);
  const block = new EdgeConv(o.inChannels, [o.outChannels], { rng: new Rng(1), k: o.k });
  const x = tf.randomNormal([o.batchSize, o.points, o.inChannels], 0, 1, 'float32', 3) as tf.Tensor3D;
  const variables = block.trainableParameters().map((p) => p.variable);

  const time = (label: string): { wallMs: number; cpuMs: number; forwardMs: number } => {
    const wall: number[] = [];
    const cpu: number[] = [];
    const forward: number[] = [];
    for (let i = 0; i < o.warmup + o.runs; i++) {
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      tf.tidy(() => {
        const { value } = tf.variableGrads(() => tf.mean(block.forward(x)) as tf.Scalar, variables);
        value.dataSync();
      });
      const elapsed = performance.now() - start;
      const used = process.cpuUsage(cpuStart);
      const forwardStart = performance.now();
      tf.tidy(() => {
        block.forward(x).dataSync();
      });
      const forwardElapsed = performance.now() - forwardStart;
      if (i >= o.warmup) {
        wall.push(elapsed);
        cpu.push((used.user + used.system) / 1000);
        forward.push(forwardElapsed);
      }
      log(`${label} run ${i + 1}: ${elapsed.toFixed(0)} ms${i < o.warmup ? ' (warm-up)' : ''}`);
    }
    return { wallMs: median(wall), cpuMs: median(cpu), forwardMs: median(forward) };
  };

  const fast = time('edgeconv');
  let materialized: { wallMs: number; cpuMs: number; forwardMs: number } | null = null;
  if (o.materialized) {
    block.edgeLayer.linear.setInputQuantizer(new PassThroughQuantizer());
    materialized = time('edgeconv (materialized edges)');
  }
  x.dispose();
  block.dispose();
  return {
    benchmark: 'edgeconv',
    backend: backend.name,
    batch_size: o.batchSize,
    points: o.points,
    k: o.k,
    in_channels: o.inChannels,
    out_channels: o.outChannels,
    forward_backward_ms: Math.round(fast.wallMs),
    forward_backward_cpu_ms: Math.round(fast.cpuMs),
    forward_ms: Math.round(fast.forwardMs),
    materialized_forward_backward_ms: materialized ? Math.round(materialized.wallMs) : null,
    materialized_forward_backward_cpu_ms: materialized ? Math.round(materialized.cpuMs) : null,
    runs: o.runs,
    warmup: o.warmup,
    threads: 1,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await runEdgeConvBenchmark({ log: (text) => process.stderr.write(`${text}\n`) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
