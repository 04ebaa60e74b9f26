import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { parseCommandArgs, type CommandContext } from '../../src/cli/command.ts';
import { summaryCommand } from '../../src/cli/summary.ts';
import { applyPolicy } from '../../src/compress/policy.ts';
import { resolvePolicy } from '../../src/compress/resolve.ts';
import { formatSummary, packedWeightBits, summarizeModel, type ModelSummary } from '../../src/compress/summary.ts';
import { createModel } from '../../src/models/registry.ts';
import { FormatError, UsageError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { pruneUnstructured } from '../../src/compress/prune/masks.ts';
import { captureModelState, saveCheckpoint } from '../../src/train/checkpoint.ts';

async function runSummary(argv: string[]): Promise<{ status: number; out: string; log: string }> {
  let out = '';
  let log = '';
  const ctx: CommandContext = {
    ...(await parseCommandArgs(summaryCommand, argv)),
    out: (text) => (out += `${text}\n`),
    log: (text) => (log += `${text}\n`),
  };
  const status = await summaryCommand.run(ctx);
  return { status, out, log };
}

function summaryOf(policy: string, points = 1024): ModelSummary {
  const model = createModel('pointnet-vanilla', { rng: new Rng(1), numClasses: 40 });
  const report = applyPolicy(model, resolvePolicy(policy), { rng: new Rng(1) });
  const summary = summarizeModel(model, { points, report });
  model.dispose();
  return summary;
}

describe('summary', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('packed bits: dense codes, a bitmap for pruned layers when smaller, never dense for pruned binary', () => {
    expect(packedWeightBits(100, 2, 0.5, false)).toEqual({ bits: 200, encoding: 'dense' });
    expect(packedWeightBits(100, 32, 0.9, true)).toEqual({ bits: 100 + 10 * 32, encoding: 'bitmap' });
    expect(packedWeightBits(100, 32, 0.01, true)).toEqual({ bits: 3200, encoding: 'dense' });
    expect(packedWeightBits(100, 1, 0.5, true)).toEqual({ bits: 150, encoding: 'bitmap' });
    expect(packedWeightBits(100, 1, 0, true)).toEqual({ bits: 100, encoding: 'dense' });
    expect(packedWeightBits(100, 2, 0.9, true)).toEqual({ bits: 110, encoding: 'bitmap' });
  });

  it('bipointnet on vanilla PointNet: ≥ 18× smaller than float32, with BatchNorm counted', () => {
    const s = summaryOf('bipointnet');
    // weights + biases + BatchNorm (4 vectors × 2112 channels)
    expect(s.total_params).toBe(3 * 64 + 64 * 64 + 64 * 64 + 64 * 128 + 128 * 1024 + 1024 * 512 + 512 * 256 + 256 * 40 + 40 + 4 * 2112);
    expect(s.float32_bytes).toBe(s.total_params * 4);
    const binaryWeights = 64 * 64 * 2 + 64 * 128 + 128 * 1024 + 1024 * 512 + 512 * 256;
    const fpBytes = (3 * 64 + 256 * 40 + 40) * 4;
    expect(s.packed_bytes).toBe(binaryWeights / 8 + fpBytes + 2112 * 4 * 4 + 6 * 4);
    expect(s.compression_ratio).toBeGreaterThanOrEqual(18);
    expect(s.other.every((o) => o.type === 'BatchNorm')).toBe(true);
    const layer = s.layers.find((l) => l.name === 'encoder2.2.linear')!;
    expect(layer).toMatchObject({ weight_bits: 1, activation_bits: 1, bits_per_weight: 1, output_scale: 'lsr', scale_params: 1, encoding: 'dense' });
    // per-point layers scale with points, the head does not
    expect(layer.macs).toEqual({ w1a1: 1024 * 128 * 1024 });
    expect(s.layers.find((l) => l.name === 'head.fc1.linear')!.macs).toEqual({ w1a1: 1024 * 512 });
    expect(s.macs['w32a32']).toBe(1024 * 3 * 64 + 256 * 40);
    expect(summaryOf('bipointnet', 256).macs['w32a32']).toBe(256 * 3 * 64 + 256 * 40);
  });

  it('ternary zeros are sparsity but cost no extra bits; pruning targets count as reached', () => {
    const twn = summaryOf('ternary-twn');
    const hidden = twn.layers.filter((l) => l.weight_bits === 2);
    expect(hidden).toHaveLength(6);
    for (const layer of hidden) {
      expect(layer.sparsity).toBeGreaterThan(0.2);
      expect(layer.bits_per_weight).toBe(2);
      expect(layer.scale_params).toBe(1);
    }
    const pruned = summaryOf('prune-90');
    expect(pruned.layers[0]!.sparsity).toBe(0);
    for (const layer of pruned.layers.slice(1)) {
      expect(layer.measured_sparsity).toBe(0);
      expect(layer.sparsity).toBe(0.9);
      expect(layer.encoding).toBe('bitmap');
      expect(layer.bits_per_weight).toBeCloseTo(1 + 0.1 * 32, 2);
    }
    expect(pruned.compression_ratio).toBeGreaterThan(5);
    const int4 = summaryOf('int4');
    expect(int4.macs['w4a4']).toBeGreaterThan(0);
    expect(int4.layers[1]!.scale_params).toBe(64 + 1); // per-channel weight steps + the activation step
  });

  it('CLI: --json gives one object with layers and the totals; text shows the ratio', async () => {
    const json = await runSummary(['--model', 'pointnet-vanilla', '--compress', 'bipointnet', '--points', '64', '--json']);
    expect(json.status).toBe(0);
    const parsed = JSON.parse(json.out) as ModelSummary;
    expect(Object.keys(parsed)).toEqual(expect.arrayContaining(['layers', 'total_params', 'packed_bytes', 'float32_bytes', 'compression_ratio']));
    expect(parsed.compression_ratio).toBeGreaterThanOrEqual(18);
    expect(parsed.points).toBe(64);
    const text = await runSummary(['--model', 'pointnet-vanilla', '--compress', 'xnor', '--points', '64']);
    expect(text.out).toMatch(/compression ratio\s+\d+\.\d\d×/);
    expect(text.out).toMatch(/ste_sign\(α\/channel\)/);
    expect(formatSummary(parsed).split('\n').length).toBeGreaterThan(10);
    await expect(runSummary([])).rejects.toThrow(UsageError);
    await expect(runSummary(['--run', 'x', '--model', 'pointnet'])).rejects.toThrow(UsageError);
  });

  it('CLI --run reads model and compress from config.json, and says clearly when they are missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitpoint-run-'));
    await expect(runSummary(['--run', dir])).rejects.toThrow(/config\.json: missing/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model: 'pointnet-vanilla', dataset: 'synth-cls' }));
    await expect(runSummary(['--run', dir])).rejects.toThrow(FormatError);
    await expect(runSummary(['--run', dir])).rejects.toThrow(/'model' and 'compress'/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model: 'pointnet-vanilla', compress: 'ternary-twn', points: 32 }));
    mkdirSync(join(dir, 'checkpoints'));
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ spec: { modelOptions: { numClasses: 10 } } }));
    const result = await runSummary(['--run', dir, '--json']);
    const parsed = JSON.parse(result.out) as ModelSummary;
    expect(parsed.policy).toBe('ternary-twn');
    expect(parsed.points).toBe(32);
    expect(parsed.layers.at(-1)!.shape).toEqual([256, 10]);
    expect(result.log).toMatch(/no checkpoint/);

    // with a checkpoint, sparsity is measured on its weights and masks
    const policy = { extends: 'ternary-twn', layers: [{ match: 'head.fc1.linear', prune: { sparsity: 0.5 } }] };
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model: 'pointnet-vanilla', compress: policy, points: 32 }));
    const trained = createModel('pointnet-vanilla', { rng: new Rng(7), numClasses: 10 });
    applyPolicy(trained, resolvePolicy(policy));
    const fc1 = trained.weightLayers().find(([name]) => name === 'head.fc1.linear')![1];
    pruneUnstructured(fc1, 0.75, 'magnitude');
    await saveCheckpoint(join(dir, 'checkpoints', 'last.safetensors'), { tensors: captureModelState(trained) });
    const loaded = await runSummary(['--run', dir, '--json']);
    const fc1Summary = (JSON.parse(loaded.out) as ModelSummary).layers.find((l) => l.name === 'head.fc1.linear')!;
    expect(fc1Summary.pruning_target).toBe(0.5);
    expect(fc1Summary.measured_sparsity).toBeGreaterThanOrEqual(0.75);
    expect(loaded.log).toMatch(/loaded \d+ tensors/);
  });

  it('CLI --run rebuilds the run\'s own model: categories and encoder widths from model.json, else config.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitpoint-run-'));
    const encoder = [[32], [48, 96]];
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model: 'pointnet-seg', compress: 'fp', points: 64, modelOptions: { encoder } }));
    const fromConfig = JSON.parse((await runSummary(['--run', dir, '--json', '--classes', '6'])).out) as ModelSummary;
    expect(fromConfig.layers.find((l) => l.name === 'encoder2.1.linear')!.shape).toEqual([48, 96]);

    writeFileSync(join(dir, 'model.json'), JSON.stringify({ spec: { modelOptions: { numClasses: 6, numCategories: 3, inputChannels: 3, encoder } } }));
    const trained = createModel('pointnet-seg', { rng: new Rng(2), numClasses: 6, numCategories: 3, encoder: [[32], [48, 96]] });
    mkdirSync(join(dir, 'checkpoints'));
    await saveCheckpoint(join(dir, 'checkpoints', 'best.safetensors'), { tensors: captureModelState(trained) });
    trained.dispose();
    const result = await runSummary(['--run', dir, '--json']);
    const layers = (JSON.parse(result.out) as ModelSummary).layers;
    expect(layers.find((l) => l.name === 'head.0.linear')!.shape).toEqual([32 + 96 + 3, 512]);
    expect(layers.at(-1)!.shape).toEqual([128, 6]);
    expect(result.log).toMatch(/loaded \d+ tensors from .*best\.safetensors$/m);
  });
});
