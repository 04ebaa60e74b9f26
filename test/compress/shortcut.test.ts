import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { applyPolicy } from '../../src/compress/policy.ts';
import { resolvePolicy } from '../../src/compress/resolve.ts';
import { summarizeModel } from '../../src/compress/summary.ts';
import { channelShortcut, LinearBnAct } from '../../src/models/blocks/shared-mlp.ts';
import type { PointNet } from '../../src/models/pointnet.ts';
import { createModel } from '../../src/models/registry.ts';
import { Rng } from '../../src/util/rng.ts';
import { values } from './helpers.ts';

const compact = () => createModel('pointnet-vanilla', { rng: new Rng(3), numClasses: 4, encoder: [[8], [16, 32]] }) as PointNet;

describe('real-valued shortcuts (Bi-Real Net) around binarized blocks', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('repeats channels for a wider output and averages channel groups for a narrower one', () => {
    const x = tf.tensor2d([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    expect(values(channelShortcut(x, 4))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // output channel j reads input channel j mod 4
    expect(values(channelShortcut(x, 8))).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8]);
    // output channel j is the mean of input channels j and j + 2
    expect(values(channelShortcut(x, 2))).toEqual([2, 3, 6, 7]);
    expect(() => channelShortcut(x, 3)).toThrow(/from 4 to 3 channels/);
  });

  it('passes the gradient of a repeat back as the sum over the copies', () => {
    const x = tf.tensor2d([[1, -2]]);
    const weights = tf.tensor2d([[1, 10, 100, 1000]]);
    const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(channelShortcut(input, 4), weights)))(x);
    expect(values(grad)).toEqual([101, 1010]);
  });

  it('bipointnet-shortcut adds the block input to every binarized block, and nothing else changes', () => {
    const model = compact();
    const report = applyPolicy(model, resolvePolicy('bipointnet-shortcut'), { rng: new Rng(1) });
    // encoder1.0 reads xyz in float: no shortcut there; the classifier is not a block
    expect(report.model.shortcuts).toEqual(['encoder2.0', 'encoder2.1', 'head.fc1', 'head.fc2']);
    expect(model.encoder1.layers[0]!.shortcut).toBe(false);
    expect(report.warnings).toEqual([]);
    // no weights: the summary's sizes are bipointnet-dither's, with a note
    const summary = summarizeModel(model, { report });
    expect(summary.notes.at(-1)).toMatch(/^real-valued shortcuts around 4 blocks \(encoder2\.0, encoder2\.1, head\.fc1, head\.fc2\)/);
    const plainModel = compact();
    const plainReport = applyPolicy(plainModel, resolvePolicy('bipointnet-dither'), { rng: new Rng(1) });
    expect(summary.packed_bytes).toBe(summarizeModel(plainModel, { report: plainReport }).packed_bytes);

    // block output = BN(linear(sign x)) + repeat(x): check against the block without its shortcut
    const block = model.encoder2.layers[1]!;
    const x = tf.randomNormal([2, 5, 16], 0, 1, 'float32', 7);
    const withShortcut = values(block.forward(x));
    block.shortcut = false;
    const plain = values(block.forward(x));
    const repeated = values(tf.concat([x, x], -1));
    withShortcut.forEach((v, i) => expect(v).toBeCloseTo(plain[i]! + repeated[i]!, 5));
  });

  it('is off unless asked for: bipointnet leaves every block without one', () => {
    const model = compact();
    const report = applyPolicy(model, resolvePolicy('bipointnet-dither'), { rng: new Rng(1) });
    expect(report.model.shortcuts).toEqual([]);
    const blocks = model.namedModules().filter(([, m]) => m instanceof LinearBnAct);
    expect(blocks.every(([, m]) => !(m as LinearBnAct).shortcut)).toBe(true);
    // the resolved form has no realShortcuts key, so the config hashes of existing runs stay put
    expect('realShortcuts' in resolvePolicy('bipointnet-dither').model).toBe(false);
    expect(resolvePolicy('bipointnet-shortcut').model.realShortcuts).toBe(true);
  });

  it('leaves out blocks whose widths no parameter-free shortcut connects, and says which', () => {
    const model = createModel('pointnet-vanilla', { rng: new Rng(3), numClasses: 4, encoder: [[8], [12, 32]] });
    const report = applyPolicy(model, { extends: 'bipointnet-shortcut' }, { rng: new Rng(1) });
    expect(report.model.shortcuts).toEqual(['head.fc1', 'head.fc2']);
    expect(report.warnings).toContain('realShortcuts: no shortcut for encoder2.0 (8→12), encoder2.1 (12→32): neither width divides the other');
    // PointNet with T-Nets: encoder1.0 reads the transformed xyz and stays float ("first"), so it
    // needs no shortcut; a policy that binarizes its input gets the warning
    const full = createModel('pointnet', { rng: new Rng(3), numClasses: 4 });
    const fullReport = applyPolicy(full, resolvePolicy('bipointnet-shortcut'), { rng: new Rng(1) });
    expect(fullReport.warnings.join('\n')).not.toMatch(/encoder1\.0/);
    expect(fullReport.model.shortcuts).toContain('encoder2.2');
    const binaryInput = createModel('pointnet', { rng: new Rng(3), numClasses: 4 });
    const binaryReport = applyPolicy(binaryInput, { extends: 'bipointnet-shortcut', layers: [{ match: 'encoder1.0.linear', activations: 'ste_sign' }] }, { rng: new Rng(1) });
    expect(binaryReport.warnings.join('\n')).toMatch(/encoder1\.0 \(3→64\)/);
  });

  it('warns when no block has a quantized input', () => {
    const report = applyPolicy(compact(), { model: { realShortcuts: true } });
    expect(report.warnings).toContain('realShortcuts: no Linear–BN block of the model has a quantized input');
  });
});
