import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/train/run-config.ts';
import { runTraining, type EpochMetrics } from '../../src/train/run.ts';

/**
 * With `validation`, a run holds out part of its training split, evaluates on it and on the test
 * split, and chooses its best checkpoint by the validation metric alone.
 */
describe('a run with a validation set', () => {
  it('trains on the rest, records both evaluations and picks the best epoch by validation', async () => {
    const work = mkdtempSync(join(tmpdir(), 'bitpoint-validation-'));
    const data = join(work, 'ModelNet-tiny');
    cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true });
    const config = parseRunConfig({ model: 'pointnet-vanilla', dataset: data, points: 64, batchSize: 1, epochs: 3, workers: 0, backend: 'wasm', seed: 3, validation: 0.5 });
    const logged: string[] = [];
    const out = join(work, 'run');
    const result = await runTraining(config, { outDir: out, log: (line) => logged.push(line) });

    expect(logged).toContain('validation: 2 of the 4 training samples held out (0.5)');
    const history = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochMetrics);
    expect(history).toHaveLength(3);
    // Two training samples at batch size 1: two steps per epoch.
    expect(result.history.every((m) => m.validation?.samples === 2 && m.test?.samples === 2)).toBe(true);
    const validationAccuracy = history.map((m) => m.validation!.overall_accuracy!);
    const bestEpoch = validationAccuracy.indexOf(Math.max(...validationAccuracy));
    expect(result.best).toEqual({ epoch: bestEpoch, metric: validationAccuracy[bestEpoch], on: 'validation' });
    expect(result.final_validation).toEqual(history[2]!.validation);
    expect(result.final).toEqual(history[2]!.test);
    expect(existsSync(join(out, 'checkpoints', 'best.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).validation).toBe(0.5);
  });
});
