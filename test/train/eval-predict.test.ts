import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePly, plyToPointCloud } from '../../src/data/formats/ply/index.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'bin/bitpoint.js');
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: repo, encoding: 'utf8' });

describe('eval and predict on a trained run', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-eval-'));
  const data = join(work, 'ModelNet-tiny');
  const runDir = join(work, 'run');

  beforeAll(() => {
    cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true });
    execFileSync(process.execPath, [cli, 'train', '--model', 'pointnet-vanilla', '--dataset', data, '--points', '64', '--batch-size', '2', '--epochs', '1', '--workers', '0', '--out', runDir], {
      cwd: repo,
      stdio: 'ignore',
    });
  });

  it('eval --json prints one object with the accuracies and the confusion matrix', () => {
    const result = run(['eval', '--run', runDir, '--json']);
    expect(result.status).toBe(0);
    const evaluation = JSON.parse(result.stdout);
    expect(evaluation.task).toBe('classification');
    expect(evaluation.samples).toBe(2);
    expect(evaluation.class_names).toEqual(['box', 'cone']);
    const correct = evaluation.confusion_matrix[0][0] + evaluation.confusion_matrix[1][1];
    expect(evaluation.overall_accuracy).toBeCloseTo(correct / 2, 12);
  });

  it('eval --engine runs the packed model on the same clouds and reports how far it is from tfjs', () => {
    const result = run(['eval', '--run', runDir, '--engine', '--json']);
    expect(result.status).toBe(0);
    const evaluation = JSON.parse(result.stdout);
    const engine = evaluation.engine;
    expect(engine.prediction_agreement).toBe(1);
    expect(engine.overall_accuracy).toBe(evaluation.overall_accuracy);
    expect(engine.packed_bytes).toBeGreaterThan(0);
    // a float model: only the summation order differs
    expect(engine.max_logit_relative_difference).toBeLessThan(1e-4);
    expect(['box/test/box_0003', 'cone/test/cone_0003']).toContain(engine.worst_sample);
  });

  it('predict writes the cloud with pred and per-class probabilities as PLY vertex properties', () => {
    const out = join(work, 'pred.ply');
    const result = run(['predict', '--run', runDir, '--input', join(data, 'cone/test/cone_0003.off'), '--out', out, '--json']);
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout);
    const cloud = plyToPointCloud(parsePly(readFileSync(out), out), out);
    expect(cloud.points.length / 3).toBe(64);
    const pred = cloud.attributes!['pred']!.values;
    expect(Array.from(pred).every((v) => v === summary.predicted_class)).toBe(true);
    const pBox = cloud.attributes!['prob_box']!.values[0]!;
    const pCone = cloud.attributes!['prob_cone']!.values[0]!;
    expect(pBox + pCone).toBeCloseTo(1, 5);
    expect(summary.probability).toBeCloseTo(Math.max(pBox, pCone), 5);
  });

  it('a missing run folder or input file is one clear line and exit status 1', () => {
    const missingRun = run(['eval', '--run', join(work, 'nope')]);
    expect(missingRun.status).toBe(1);
    expect(missingRun.stderr.trim().split('\n')).toHaveLength(1);
    expect(missingRun.stderr).toMatch(/model\.json.*missing/);
    const missingInput = run(['predict', '--run', runDir, '--input', join(work, 'absent.ply'), '--out', join(work, 'x.ply')]);
    expect(missingInput.status).toBe(1);
    expect(missingInput.stderr).toMatch(/absent\.ply/);
  });

  it('export writes a packed model; predict --model gives the same class and probabilities on the engine', () => {
    const packed = join(work, 'model.bitpoint');
    const exported = run(['export', '--run', runDir, '--out', packed, '--json']);
    expect(exported.status).toBe(0);
    const sizes = JSON.parse(exported.stdout);
    expect(sizes.packed_bytes).toBe(readFileSync(packed).length);
    expect(sizes.compression_ratio).toBeGreaterThan(0.9);
    const input = join(data, 'cone/test/cone_0003.off');
    const viaRun = JSON.parse(run(['predict', '--run', runDir, '--input', input, '--out', join(work, 'a.ply'), '--json']).stdout);
    const viaEngine = run(['predict', '--model', packed, '--input', input, '--out', join(work, 'b.ply'), '--json']);
    expect(viaEngine.status).toBe(0);
    const engineSummary = JSON.parse(viaEngine.stdout);
    expect(engineSummary.predicted_class).toBe(viaRun.predicted_class);
    expect(engineSummary.probability).toBeCloseTo(viaRun.probability, 4);
  });

  it('a damaged packed model is one clear line naming the file, exit status 1', () => {
    const packed = join(work, 'model.bitpoint');
    run(['export', '--run', runDir, '--out', packed]);
    const bytes = readFileSync(packed);
    const damaged = join(work, 'damaged.bitpoint');
    writeFileSync(damaged, bytes.subarray(0, bytes.length - 100));
    const result = run(['predict', '--model', damaged, '--input', join(data, 'cone/test/cone_0003.off'), '--out', join(work, 'c.ply')]);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/damaged\.bitpoint.*truncated/);
  });
});
