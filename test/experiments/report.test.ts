import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { orderingCheck } from '../../src/cli/demo.ts';
import { histogramOf } from '../../src/experiments/histograms.ts';
import { aggregate, formatPoints, methodFamily, stat } from '../../src/experiments/report/aggregate.ts';
import { writeReport } from '../../src/experiments/report/index.ts';
import { ResultsStore, type StudyInfo, type WeightHistogram } from '../../src/experiments/store.ts';
import { expandStudy, methodReferences, parseStudy, studyInfoOf } from '../../src/experiments/study.ts';
import { Rng } from '../../src/util/rng.ts';

/**
 * The report on a store filled with known numbers (no training): the aggregation is the plain
 * mean and sample std of the rows, every figure kind is drawn, and each SVG rasterizes to a
 * picture with real content. `BITPOINT_KEEP_REPORT=DIR` keeps the PNGs for looking at them.
 */
const study = parseStudy({
  name: 'synthetic',
  question: 'Do the report figures show what the store holds?',
  base: { points: 64, epochs: 4 },
  tasks: [
    { label: 'pointnet-cls', model: 'pointnet-vanilla', dataset: 'synth-cls' },
    { label: 'pointnet-seg', model: 'pointnet-seg', dataset: 'synth-seg' },
  ],
  methods: [
    { label: 'fp', compress: 'fp', bits: 32 },
    { label: 'int4', compress: 'int4', bits: 4, activationBits: 4 },
    { label: 'ternary', compress: 'ternary-twn', bits: 1.58 },
    { label: 'binary', compress: 'bipointnet', bits: 1, activationBits: 1 },
    { label: 'prune-50', compress: 'prune-50', sparsity: 0.5 },
    { label: 'prune-90', compress: 'prune-90', sparsity: 0.9 },
  ],
  initializers: ['he_normal', 'laplace'],
  seeds: [1, 2, 3],
});

/** A made-up but plausible accuracy: fewer bits and more pruning cost accuracy; seeds add noise. */
function accuracyOf(task: string, method: string, initializer: string, seed: number): number {
  const base = task === 'pointnet-cls' ? 0.86 : 0.74;
  const cost: Record<string, number> = { fp: 0, int4: 0.01, ternary: 0.04, binary: 0.15, 'prune-50': 0.005, 'prune-90': 0.05 };
  return base - cost[method]! - (initializer === 'laplace' ? 0.02 : 0) + ((seed * 37) % 7) / 700;
}

function fakeHistograms(bits: number, sparsity: number, seed: number): WeightHistogram[] {
  const rng = new Rng(seed);
  const n = 4000;
  const initial = Float32Array.from({ length: n }, () => rng.normal() * 0.1);
  const latent = Float32Array.from(initial, (v) => v * 1.3 + rng.normal() * 0.02);
  const threshold = [...latent].map(Math.abs).sort((a, b) => a - b)[Math.floor(sparsity * n)] ?? 0;
  const effective = Float32Array.from(latent, (v) => {
    if (Math.abs(v) < threshold) return 0;
    if (bits === 1) return Math.sign(v) * 0.1;
    if (bits < 2) return Math.abs(v) < 0.07 ? 0 : Math.sign(v) * 0.12;
    if (bits === 4) return Math.round(v / 0.04) * 0.04;
    return v;
  });
  return [
    histogramOf('*', 'initial', 'test', initial),
    histogramOf('*', 'latent', 'test', latent),
    histogramOf('*', 'effective', 'test', effective),
  ];
}

/** Three classes of 100 test samples: binary confuses cone and pyramid (20 + seed errors), the others 5; every method sends 2 boxes to cone. */
function confusionOf(method: string, seed: number): { class_names: string[]; confusion_matrix: number[][] } {
  const mixed = method === 'binary' ? 20 + seed : 5;
  const coneAsPyramid = Math.ceil(mixed / 2);
  const pyramidAsCone = mixed - coneAsPyramid;
  return {
    class_names: ['box', 'cone', 'pyramid'],
    confusion_matrix: [
      [98, 2, 0],
      [0, 100 - coneAsPyramid, coneAsPyramid],
      [0, pyramidAsCone, 100 - pyramidAsCone],
    ],
  };
}

function fillStore(file: string): void {
  const store = ResultsStore.open(file);
  const runs = expandStudy(study);
  store.plan(runs);
  store.setStudyInfo('synthetic', { name: 'synthetic', question: study.question, description: study.description, reference: 'fp', quick: false });
  for (const run of runs) {
    if (run.task.label === 'pointnet-seg' && run.method.label === 'binary' && run.seed === 3) {
      store.markRunning(run.configHash, `runs/${run.name}`);
      store.recordFailed(run.configHash, 'loss became NaN at step 12', 3);
      continue;
    }
    const accuracy = accuracyOf(run.task.label, run.method.label, run.initializer.label, run.seed);
    const segmentation = run.task.label === 'pointnet-seg';
    const final = segmentation
      ? { task: 'segmentation' as const, samples: 100, instance_miou: accuracy, class_miou: accuracy - 0.03 }
      : { task: 'classification' as const, samples: 300, overall_accuracy: accuracy, mean_class_accuracy: accuracy - 0.01, ...confusionOf(run.method.label, run.seed) };
    store.markRunning(run.configHash, `runs/${run.name}`);
    store.recordCompleted(run.configHash, {
      task: final.task,
      environment: { backend: 'wasm' },
      final,
      best: { epoch: 3, metric: accuracy },
      history: [0, 1, 2, 3].map((epoch) => ({
        epoch,
        train_loss: 2.5 / (epoch + 1) + (run.method.bits < 2 ? 0.4 : 0),
        train_accuracy: accuracy * (0.6 + epoch * 0.1),
        learning_rate: 0.001,
        samples_per_s: 100,
        seconds: 10,
        test: segmentation ? { ...final, instance_miou: accuracy * (0.7 + epoch * 0.1) } : { ...final, overall_accuracy: accuracy * (0.7 + epoch * 0.1) },
      })),
      epochs: 4,
      durationSeconds: 40 + run.seed,
      compression: { packedBytes: Math.round(3_000_000 * Math.min(1, run.method.bits / 32) * (1 - run.method.sparsity * 0.9)), float32Bytes: 3_000_000, compressionRatio: null, measuredSparsity: run.method.sparsity, summary: null },
      histograms: fakeHistograms(run.method.bits, run.method.sparsity, run.seed),
    });
  }
  store.close();
}

function inkAndVariance(svg: string, name: string): { width: number; ink: number; variance: number } {
  const png = new Resvg(svg, { background: '#ffffff', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' } }).render();
  let ink = 0;
  let sum = 0;
  let sumSquares = 0;
  const pixels = png.pixels;
  for (let i = 0; i < pixels.length; i += 4) {
    const grey = (pixels[i]! + pixels[i + 1]! + pixels[i + 2]!) / 3;
    sum += grey;
    sumSquares += grey * grey;
    if (grey < 200) ink++;
  }
  const count = pixels.length / 4;
  const keep = process.env['BITPOINT_KEEP_REPORT'];
  if (keep) writeFileSync(join(keep, name.replace(/\.svg$/, '.png')), png.asPng());
  return { width: png.width, ink: ink / count, variance: sumSquares / count - (sum / count) ** 2 };
}


const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'bin/bitpoint.js');
describe('report', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-report-'));
  const db = join(work, 'results.sqlite');
  fillStore(db);

  it('lists each classification method’s most confused class pairs next to the reference’s', async () => {
    const report = await writeReport({ dbFile: db, study: 'synthetic', outDir: join(work, 'report-confusions') });
    // segmentation runs have no confusion matrix, so only the classification task appears
    expect(new Set(report.confusions.map((c) => c.task_label))).toEqual(new Set(['pointnet-cls']));
    const binary = report.confusions.find((c) => c.method === 'binary' && c.initializer === 'he_normal')!;
    expect(binary.runs).toBe(3);
    expect(binary.errorsPerRun).toBeCloseTo(22 + 2, 10); // (21 + 22 + 23) / 3 pair errors, 2 boxes
    expect(binary.pairs[0]).toEqual({ classes: ['cone', 'pyramid'], perRun: 22, referencePerRun: 5 });
    expect(binary.pairs[1]).toEqual({ classes: ['box', 'cone'], perRun: 2, referencePerRun: 2 });
    expect(binary.pairs).toHaveLength(2);
    const fp = report.confusions.find((c) => c.method === 'fp' && c.initializer === 'he_normal')!;
    expect(fp.pairs[0]).toEqual({ classes: ['cone', 'pyramid'], perRun: 5, referencePerRun: null });
    const markdown = readFileSync(join(work, 'report-confusions', 'report.md'), 'utf8');
    expect(markdown).toContain('## Most confused class pairs');
    expect(markdown).toMatch(/\| pointnet-cls \| binary \| he_normal \| 3 \| 24\.0 \| cone↔pyramid 22\.0 \(fp 5\.0\) \| box↔cone 2\.0 \(fp 2\.0\) \|/);
    expect(readFileSync(join(work, 'report-confusions', 'index.html'), 'utf8')).toContain('cone↔pyramid 22.0 (fp 5.0)');
  });

  it('aggregates the store’s rows: mean and sample std over seeds, retained vs the reference', async () => {
    const report = await writeReport({ dbFile: db, study: 'synthetic', outDir: join(work, 'report') });
    const cell = report.cells.find((c) => c.task_label === 'pointnet-cls' && c.method === 'ternary' && c.initializer === 'laplace')!;
    const values = [1, 2, 3].map((seed) => accuracyOf('pointnet-cls', 'ternary', 'laplace', seed));
    const mean = values.reduce((a, b) => a + b) / 3;
    expect(cell.metric.mean).toBeCloseTo(mean, 12);
    expect(cell.metric.std).toBeCloseTo(Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / 2), 12);
    expect(cell.seeds).toEqual([1, 2, 3]);
    const retained = [1, 2, 3].map((seed) => accuracyOf('pointnet-cls', 'ternary', 'laplace', seed) / accuracyOf('pointnet-cls', 'fp', 'laplace', seed));
    expect(cell.retained!.mean).toBeCloseTo(retained.reduce((a, b) => a + b) / 3, 12);
    // the paired difference: per seed against the reference's run of that seed, then mean ± std
    const differences = [1, 2, 3].map((seed) => accuracyOf('pointnet-cls', 'ternary', 'laplace', seed) - accuracyOf('pointnet-cls', 'fp', 'laplace', seed));
    const meanDifference = differences.reduce((a, b) => a + b) / 3;
    expect(cell.difference!.mean).toBeCloseTo(meanDifference, 12);
    expect(cell.difference!.std).toBeCloseTo(Math.sqrt(differences.reduce((a, v) => a + (v - meanDifference) ** 2, 0) / 2), 12);
    expect(report.cells.find((c) => c.task_label === 'pointnet-cls' && c.method === 'fp' && c.initializer === 'laplace')!.difference).toEqual({ mean: 0, std: 0, n: 3 });
    // the failed run is left out of its cell and listed
    expect(report.cells.find((c) => c.task_label === 'pointnet-seg' && c.method === 'binary' && c.initializer === 'he_normal')!.metric.n).toBe(2);
    const markdown = readFileSync(join(work, 'report', 'report.md'), 'utf8');
    expect(markdown).toMatch(/pointnet-seg__binary__he_normal__s3 \| failed \| 1 \| loss became NaN/);
    // the table's paired column: ternary costs 4 points on every seed
    expect(markdown).toMatch(/\| pointnet-cls \| ternary \| laplace \|[^\n]*\| −4\.00 ± 0\.00 \|/);
    expect(formatPoints({ mean: -0.012, std: 0.008, n: 3 })).toBe('−1.20 ± 0.80');
    expect(formatPoints({ mean: 0.0033, std: 0, n: 1 })).toBe('+0.33');
    expect(formatPoints({ mean: -1e-17, std: 0.0153, n: 3 })).toBe('+0.00 ± 1.53'); // float noise has no sign
    expect(formatPoints(null)).toBe('–');
    expect(markdown).toContain('Do the report figures show what the store holds?');
  });

  it('`only` restricts the report to the given runs (the demo passes its plan)', async () => {
    const fp = expandStudy(study).filter((run) => run.method.label === 'fp');
    const report = await writeReport({ dbFile: db, study: 'synthetic', outDir: join(work, 'report-only'), only: new Set(fp.map((run) => run.configHash)) });
    expect(new Set(report.rows.map((row) => row.method))).toEqual(new Set(['fp']));
    expect(report.rows).toHaveLength(fp.length);
  });

  it('draws every figure kind, and each is a real picture', async () => {
    const out = join(work, 'report');
    const report = await writeReport({ dbFile: db, study: 'synthetic', outDir: out });
    const files = readdirSync(out).filter((f) => f.endsWith('.svg')).sort();
    const heatmaps = ['fp', 'int4', 'ternary', 'binary', 'prune-50', 'prune-90'].flatMap((m) => ['he_normal', 'laplace'].map((i) => `confusion-pointnet-cls-${m}-${i}.svg`));
    expect(files).toEqual([
      'accuracy-vs-bits.svg',
      'accuracy-vs-size-pointnet-cls.svg',
      'accuracy-vs-size-pointnet-seg.svg',
      'accuracy-vs-sparsity-pointnet-cls.svg',
      'accuracy-vs-sparsity-pointnet-seg.svg',
      ...heatmaps.sort(),
      'curves-pointnet-cls.svg',
      'curves-pointnet-seg.svg',
      'weights-pointnet-cls-he_normal.svg',
      'weights-pointnet-cls-laplace.svg',
      'weights-pointnet-seg-he_normal.svg',
      'weights-pointnet-seg-laplace.svg',
    ]);
    expect(report.plots).toHaveLength(files.length);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    for (const file of files) {
      expect(html).toContain(`<img src="${file}"`);
      const picture = inkAndVariance(readFileSync(join(out, file), 'utf8'), file);
      expect(picture.width).toBeGreaterThan(500);
      expect(picture.ink, file).toBeGreaterThan(0.01);
      expect(picture.variance, file).toBeGreaterThan(100);
    }
    // the legend names every series: one line per task, one per initializer
    expect(readFileSync(join(out, 'accuracy-vs-bits.svg'), 'utf8')).toMatch(/pointnet-cls · he_normal[\s\S]*pointnet-seg · laplace/);
    expect(readFileSync(join(out, 'accuracy-vs-sparsity-pointnet-cls.svg'), 'utf8')).toMatch(/>he_normal<[\s\S]*>laplace</);
  });
});

describe('a method with its own reference', () => {
  // binary-long trains as long as fp-long, so it is compared with fp-long, not with the study's fp
  const longFile = {
    name: 'schedules',
    question: 'Is the binary gap smaller at equal training?',
    tasks: [{ label: 'cls', model: 'pointnet-vanilla', dataset: 'synth-cls' }],
    methods: [
      { label: 'fp', compress: 'fp' },
      { label: 'binary', compress: 'bipointnet', bits: 1, activationBits: 1 },
      { label: 'fp-long', compress: 'fp', config: { epochs: 8 } },
      { label: 'binary-long', compress: 'bipointnet', bits: 1, activationBits: 1, config: { epochs: 8 }, reference: 'fp-long' },
    ],
    seeds: [1, 2],
  };
  const long = parseStudy(longFile);
  const accuracy: Record<string, number> = { fp: 0.9, binary: 0.7, 'fp-long': 0.95, 'binary-long': 0.85 };

  /** A store of the study's runs with known accuracies; `recorded` is the study info the sweep wrote. */
  function storeOf(recorded: StudyInfo): { work: string; db: string } {
    const work = mkdtempSync(join(tmpdir(), 'bitpoint-report-references-'));
    const db = join(work, 'results.sqlite');
    const store = ResultsStore.open(db);
    const runs = expandStudy(long);
    store.plan(runs);
    store.setStudyInfo('schedules', recorded);
    for (const run of runs) {
      const value = accuracy[run.method.label]! + run.seed / 300;
      const errors = run.method.label.startsWith('binary') ? 10 : 4;
      const final = { task: 'classification' as const, samples: 200, overall_accuracy: value, mean_class_accuracy: value, class_names: ['cone', 'pyramid'], confusion_matrix: [[100 - errors, errors], [0, 100]] };
      store.markRunning(run.configHash, `runs/${run.name}`);
      store.recordCompleted(run.configHash, { task: 'classification', environment: {}, final, best: { epoch: 0, metric: value }, history: [], epochs: 1, durationSeconds: 1, compression: { packedBytes: null, float32Bytes: null, compressionRatio: null, measuredSparsity: null, summary: null }, histograms: [] });
    }
    store.close();
    return { work, db };
  }

  it('is compared with that method: paired difference, table column and confusion brackets', async () => {
    const { work, db } = storeOf(studyInfoOf(long, false));
    const report = await writeReport({ dbFile: db, study: 'schedules', outDir: join(work, 'report') });
    const cell = (method: string) => report.cells.find((c) => c.method === method)!;
    expect(cell('binary-long').reference).toBe('fp-long');
    expect(cell('binary-long').difference!.mean).toBeCloseTo(0.85 - 0.95, 12);
    expect(cell('binary').reference).toBe('fp');
    expect(cell('binary').difference!.mean).toBeCloseTo(0.7 - 0.9, 12);
    // fp-long has no reference of its own, so it is compared with the study's fp
    expect(cell('fp-long').difference!.mean).toBeCloseTo(0.95 - 0.9, 12);
    const markdown = readFileSync(join(work, 'report', 'report.md'), 'utf8');
    expect(markdown).toContain('| reference | vs reference (points, paired) |');
    expect(markdown).toMatch(/\| cls \| binary-long \|[^\n]*\| fp-long \| −10\.00 ± 0\.00 \|/);
    expect(markdown).toMatch(/\| cls \| binary \|[^\n]*\| fp \| −20\.00 ± 0\.00 \|/);
    expect(report.confusions.find((c) => c.method === 'binary-long')).toMatchObject({ reference: 'fp-long', pairs: [{ classes: ['cone', 'pyramid'], perRun: 10, referencePerRun: 4 }] });
    expect(markdown).toContain('cone↔pyramid 10.0 (fp-long 4.0)');
  });

  it('report --study-file takes the references from the file, not from what the last sweep recorded', () => {
    // the sweep ran before binary-long named its reference
    const { work, db } = storeOf({ ...studyInfoOf(long, false), references: undefined });
    const file = join(work, 'schedules.json');
    writeFileSync(file, JSON.stringify(longFile));
    const report = (args: string[]) => spawnSync(process.execPath, [cli, 'report', '--db', db, ...args, '--json'], { cwd: repo, encoding: 'utf8' });
    const recorded = JSON.parse(report(['--study', 'schedules', '--out', join(work, 'recorded')]).stdout);
    const fromFile = JSON.parse(report(['--study-file', file, '--out', join(work, 'from-file')]).stdout);
    const reference = (cells: Array<{ method: string; reference: string }>) => cells.find((c) => c.method === 'binary-long')!.reference;
    expect(reference(recorded.cells)).toBe('fp');
    expect(reference(fromFile.cells)).toBe('fp-long');
    expect(fromFile.study).toBe('schedules');
    const wrong = report(['--study-file', file, '--study', 'other']);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain("--study 'other': must be the study of");
  });

  it('must be a method of the study', () => {
    const raw = { name: 's', question: 'q', tasks: [{ label: 'cls', model: 'pointnet-vanilla' }], methods: [{ label: 'fp' }, { label: 'binary', compress: 'bipointnet', reference: 'fp-240' }] };
    expect(() => parseStudy(raw)).toThrow(/methods\.1\.reference.*unknown label 'fp-240'/);
    expect(methodReferences(parseStudy({ ...raw, methods: [{ label: 'fp' }] }))).toBeUndefined();
  });
});

describe('helpers', () => {
  it('stat is the mean and the sample standard deviation', () => {
    expect(stat([1, 2, 3, 4])).toEqual({ mean: 2.5, std: Math.sqrt(5 / 3), n: 4 });
    expect(stat([0.5])).toEqual({ mean: 0.5, std: 0, n: 1 });
  });

  it('method families group pruning levels into one line', () => {
    expect(methodFamily('prune-90')).toBe('prune');
    expect(methodFamily('ternary-e2e-50')).toBe('ternary-e2e');
    expect(methodFamily('int4')).toBe('int');
    expect(methodFamily('fp')).toBe('fp');
  });

  it('aggregate ignores unfinished runs', () => {
    expect(aggregate([], { study: 'fp' })).toEqual([]);
  });

  it('the demo’s ordering check tolerates noise but not a clear inversion', () => {
    const cell = (method: string, mean: number) => ({ method, metric: { mean, std: 0, n: 1 } });
    expect(orderingCheck([cell('fp', 0.8), cell('int4', 0.81), cell('ternary', 0.75), cell('binary', 0.6)], ['fp', 'int4', 'ternary', 'binary']).holds).toBe(true);
    const inverted = orderingCheck([cell('fp', 0.5), cell('int4', 0.8), cell('ternary', 0.75), cell('binary', 0.6)], ['fp', 'int4', 'ternary', 'binary']);
    expect(inverted.holds).toBe(false);
    expect(inverted.message).toMatch(/int4 > fp by 30\.0 points/);
  });
});

describe('training curves', () => {
  it('draw each method once per panel, through the epochs every seed has', async () => {
    // fp: seed 1 evaluates every epoch, seed 2 every other one; binary: one seed, every epoch
    const curves = parseStudy({
      name: 'curves',
      question: 'Is each series drawn once?',
      tasks: [{ label: 'cls', model: 'pointnet-vanilla', dataset: 'synth-cls' }],
      methods: [{ label: 'fp', compress: 'fp' }, { label: 'binary', compress: 'bipointnet', bits: 1, activationBits: 1 }],
      seeds: [1, 2],
    });
    const work = mkdtempSync(join(tmpdir(), 'bitpoint-curves-'));
    const db = join(work, 'results.sqlite');
    const store = ResultsStore.open(db);
    const runs = expandStudy(curves).filter((run) => run.method.label === 'fp' || run.seed === 1);
    store.plan(runs);
    for (const run of runs) {
      const evaluated = (epoch: number) => run.seed === 1 || epoch % 2 === 1;
      const final = { task: 'classification' as const, samples: 10, overall_accuracy: 0.8, mean_class_accuracy: 0.8 };
      store.markRunning(run.configHash, `runs/${run.name}`);
      store.recordCompleted(run.configHash, {
        task: 'classification', environment: {}, final, best: { epoch: 5, metric: 0.8 }, epochs: 6, durationSeconds: 1, histograms: [],
        compression: { packedBytes: null, float32Bytes: null, compressionRatio: null, measuredSparsity: null, summary: null },
        history: [0, 1, 2, 3, 4, 5].map((epoch) => ({ epoch, train_loss: 2 - epoch * 0.2 + run.seed * 0.01, train_accuracy: 0.5, learning_rate: 0.001, samples_per_s: 1, seconds: 1, ...(evaluated(epoch) ? { test: { ...final, overall_accuracy: 0.5 + epoch * 0.05 } } : {}) })),
      });
    }
    store.close();
    const report = await writeReport({ dbFile: db, study: 'curves', outDir: join(work, 'report') });
    const svg = report.plots.find((p) => p.file === 'curves-cls.svg')!.svg;
    const attribute = (tag: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(tag)![1]!;
    const paths = [...svg.matchAll(/<path [^>]*class="series"[^>]*>/g)].map(([tag]) => ({ series: attribute(tag, 'data-series'), vertices: attribute(tag, ' d').split(/[ML]/).filter(Boolean).length }));
    // loss panel, then metric panel: one path per method in each
    expect(paths.map((p) => p.series)).toEqual(['fp', 'binary', 'fp', 'binary']);
    expect(paths.map((p) => p.vertices)).toEqual([6, 6, 3, 6]); // fp's metric: epochs 2, 4, 6, which both seeds evaluated
  });
});
