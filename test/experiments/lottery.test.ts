import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { maskFromScores } from '../../src/compress/prune/masks.ts';
import { runSweep } from '../../src/experiments/runner.ts';
import { ResultsStore } from '../../src/experiments/store.ts';
import { expandStudy, parseStudy } from '../../src/experiments/study.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';

/**
 * Lottery tickets through the sweep runner, for real on a tiny data set: the dense network is
 * trained once and shared, the ticket is the magnitude mask of its trained weights, the rewound
 * run restarts from the dense run's initial weights and the reinit run from another draw.
 */
describe('lottery-ticket procedures', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-lottery-'));
  const data = join(work, 'ModelNet-tiny');
  const out = join(work, 'runs');
  const oneShot = (sparsity: number) => ({
    name: 'ticket',
    layers: [{ match: '*', prune: { method: 'magnitude', scope: 'layer', sparsity, schedule: 'one-shot' } }, { match: 'first', prune: null }],
  });

  beforeAll(() => {
    cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true });
  });

  it('trains the dense network once, prunes it by magnitude and retrains from rewound or fresh weights', async () => {
    const study = parseStudy({
      name: 'lottery',
      question: 'Do lottery tickets need their original initialization?',
      base: { points: 32, epochs: 1, batchSize: 2, workers: 0, backend: 'wasm', augment: false, schedule: { name: 'constant', lr: 0.01 } },
      tasks: [{ label: 'cls', model: 'pointnet-vanilla', dataset: data }],
      methods: [
        { label: 'rewind-50', compress: oneShot(0.5), sparsity: 0.5, procedure: 'lottery-rewind' },
        { label: 'reinit-50', compress: oneShot(0.5), sparsity: 0.5, procedure: 'lottery-reinit' },
      ],
      seeds: [3],
    });
    const runs = expandStudy(study);
    const summary = await runSweep(runs, { outDir: out, log: () => {} });
    expect(summary.failures).toEqual([]);
    expect(summary.completed).toBe(2);

    const dense = readdirSync(out).filter((name) => name.startsWith('lottery-dense-'));
    expect(dense).toHaveLength(1); // shared by both procedures
    const denseWeights = (await loadCheckpoint(join(out, dense[0]!, 'checkpoints', 'last.safetensors'))).tensors;

    for (const run of runs) {
      const record = JSON.parse(readFileSync(join(out, run.name, 'lottery.json'), 'utf8')) as { procedure: string; start: string; layers: Record<string, { sparsity: number }> };
      expect(record.procedure).toBe(run.method.procedure);
      expect(record.start).toMatch(run.method.procedure === 'lottery-rewind' ? /initial weights \(seed 3\)/ : /fresh draw/);
      expect(Object.keys(record.layers).length).toBeGreaterThan(2);
      // The trained sparse network keeps the ticket: its mask is the magnitude mask of the dense weights.
      const trained = (await loadCheckpoint(join(out, run.name, 'checkpoints', 'last.safetensors'))).tensors;
      const layer = Object.keys(record.layers)[1]!;
      const denseValues = denseWeights.get(`${layer}.weight`)!.data;
      const expected = maskFromScores(Float64Array.from(denseValues, Math.abs), Math.round(0.5 * denseValues.length));
      expect(Array.from(trained.get(`${layer}.mask`)!.data)).toEqual(Array.from(expected));
      const weights = trained.get(`${layer}.weight`)!.data;
      expect(weights.every((w, i) => expected[i] === 1 || w === 0)).toBe(true);
    }

    const store = ResultsStore.open(join(out, 'results.sqlite'), { readonly: true });
    const rows = store.runs();
    store.close();
    expect(rows.map((r) => [r.method, r.procedure, r.status])).toEqual([
      ['rewind-50', 'lottery-rewind', 'completed'],
      ['reinit-50', 'lottery-reinit', 'completed'],
    ]);
    for (const row of rows) expect(row.measured_sparsity!).toBeGreaterThan(0.4);
    expect(existsSync(join(out, dense[0]!, 'result.json'))).toBe(true);
  }, 600_000);
});
