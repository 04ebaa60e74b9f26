import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/train/run-config.ts';
import { runTraining } from '../../src/train/run.ts';

/** Binary and ternary runs record larq's flip ratio per epoch; full-precision and k-bit runs do not. */
describe('flip ratio in a run’s metrics', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-flips-'));
  const data = join(work, 'ModelNet-tiny');
  cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true });
  const train = (compress: string) =>
    runTraining(parseRunConfig({ model: 'pointnet-vanilla', dataset: data, points: 32, batchSize: 2, epochs: 2, workers: 0, backend: 'wasm', seed: 2, compress, schedule: { name: 'constant', lr: 0.01 } }), {
      outDir: join(work, compress),
      log: () => {},
    });

  it('is the mean fraction of changed codes per step, in (0, 1] while a binary network trains', async () => {
    const result = await train('bipointnet');
    const ratios = result.history.map((m) => m.flip_ratio);
    expect(ratios).toHaveLength(2);
    // At lr 0.01 some of the latent weights near zero cross it in every epoch, but far from all.
    for (const ratio of ratios) {
      expect(ratio).toBeGreaterThan(0);
      expect(ratio).toBeLessThan(0.5);
    }
  });

  it('is absent without binary or ternary weights', async () => {
    const fp = await train('fp');
    expect(fp.history.every((m) => m.flip_ratio === undefined)).toBe(true);
    const int4 = await train('int4');
    expect(int4.history.every((m) => m.flip_ratio === undefined)).toBe(true);
  });
});
