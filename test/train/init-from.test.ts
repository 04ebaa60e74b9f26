import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import type { CompressQuantizer } from '../../src/compress/quantizers/base.ts';
import { buildQuantizer } from '../../src/compress/quantizers/registry.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { parseRunConfig } from '../../src/train/run-config.ts';
import { runTraining } from '../../src/train/run.ts';
import { FormatError } from '../../src/util/errors.ts';

/** Warm starts: a compressed run begins from a trained full-precision run's weights. */
describe('initFrom', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-init-from-'));
  const data = join(work, 'ModelNet-tiny');
  const base = { model: 'pointnet-vanilla', dataset: data, points: 64, batchSize: 4, epochs: 1, workers: 0, backend: 'wasm', seed: 3 };
  const source = join(work, 'fp');

  beforeAll(async () => {
    cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true });
    await runTraining(parseRunConfig({ ...base, name: 'fp' }), { outDir: source, log: () => {} });
  });

  it('parses a folder, folder:checkpoint, or an object; rejects a bad checkpoint name by path', () => {
    expect(parseRunConfig({ model: 'pointnet', initFrom: 'runs/fp' }).initFrom).toEqual({ run: 'runs/fp', checkpoint: 'best' });
    expect(parseRunConfig({ model: 'pointnet', initFrom: 'runs/fp:last' }).initFrom).toEqual({ run: 'runs/fp', checkpoint: 'last' });
    expect(parseRunConfig({ model: 'pointnet', initFrom: { run: 'a', checkpoint: 'last' } }).initFrom).toEqual({ run: 'a', checkpoint: 'last' });
    expect(parseRunConfig({ model: 'pointnet' }).initFrom).toBeNull();
    expect(() => parseRunConfig({ model: 'pointnet', initFrom: { run: 'a', checkpoint: 'first' } })).toThrow(/initFrom\.checkpoint/);
  });

  it('a bipointnet run starts from the fp weights; its new LSR scales initialize from data', async () => {
    const out = join(work, 'binary');
    const logs: string[] = [];
    // Adam's steps at this learning rate are below float32 resolution: the latent weights must
    // come out exactly as loaded.
    const config = { ...base, name: 'binary', compress: 'bipointnet', initFrom: `${source}:last`, schedule: { name: 'constant', lr: 1e-30 } };
    await runTraining(parseRunConfig(config), { outDir: out, log: (line) => logs.push(line) });
    expect(logs.join('\n')).toMatch(/init: \d+ tensors from .*last\.safetensors; \d+ keep their initialization \(.*outputScale/);

    const before = (await loadCheckpoint(join(source, 'checkpoints', 'last.safetensors'))).tensors;
    const after = (await loadCheckpoint(join(out, 'checkpoints', 'last.safetensors'))).tensors;
    for (const name of ['encoder1.0.linear.weight', 'encoder2.2.linear.weight', 'head.fc1.linear.weight', 'head.classifier.weight']) {
      expect(Array.from(after.get(name)!.data), name).toEqual(Array.from(before.get(name)!.data));
    }
    // The LSR scale is not in the fp checkpoint: it was initialized from the first batch (≠ 1).
    const scale = after.get('encoder2.2.linear.outputScale.scale')!.data[0]!;
    expect(after.get('encoder2.2.linear.outputScale.initialized')!.data[0]).toBe(1);
    expect(scale).not.toBe(1);
    expect(scale).toBeGreaterThan(0);
  });

  it("int4 from fp: LSQ's weight steps initialize from the loaded weights, not the random ones", async () => {
    const out = join(work, 'int4');
    await runTraining(parseRunConfig({ ...base, name: 'int4', compress: 'int4', initFrom: `${source}:last`, schedule: { name: 'constant', lr: 1e-30 } }), { outDir: out, log: () => {} });
    const loaded = (await loadCheckpoint(join(source, 'checkpoints', 'last.safetensors'))).tensors.get('encoder2.2.linear.weight')!;
    const expected = buildQuantizer({ name: 'lsq', bits: 4, perChannel: true, range: 'signed' }, 'weights', { channels: 1024 }) as CompressQuantizer;
    expected.initialize(tf.tensor(loaded.data, loaded.shape));
    const step = (await loadCheckpoint(join(out, 'checkpoints', 'last.safetensors'))).tensors.get('encoder2.2.linear.weightQuantizer.step')!;
    const want = expected.namedParameters().find(([path]) => path === 'step')![1].variable.dataSync();
    Array.from(step.data).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
  });

  it('pruning then quantizing: with a prune rule the source masks load and pruned weights stay zero', async () => {
    const pruned = join(work, 'pruned');
    const prune = { method: 'magnitude', sparsity: 0.75, schedule: 'one-shot' };
    await runTraining(parseRunConfig({ ...base, name: 'pruned', compress: { layers: [{ match: '*', prune }, { match: 'first', prune: null }] } }), { outDir: pruned, log: () => {} });
    const ternary = join(work, 'ternary');
    const policy = { extends: 'ternary-twn', layers: [{ match: '*', prune }, { match: 'first', prune: null }] };
    await runTraining(parseRunConfig({ ...base, name: 'ternary', compress: policy, initFrom: `${pruned}:last` }), { outDir: ternary, log: () => {} });
    const source = (await loadCheckpoint(join(pruned, 'checkpoints', 'last.safetensors'))).tensors;
    const after = (await loadCheckpoint(join(ternary, 'checkpoints', 'last.safetensors'))).tensors;
    const mask = after.get('encoder2.2.linear.mask')!.data;
    expect(Array.from(mask)).toEqual(Array.from(source.get('encoder2.2.linear.mask')!.data));
    const weight = after.get('encoder2.2.linear.weight')!.data;
    const zeros = Array.from(mask).filter((m) => m === 0).length;
    expect(zeros / mask.length).toBeCloseTo(0.75, 2);
    mask.forEach((m, i) => {
      if (m === 0) expect(Math.abs(weight[i]!)).toBe(0);
    });
  });

  it('a missing source or a different model is an error naming the checkpoint', async () => {
    const missing = parseRunConfig({ ...base, name: 'x', initFrom: join(work, 'nowhere') });
    await expect(runTraining(missing, { outDir: join(work, 'x'), log: () => {} })).rejects.toThrow(FormatError);
    await expect(runTraining(missing, { outDir: join(work, 'x2'), log: () => {} })).rejects.toThrow(/nowhere.*best\.safetensors: missing/);
    const other = parseRunConfig({ ...base, model: 'pointnet', name: 'y', initFrom: source });
    await expect(runTraining(other, { outDir: join(work, 'y'), log: () => {} })).rejects.toThrow(/fp.*best\.safetensors: lacks inputTnet\..* initFrom needs a run of the same model/);
  });
});
