import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { Engine } from '../../src/deploy/engine/engine.ts';
import { JsKernels } from '../../src/deploy/engine/js-kernels.ts';
import type { EngineKernels } from '../../src/deploy/engine/kernels.ts';
import { createWasmKernels } from '../../src/deploy/engine/wasm-kernels.ts';
import { readPackedModel, writePackedModel } from '../../src/deploy/format.ts';
import type { ProgramHeader } from '../../src/deploy/program.ts';
import { BatchNorm } from '../../src/nn/layers/batch-norm.ts';
import { Rng } from '../../src/util/rng.ts';
import { buildTiny as build, randomInput as inputFor, type TinyModel as Built } from './tiny-models.ts';

/**
 * The engine against the tfjs model it was exported from, on random inputs: every registry model
 * under full precision and the compression presets. BatchNorm statistics and LSR scales are set
 * to random values first, so folding them is tested, not the identity.
 */

beforeAll(async () => {
  await useBackend('wasm');
});

let wasmKernels: EngineKernels;
beforeAll(async () => {
  wasmKernels = await createWasmKernels();
});

function compare(built: Built, points: number, seed: number, kernels: 'js' | 'wasm' = 'wasm'): { logitsTf: Float32Array[]; logitsEngine: Float32Array[] } {
  const rng = new Rng(seed);
  const engine = new Engine(readPackedModel(built.bytes), { kernels: kernels === 'wasm' ? wasmKernels : new JsKernels() });
  const batch = 3;
  const inputs = inputFor(built.model, batch, points, rng);
  const categories = tf.tensor1d([0, 1, 0], 'int32');
  const expected = tf.tidy(() => built.model.forward({ inputs, categories }).logits);
  const perSample = expected.size / batch;
  const all = expected.dataSync() as Float32Array;
  const values = inputs.dataSync() as Float32Array;
  const perInput = values.length / batch;
  const logitsTf: Float32Array[] = [];
  const logitsEngine: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    logitsTf.push(all.slice(b * perSample, (b + 1) * perSample));
    logitsEngine.push(engine.run({ values: values.slice(b * perInput, (b + 1) * perInput), category: [0, 1, 0][b] }));
  }
  tf.dispose([inputs, categories, expected]);
  return { logitsTf, logitsEngine };
}

function maxRelativeError(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((row, i) => {
    const scale = Math.max(...Array.from(row, Math.abs), 1e-6);
    row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i]![j]!) / scale)));
  });
  return worst;
}

describe('engine vs tfjs, full precision', () => {
  for (const name of ['pointnet-vanilla', 'pointnet', 'pointnet-seg', 'dgcnn', 'mnist-mlp', 'mnist-cnn']) {
    it(`${name}: logits agree to 1e-4 relative`, () => {
      const options = name === 'dgcnn' ? { k: 5 } : name === 'pointnet-seg' ? { numCategories: 2 } : {};
      const built = build(name, 'fp', 1, options);
      const { logitsTf, logitsEngine } = compare(built, 48, 2);
      expect(maxRelativeError(logitsTf, logitsEngine)).toBeLessThan(1e-4);
    });
  }
  it('pointnet and pointnet-seg with other encoder widths (BiPointNet\'s 64 | 128-1024 shape, narrower)', () => {
    const encoder = [[24], [40, 56]] as const;
    for (const [name, options] of [['pointnet', { encoder }], ['pointnet-seg', { numCategories: 2, encoder }]] as const) {
      const { logitsTf, logitsEngine } = compare(build(name, 'fp', 3, options), 48, 2);
      expect(maxRelativeError(logitsTf, logitsEngine)).toBeLessThan(1e-4);
    }
  });
});

describe('engine vs tfjs, compressed', () => {
  for (const policy of ['bipointnet', 'xnor', 'binary', 'ternary-twn', 'ternary-ttq', 'int4', 'int2', 'prune-90']) {
    for (const kernels of ['wasm', 'js'] as const) {
      it(`pointnet-vanilla with ${policy} (${kernels} kernels)`, () => {
        const built = build('pointnet-vanilla', policy);
        const { logitsTf, logitsEngine } = compare(built, 64, 3, kernels);
        expect(maxRelativeError(logitsTf, logitsEngine)).toBeLessThan(policy.startsWith('int') ? 1e-3 : 1e-4);
      });
    }
  }
  it('bipointnet-shortcut: real-valued shortcuts that repeat, keep and average channels, before the max', () => {
    // encoder 8 → 16 repeats, 16 → 16 keeps, 16 → 32 repeats before the max; head 32 → 512
    // repeats, 512 → 256 averages pairs
    const encoder = [[8], [16, 16, 32]] as const;
    for (const kernels of ['wasm', 'js'] as const) {
      const built = build('pointnet-vanilla', 'bipointnet-shortcut', 5, { encoder });
      const program = readPackedModel(built.bytes).header.program;
      expect(program.filter((op) => op.op === 'shortcut')).toHaveLength(5);
      const { logitsTf, logitsEngine } = compare(built, 40, 7, kernels);
      expect(maxRelativeError(logitsTf, logitsEngine)).toBeLessThan(1e-4);
    }
  });
  it('bipointnet-shortcut on dgcnn and pointnet-seg (the blocks whose widths allow one)', () => {
    for (const [name, options] of [['dgcnn', { k: 4 }], ['pointnet-seg', { numCategories: 2 }]] as const) {
      const built = build(name, 'bipointnet-shortcut', 6, options);
      expect(readPackedModel(built.bytes).header.program.some((op) => op.op === 'shortcut')).toBe(true);
      const { logitsTf, logitsEngine } = compare(built, 40, 8);
      expect(maxRelativeError(logitsTf, logitsEngine)).toBeLessThan(1e-4);
    }
    // DGCNN-seg's two-layer edge MLPs would need the shortcut per edge: refused, not mis-exported
    expect(() => build('dgcnn-seg', 'bipointnet-shortcut', 6, { k: 4, numCategories: 2 })).toThrow(/edgeconv1: real-valued shortcuts inside an EdgeConv block/);
  });
  it("poolFrom 'all': the max of every encoder layer, concatenated, with T-Nets and on bits", () => {
    const encoder = [[16, 24], [32, 40]] as const;
    for (const [name, policy] of [['pointnet', 'fp'], ['pointnet-vanilla', 'bipointnet-dither']] as const) {
      const built = build(name, policy, 4, { encoder, poolFrom: 'all' });
      const ops = readPackedModel(built.bytes).header.program;
      // three layers pooled by max_rows, the last by its own dense op, then one concat
      expect(ops.filter((op) => op.op === 'max_rows' && op.input.startsWith('encoder')).map((op) => (op as { input: string }).input)).toEqual(['encoder1.0', 'encoder1.1', 'encoder2.0']);
      expect(ops.find((op) => op.op === 'concat')).toMatchObject({ inputs: ['encoder1.0.max', 'encoder1.1.max', 'encoder2.0.max', 'encoder2.1'] });
      const { logitsTf, logitsEngine } = compare(built, 40, 9);
      expect(maxRelativeError(logitsTf, logitsEngine)).toBeLessThan(1e-4);
    }
  });
  it('dgcnn and pointnet-seg with bipointnet (edge features and split layers on bits)', () => {
    for (const [name, options] of [['dgcnn', { k: 4 }], ['pointnet-seg', { numCategories: 2 }]] as const) {
      const built = build(name, 'bipointnet', 2, options);
      const { logitsTf, logitsEngine } = compare(built, 40, 5);
      const argmax = (row: Float32Array, from: number, count: number) => {
        let best = from;
        for (let i = from; i < from + count; i++) if (row[i]! > row[best]!) best = i;
        return best;
      };
      const classes = 5;
      logitsTf.forEach((row, b) => {
        for (let p = 0; p < row.length; p += classes) expect(argmax(logitsEngine[b]!, p, classes)).toBe(argmax(row, p, classes));
      });
      expect(maxRelativeError(logitsTf, logitsEngine)).toBeLessThan(1e-3);
    }
  });
});

describe('engine vs tfjs, every quantizer kind on odd widths', () => {
  // The MNIST MLP: 784 inputs (not a multiple of 32 or 64) and 10 outputs; every layer quantized,
  // the first and the last included, so padding bits and odd channel counts are exercised.
  const everywhere = (weights: unknown, activations: unknown = 'fp') => ({ name: 'all', layers: [{ match: '*', weights, activations }] });
  const cases: Array<[string, unknown]> = [
    ['binary ×binary (ste_sign)', everywhere('ste_sign', 'ste_sign')],
    ['approx_sign, per-channel α', everywhere({ name: 'approx_sign', scaling: 'channel' }, 'approx_sign')],
    ['binary weights, float inputs', everywhere('ste_sign')],
    ['ternary at 75 % sparsity', everywhere({ name: 'ternary_sparsity', sparsity: 0.75 })],
    ['TWN per channel', everywhere({ name: 'twn', granularity: 'channel' })],
    ['DoReFa 3-bit weights and activations', everywhere({ name: 'dorefa', bits: 3 }, { name: 'dorefa', bits: 3 })],
    ['LSQ 5-bit, per channel', everywhere({ name: 'lsq', bits: 5, perChannel: true }, { name: 'lsq', bits: 5 })],
    ['magnitude pruning 70 %, binary', { name: 'p', layers: [{ match: '*', weights: 'ste_sign', activations: 'ste_sign', prune: { method: 'magnitude', sparsity: 0.7 } }] }],
  ];
  for (const [label, policy] of cases) {
    it(label, () => {
      const built = build('mnist-mlp', policy, 4);
      const { logitsTf, logitsEngine } = compare(built, 0, 6);
      const argmax = (row: Float32Array) => row.indexOf(Math.max(...row));
      logitsTf.forEach((row, b) => expect(argmax(logitsEngine[b]!)).toBe(argmax(row)));
      expect(maxRelativeError(logitsTf, logitsEngine)).toBeLessThan(1e-3);
    });
  }
});

describe('engine load checks', () => {
  /** Edits the header of a packed file and re-signs it (so the engine's checks are reached). */
  function edit(bytes: Uint8Array, change: (header: { program: Array<Record<string, unknown>>; tensors: Array<Record<string, unknown>> }) => void): Uint8Array {
    const packed = readPackedModel(bytes);
    const header = structuredClone(packed.header) as unknown as { program: Array<Record<string, unknown>>; tensors: Array<Record<string, unknown>> };
    change(header);
    return writePackedModel(header as unknown as ProgramHeader, packed.tensors, packed.header.source);
  }

  it('rejects a program whose layer sizes disagree with its tensors, naming the layer', () => {
    const { bytes } = build('pointnet-vanilla', 'bipointnet');
    const wrongWidth = edit(bytes, (h) => {
      const op = h.program.find((o) => o['layer'] === 'encoder2.2.linear')!;
      op['outChannels'] = 1000;
    });
    expect(() => new Engine(readPackedModel(wrongWidth, 'x.bitpoint'), { file: 'x.bitpoint' })).toThrow(/^x\.bitpoint: program\[4\] \(dense encoder2\.2\.linear\)\.weights\.codes: tensor "encoder2\.2\.linear\.weight" should hold 128000 codes of 1 bits, it holds 131072 codes of 1 bits/);
    const missing = edit(bytes, (h) => {
      const op = h.program.find((o) => o['layer'] === 'head.classifier')!;
      op['scale'] = 'nowhere';
    });
    expect(() => new Engine(readPackedModel(missing, 'y.bitpoint'), { file: 'y.bitpoint' })).toThrow(/^y\.bitpoint: program\[\d+\] \(dense head\.classifier\)\.scale: tensor "nowhere" is not in the file/);
  });

  it('a layer fused into sign thresholds keeps no float scale and shift; any other result needs them', () => {
    const { bytes } = build('pointnet-vanilla', 'bipointnet');
    const packed = readPackedModel(bytes);
    const dense = packed.header.program.filter((op) => op.op === 'dense');
    const fused = dense.filter((op) => op.result.kind === 'sign');
    expect(fused.length).toBeGreaterThan(0);
    const names = new Set(packed.header.tensors.map((t) => t.name));
    for (const op of fused) {
      expect(op.scale, op.layer).toBeNull();
      expect(op.shift, op.layer).toBeNull();
      expect(names.has(`${op.layer}.scale`), op.layer).toBe(false);
    }
    const noScale = edit(bytes, (h) => {
      const op = h.program.find((o) => o['layer'] === 'head.classifier')!;
      op['scale'] = null;
    });
    expect(() => new Engine(readPackedModel(noScale, 'z.bitpoint'), { file: 'z.bitpoint' })).toThrow(/^z\.bitpoint: program\[\d+\] \(dense head\.classifier\): a float result needs scale and shift tensors/);
  });

  it('rejects inputs of the wrong shape and a missing category', () => {
    const engine = new Engine(readPackedModel(build('pointnet-seg', 'fp', 1, { numCategories: 2 }).bytes));
    expect(() => engine.run(new Float32Array(10))).toThrow(/not \[rows, 3\]/);
    expect(() => engine.run({ values: new Float32Array(30) })).toThrow(/needs the object category/);
  });
});
