import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { matchesGlob } from '../../src/compress/glob.ts';
import { LayerScaleRecovery } from '../../src/compress/output-scale.ts';
import { applyPolicy, parsePolicy } from '../../src/compress/policy.ts';
import { PRESET_NAMES } from '../../src/compress/presets.ts';
import { maskSparsity } from '../../src/compress/prune/masks.ts';
import { SteSign } from '../../src/compress/quantizers/binary.ts';
import { FlipRatio } from '../../src/compress/quantizers/flip-ratio.ts';
import { resolvePolicy } from '../../src/compress/resolve.ts';
import { createModel } from '../../src/models/registry.ts';
import { LinearBnAct } from '../../src/models/blocks/shared-mlp.ts';
import type { PointNet } from '../../src/models/pointnet.ts';
import { GlobalMaxPool } from '../../src/nn/layers/global-max-pool.ts';
import { Linear } from '../../src/nn/layers/linear.ts';
import { ConfigError, FormatError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { values } from './helpers.ts';

const vanilla = (seed = 1) => createModel('pointnet-vanilla', { rng: new Rng(seed), numClasses: 10 });

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('compression policies', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('globs: * spans dots, ? is one character, the rest is literal', () => {
    expect(matchesGlob('encoder1.0.linear', 'encoder*.linear')).toBe(true);
    expect(matchesGlob('encoder2.2.linear', 'encoder*.linear')).toBe(true);
    expect(matchesGlob('head.fc1.linear', 'encoder*.linear')).toBe(false);
    expect(matchesGlob('head.fc1.linear', 'head.*')).toBe(true);
    expect(matchesGlob('encoder1x0.linear', 'encoder1.0.linear')).toBe(false);
    expect(matchesGlob('head.fc1.linear', 'head.fc?.linear')).toBe(true);
    expect(matchesGlob('anything', '*')).toBe(true);
  });

  it('validation errors name the key path', () => {
    expect(configError(() => parsePolicy({ layers: [{ match: '*', weights: 'sine' }] })).path).toBe('compress.layers.0.weights');
    expect(configError(() => parsePolicy({ layers: [{ match: '*', weights: { name: 'lsq', bits: 12 } }] })).path).toBe('compress.layers.0.weights.bits');
    expect(configError(() => parsePolicy({ layers: [{ match: '*', wieghts: 'ste_sign' }] })).path).toBe('compress.layers.0.wieghts');
    expect(configError(() => parsePolicy({ layers: [{ weights: 'ste_sign' }] })).path).toBe('compress.layers.0.match');
    expect(configError(() => parsePolicy({ layers: [{ match: '*', activations: 'twn' }] })).path).toBe('compress.layers.0.activations');
    expect(configError(() => parsePolicy({ layers: [{ match: '*', prune: { sparsity: 1.5 } }] })).path).toBe('compress.layers.0.prune.sparsity');
    expect(configError(() => parsePolicy({ layers: [{ match: '*', prune: { method: 'random', scope: 'global', sparsity: 0.5 } }] })).path).toBe(
      'compress.layers.0.prune.scope',
    );
    expect(configError(() => parsePolicy({ layers: [{ match: '*', prune: { sparsity: 0.5, schedule: { kind: 'gradual' } } }] })).path).toBe(
      'compress.layers.0.prune.schedule.end',
    );
    expect(configError(() => parsePolicy({ model: { hiddenActivation: 'tanh' } })).path).toBe('compress.model.hiddenActivation');
    expect(configError(() => parsePolicy({ extends: 'int5' })).path).toBe('compress.extends');
    expect(configError(() => parsePolicy({ layers: [{ match: '*' }] })).path).toBe('compress.layers.0');
  });

  it('every preset parses, applies to both PointNets and round-trips as JSON', () => {
    expect(PRESET_NAMES).toEqual(
      expect.arrayContaining(['fp', 'binary', 'bipointnet', 'xnor', 'ternary-twn', 'ternary-ttq', 'ternary-sparsity-50', 'int8', 'int4', 'int3', 'int2', 'int4-weights', 'prune-50', 'prune-80', 'prune-90', 'prune-95']),
    );
    for (const name of PRESET_NAMES) {
      const policy = resolvePolicy(name);
      expect(parsePolicy(JSON.parse(JSON.stringify(policy)))).toEqual(policy);
    }
    for (const modelName of ['pointnet-vanilla', 'pointnet']) {
      for (const name of ['bipointnet', 'int4', 'ternary-ttq', 'prune-90']) {
        const model = createModel(modelName, { rng: new Rng(2), numClasses: 5 });
        const report = applyPolicy(model, resolvePolicy(name), { rng: new Rng(3) });
        expect(report.warnings, `${modelName} ${name}`).toEqual([]);
        expect(JSON.parse(JSON.stringify(report)).layers).toHaveLength(model.weightLayers().length);
        model.dispose();
      }
    }
  });

  it('"pooled" selects the classifier head\'s first layer; int-k presets initialize its activation step at the range', () => {
    for (const modelName of ['pointnet-vanilla', 'dgcnn']) {
      const model = createModel(modelName, { rng: new Rng(2), numClasses: 5 });
      expect(model.pooledLayers).toEqual(['head.fc1.linear']);
      const report = applyPolicy(model, resolvePolicy('int4'));
      expect(report.warnings).toEqual([]);
      for (const [name, layer] of model.weightLayers()) {
        const described = layer.inputQuantizer.describe();
        if (name === model.firstLayer || name === model.lastLayer) expect(described['kind'], name).toBe('identity');
        else expect(described, name).toMatchObject({ kind: 'lsq', bits: 4, init: name === 'head.fc1.linear' ? 'max' : 'mean' });
      }
      model.dispose();
    }
    // a model that pools no layer's input: the rule matches nothing, silently
    const seg = createModel('pointnet-seg', { rng: new Rng(2), numClasses: 4, numCategories: 2 });
    expect(seg.pooledLayers).toEqual([]);
    expect(applyPolicy(seg, resolvePolicy('int4')).warnings).toEqual([]);
    seg.dispose();
  });

  it('with an input T-Net, "first" keeps encoder1.0 (it reads coordinates) too; T-Net pools take EMA and start at the identity', () => {
    for (const modelName of ['pointnet', 'pointnet-seg']) {
      const model = createModel(modelName, { rng: new Rng(2), numClasses: 4, numCategories: 2 });
      expect(model.inputLayers).toEqual(['inputTnet.mlp.0.linear', 'encoder1.0.linear']);
      const report = applyPolicy(model, resolvePolicy('bipointnet'));
      expect(report.warnings).toEqual([]);
      const full = new Set([...model.inputLayers, model.lastLayer]);
      for (const [name, layer] of model.weightLayers()) {
        expect(layer.weightQuantizer.kind, name).toBe(full.has(name) ? 'identity' : 'ste_sign');
        expect(layer.inputQuantizer.kind, name).toBe(full.has(name) ? 'identity' : 'ste_sign');
      }
      const pools = model.namedModules().filter(([, m]) => m instanceof GlobalMaxPool);
      expect(pools.map(([path]) => path)).toEqual(expect.arrayContaining(['inputTnet.pool', 'featureTnet.pool']));
      expect(pools.every(([, m]) => (m as GlobalMaxPool).entropyMaximizing)).toBe(true);
      // the binarized transforms start at zero (LSR's α = std(A·0)/… = 0): identity matrices, so
      // the orthogonality regularizer starts at zero (it was ~10¹³ when every cloud pooled alike)
      model.train();
      const rng = new Rng(3);
      const points = tf.tensor3d(Array.from({ length: 2 * 32 * 3 }, () => rng.uniform() * 2 - 1), [2, 32, 3]);
      const output = model.forward({ inputs: points, categories: tf.tensor1d([0, 1], 'int32') });
      expect(output.auxiliaryLoss!.dataSync()[0]).toBeCloseTo(0, 6);
      expect(tf.max(tf.abs(output.logits)).dataSync()[0]).toBeGreaterThan(0);
      model.dispose();
    }
  });

  it('int4-weights: 4-bit LSQ weights per channel, float activations, first and last layer full precision', () => {
    const model = vanilla();
    applyPolicy(model, resolvePolicy('int4-weights'));
    for (const [name, layer] of model.weightLayers()) {
      const fp = name === model.firstLayer || name === model.lastLayer;
      expect(layer.weightQuantizer.kind, name).toBe(fp ? 'identity' : 'lsq');
      expect(layer.weightQuantizer.bits, name).toBe(fp ? 32 : 4);
      expect(layer.inputQuantizer.kind, name).toBe('identity');
    }
    model.dispose();
  });

  it('bipointnet: binary everywhere but first and last, LSR, EMA pooling, hidden ReLUs removed', () => {
    const model = vanilla();
    const report = applyPolicy(model, resolvePolicy('bipointnet'));
    const byName = Object.fromEntries(report.layers.map((layer) => [layer.name, layer]));
    for (const [name, layer] of model.weightLayers()) {
      const fp = name === model.firstLayer || name === model.lastLayer;
      expect(layer.weightQuantizer.kind, name).toBe(fp ? 'identity' : 'ste_sign');
      expect(layer.inputQuantizer.kind, name).toBe(fp ? 'identity' : 'ste_sign');
      expect(layer.outputScale.kind, name).toBe(fp ? 'identity' : 'lsr');
      expect(byName[name]!.rules).toEqual(fp ? [0, 1] : [0]);
    }
    const pools = model.namedModules().filter(([, m]) => m instanceof GlobalMaxPool);
    expect(pools.every(([, m]) => (m as GlobalMaxPool).entropyMaximizing)).toBe(true);
    expect(report.model.entropyMaximizingPool).toEqual(['pool']);
    const blocks = model.namedModules().filter(([, m]) => m instanceof LinearBnAct);
    expect(blocks.every(([, m]) => (m as LinearBnAct).activation === 'none')).toBe(true);
    expect(report.model.hiddenActivationRemoved).toHaveLength(blocks.length);
    expect(report.pruningSchedule).toBeNull();
    // fp policy leaves pools and activations alone
    const plain = vanilla() as PointNet;
    applyPolicy(plain, resolvePolicy('fp'));
    expect(plain.pool.entropyMaximizing).toBe(false);
    expect(plain.fc1.activation).toBe('relu');
  });

  it('later rules override only the keys they set; extends appends rules', () => {
    const model = vanilla();
    const report = applyPolicy(model, {
      extends: 'int4',
      layers: [
        { match: 'head.*', weights: 'twn' },
        { match: 'encoder*.linear', prune: { sparsity: 0.5 } },
        { match: 'first', prune: null },
      ],
    });
    expect(report.policy).toBe('int4+custom');
    const layer = (name: string) => model.weightLayers().find(([n]) => n === name)![1];
    expect(layer('head.fc1.linear').weightQuantizer.kind).toBe('twn');
    expect(layer('head.fc1.linear').inputQuantizer.kind).toBe('lsq');
    expect(layer('head.classifier').weightQuantizer.kind).toBe('twn'); // rule 2 comes after int4's "last → fp"
    expect(layer('head.classifier').inputQuantizer.kind).toBe('identity');
    expect(maskSparsity(layer('encoder2.1.linear'))).toBe(0.5);
    expect(layer('encoder1.0.linear').mask).toBeNull();
    expect(report.warnings).toEqual([]);
    const unmatched = applyPolicy(vanilla(), { layers: [{ match: 'decoder.*', weights: 'twn' }] });
    expect(unmatched.warnings[0]).toMatch(/rule 0.*matches no layer/);
  });

  it('gradual pruning: masks exist (all ones) from the start, the schedule prunes to the target', () => {
    const model = vanilla();
    const report = applyPolicy(model, resolvePolicy('prune-90'), { totalSteps: 100 });
    const layers = model.weightLayers();
    expect(layers[0]![1].mask).toBeNull();
    for (const [, layer] of layers.slice(1)) expect(maskSparsity(layer)).toBe(0);
    const schedule = report.pruningSchedule!;
    schedule.afterUpdate(10);
    expect(maskSparsity(layers[1]![1])).toBe(0);
    schedule.afterUpdate(35); // (35 − 10)/2.5 = 10 of 20 updates: 0.9·(1 − ½³)
    expect(maskSparsity(layers[4]![1])).toBeCloseTo(0.9 * (1 - 0.125), 3);
    schedule.afterUpdate(60);
    for (const [, layer] of layers.slice(1)) expect(maskSparsity(layer)).toBeCloseTo(0.9, 3);
  });

  it('resolvePolicy: preset names, policy files, clear errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitpoint-policy-'));
    const file = join(dir, 'mine.json');
    writeFileSync(file, JSON.stringify({ name: 'mine', extends: 'binary', layers: [{ match: 'head.*', outputScale: 'lsr' }] }));
    const policy = resolvePolicy(file);
    expect(policy.name).toBe('mine');
    expect(policy.model.hiddenActivation).toBe('none');
    expect(policy.layers.at(-1)).toEqual({ match: ['head.*'], outputScale: 'lsr' });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ layers: [{ match: '*', weights: { name: 'lsq' } }] }));
    expect(configError(() => resolvePolicy(bad)).path).toBe(`compress(${bad}).layers.0.weights.bits`);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "layers": [');
    expect(() => resolvePolicy(broken)).toThrow(FormatError);
    expect(configError(() => resolvePolicy('bipointnett')).message).toMatch(/neither a compression preset .*bipointnet.* nor an existing policy file/);
    expect(resolvePolicy(undefined).name).toBe('fp');
  });

  it('LSR: α = std(A·W) / std(sign(A)·sign(W)) on the first training batch, then learned', () => {
    const layer = new Linear(8, 4, { rng: new Rng(9), bias: false });
    layer.setWeightQuantizer(new SteSign());
    layer.setInputQuantizer(new SteSign());
    const lsr = new LayerScaleRecovery();
    layer.setOutputScale(lsr);
    const a = tf.randomNormal([16, 8], 0, 1, 'float32', 4);
    const std = (t: tf.Tensor) => Math.sqrt(tf.moments(t).variance.dataSync()[0]!);
    const expected = std(tf.matMul(a, layer.weight.variable)) / std(tf.matMul(tf.sign(a), tf.sign(layer.weight.variable)));
    layer.eval();
    layer.forward(a);
    expect(lsr.initialized).toBe(false);
    layer.train();
    const out = layer.forward(a);
    expect(lsr.initialized).toBe(true);
    expect(values(lsr.scale.variable)[0]).toBeCloseTo(expected, 4);
    const binaryProduct = tf.matMul(tf.sign(a), tf.sign(layer.weight.variable));
    expect(values(out)).toEqual(values(tf.mul(binaryProduct, lsr.scale.variable)));
    // not re-initialized on later batches; the scale is a trainable parameter with a gradient
    lsr.scale.assign(tf.scalar(2));
    layer.forward(tf.mul(a, 3));
    expect(values(lsr.scale.variable)).toEqual([2]);
    const { grads } = tf.variableGrads(() => tf.sum(layer.forward(a)) as tf.Scalar, [lsr.scale.variable]);
    expect(values(grads[lsr.scale.variable.name]!)[0]).toBeCloseTo(values(tf.sum(binaryProduct))[0]!, 3);
    // constant float output (zero weights, as T-Net's transform layer starts): α = 0 keeps the float start
    const zeroLayer = new Linear(3, 2, { rng: new Rng(1), bias: false, init: 'zeros' });
    zeroLayer.setWeightQuantizer(new SteSign());
    zeroLayer.setInputQuantizer(new SteSign());
    const zeroLsr = new LayerScaleRecovery();
    zeroLayer.setOutputScale(zeroLsr);
    expect(values(zeroLayer.forward(a.slice([0, 0], [4, 3]))).map(Math.abs)).toEqual(new Array(8).fill(0));
    expect(values(zeroLsr.scale.variable)).toEqual([0]);
    // constant binary output (std(Q(A)·Q(W)) = 0): α stays 1
    const flatLayer = new Linear(2, 2, { rng: new Rng(1), bias: false });
    flatLayer.setInputQuantizer(new SteSign());
    const flatLsr = new LayerScaleRecovery();
    flatLayer.setOutputScale(flatLsr);
    flatLayer.forward(tf.ones([3, 2]));
    expect(values(flatLsr.scale.variable)).toEqual([1]);
    // both constant (zero weights, and sign inputs all alike): the float start wins, α = 0
    const deadLayer = new Linear(2, 2, { rng: new Rng(1), bias: false, init: 'zeros' });
    deadLayer.setWeightQuantizer(new SteSign());
    deadLayer.setInputQuantizer(new SteSign());
    const deadLsr = new LayerScaleRecovery();
    deadLayer.setOutputScale(deadLsr);
    expect(values(deadLayer.forward(tf.ones([3, 2]))).map(Math.abs)).toEqual(new Array(6).fill(0));
    expect(values(deadLsr.scale.variable)).toEqual([0]);
  });

  it('binary and binary-ema keep the T-Nets\' identity start (LSR on "transforms"); xnor keeps it by its zero scale', () => {
    const clouds = tf.randomNormal([4, 32, 3], 0, 1, 'float32', 3) as tf.Tensor3D;
    for (const preset of ['binary', 'binary-ema', 'xnor', 'bipointnet']) {
      const model = createModel('pointnet', { rng: new Rng(2), numClasses: 4 }) as PointNet;
      expect(applyPolicy(model, resolvePolicy(preset)).warnings).toEqual([]);
      model.train();
      model.forward({ inputs: clouds }); // initializes LSR from this batch
      const matrices = values(model.inputTnet!.forward(clouds).matrix);
      const identity = values(tf.tile(tf.reshape(tf.eye(3), [1, 3, 3]), [4, 1, 1]));
      matrices.forEach((v, i) => expect(v, `${preset} [${i}]`).toBeCloseTo(identity[i]!, 5));
    }
    // without the rule, sign(0) = +1 makes every entry of the transform the sum of 256 signs
    const plain = createModel('pointnet', { rng: new Rng(2), numClasses: 4 }) as PointNet;
    applyPolicy(plain, { layers: [{ match: '*', weights: 'ste_sign', activations: 'ste_sign' }, { match: ['first', 'last'], weights: 'fp', activations: 'fp' }], model: { entropyMaximizingPool: true, hiddenActivation: 'none' } });
    plain.train();
    expect(Math.max(...values(plain.inputTnet!.forward(clouds).matrix).map(Math.abs))).toBeGreaterThan(2);
    // a model without T-Nets: the preset's "transforms" rule matches nothing, silently
    expect(applyPolicy(vanilla(), resolvePolicy('binary-ema')).warnings).toEqual([]);
  });

  it('LSR is learned where the output goes on unnormalized (T-Net transform) and frozen where BatchNorm follows', () => {
    const model = createModel('pointnet', { rng: new Rng(2), numClasses: 4 });
    applyPolicy(model, resolvePolicy('bipointnet'));
    const scales = new Map(
      model
        .namedModules()
        .filter(([, m]) => m instanceof LayerScaleRecovery)
        .map(([path, m]) => [path, (m as LayerScaleRecovery).scale.trainable]),
    );
    expect(scales.get('encoder2.2.linear.outputScale')).toBe(false);
    expect(scales.get('head.fc1.linear.outputScale')).toBe(false);
    expect(scales.get('inputTnet.transform.outputScale')).toBe(true);
    expect([...scales.values()].filter(Boolean)).toHaveLength(2); // the two T-Nets' transform layers
    // BatchNorm cancels α: the block's training output is the same for any positive α
    const block = new LinearBnAct(8, 6, { rng: new Rng(3), activation: 'none' });
    block.linear.setWeightQuantizer(new SteSign());
    block.linear.setOutputScale(new LayerScaleRecovery({ learned: false }));
    const x = tf.randomNormal([32, 8], 0, 1, 'float32', 5);
    block.train();
    const first = values(block.forward(x));
    (block.linear.outputScale as LayerScaleRecovery).scale.assign(tf.scalar(37));
    const second = values(block.forward(x));
    second.forEach((v, i) => expect(v).toBeCloseTo(first[i]!, 3));
  });

  it('thresholdSpread: the BatchNorm after the layer starts with shifts uniform in ±spread, seeded', () => {
    const policy = { extends: 'bipointnet', layers: [{ match: ['first', 'last'], thresholdSpread: 2.5 }] };
    const shiftsOf = (seed: number) => {
      const model = vanilla();
      const report = applyPolicy(model, policy, { rng: new Rng(seed) });
      const block = (model as PointNet).encoder1.layers[0]!;
      return { shifts: values(block.bn!.beta.variable), report, other: values((model as PointNet).encoder1.layers[1]!.bn!.beta.variable) };
    };
    const { shifts, report, other } = shiftsOf(4);
    expect(shifts.every((v) => Math.abs(v) <= 2.5)).toBe(true);
    expect(Math.max(...shifts.map(Math.abs))).toBeGreaterThan(1.5);
    expect(new Set(shifts).size).toBe(shifts.length);
    expect(other.every((v) => v === 0)).toBe(true); // only the matched layer's BatchNorm
    expect(shiftsOf(4).shifts).toEqual(shifts);
    expect(shiftsOf(5).shifts).not.toEqual(shifts);
    // the class layer has no BatchNorm after it: a warning, not a silent no-op
    expect(report.warnings.join('\n')).toMatch(/head\.classifier: thresholdSpread needs a BatchNorm after the layer/);
    expect(configError(() => parsePolicy({ layers: [{ match: '*', thresholdSpread: -1 }] })).path).toBe('compress.layers.0.thresholdSpread');
  });

  it('flip ratio: fraction of binary codes that changed since the last call', () => {
    const model = vanilla();
    applyPolicy(model, resolvePolicy('binary'));
    const flips = new FlipRatio(model);
    expect(flips.trackedLayers().map(([name]) => name)).not.toContain(model.firstLayer);
    expect(flips.update().total).toBeNull();
    expect(flips.update().total).toBe(0);
    const [name, layer] = flips.trackedLayers()[0]!; // 64×64
    const w = values(layer.weight.variable);
    w[0] = -w[0]! || 1;
    w[1] = -w[1]! || 1;
    layer.weight.assign(tf.tensor(w, layer.weight.shape));
    const result = flips.update();
    expect(result.layers[name]).toBeCloseTo(2 / 4096, 10);
    const tracked = flips.trackedLayers().reduce((sum, [, l]) => sum + l.weight.size, 0);
    expect(result.total).toBeCloseTo(2 / tracked, 10);
    flips.dispose();
  });
});
