import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { presetPolicy } from '../../src/compress/presets.ts';
import { configHash, expandStudy, parseStudy, readStudyFile, type PlannedRun } from '../../src/experiments/study.ts';
import { ConfigError } from '../../src/util/errors.ts';

const experiments = fileURLToPath(new URL('../../experiments', import.meta.url));

const minimal = {
  name: 'mini',
  question: 'Does it expand?',
  base: { points: 64, epochs: 3, batchSize: 2, schedule: { name: 'cosine', lr: 0.01 } },
  tasks: [
    { label: 'cls', model: 'pointnet-vanilla', dataset: 'synth-cls' },
    { label: 'seg', model: 'pointnet-seg', config: { points: 128 }, quick: { points: 32 } },
  ],
  methods: [
    { label: 'fp', compress: 'fp' },
    { label: 'binary', compress: 'bipointnet', bits: 1, activationBits: 1 },
    { label: 'prune-90', compress: 'prune-90', sparsity: 0.9, tasks: ['cls'] },
  ],
  initializers: ['he_normal', { label: 'lap', init: { name: 'laplace', b: 0.05 } }],
  seeds: [1, 2, 3],
  quick: { base: { epochs: 1 }, methods: ['fp', 'binary'], initializers: ['he_normal'], seeds: [7] },
};

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('study schema', () => {
  it('expands tasks × methods × initializers × seeds into full run configs', () => {
    const runs = expandStudy(parseStudy(minimal));
    // cls: 3 methods, seg: 2 (prune-90 is cls only); × 2 initializers × 3 seeds
    expect(runs).toHaveLength((3 + 2) * 2 * 3);
    const run = runs.find((r) => r.name === 'seg__binary__lap__s2')!;
    expect(run.config).toMatchObject({ model: 'pointnet-seg', dataset: 'synth-seg', points: 128, epochs: 3, seed: 2, compress: 'bipointnet', batchSize: 2 });
    expect(run.config.modelOptions.init).toEqual({ name: 'laplace', b: 0.05 });
    // a cosine schedule without epochs follows the run's epochs
    expect(run.config.schedule).toMatchObject({ name: 'cosine', lr: 0.01, epochs: 3 });
    expect(run.method).toMatchObject({ bits: 1, activationBits: 1, sparsity: 0, procedure: 'train' });
    expect(new Set(runs.map((r) => r.configHash)).size).toBe(runs.length);
    expect(runs.every((r) => r.study === 'mini')).toBe(true);
  });

  it('the quick variant narrows the axes and overrides the config', () => {
    const runs = expandStudy(parseStudy(minimal), { quick: true });
    expect(runs.map((r) => r.name)).toEqual(['cls__fp__he_normal__s7', 'cls__binary__he_normal__s7', 'seg__fp__he_normal__s7', 'seg__binary__he_normal__s7']);
    expect(runs[0]!.study).toBe('mini-quick');
    expect(runs[0]!.config.epochs).toBe(1);
    expect(runs[0]!.config.schedule).toMatchObject({ epochs: 1 });
    expect(runs[2]!.config.points).toBe(32);
  });

  it('the config hash is stable, ignores the run name and changes with anything that changes the run', () => {
    const [a] = expandStudy(parseStudy(minimal));
    const [b] = expandStudy(parseStudy(minimal));
    expect(a!.configHash).toBe(b!.configHash);
    expect(a!.configHash).toMatch(/^[0-9a-f]{64}$/);
    const method = a!.method;
    expect(configHash({ ...a!.config, name: 'renamed' }, method)).toBe(a!.configHash);
    expect(configHash({ ...a!.config, epochs: 4 }, method)).not.toBe(a!.configHash);
    expect(configHash(a!.config, { ...method, procedure: 'lottery-rewind', sparsity: 0.9 })).not.toBe(a!.configHash);
    // the policy counts by what it resolves to: a preset equals its JSON, an edited policy differs
    const binary = expandStudy(parseStudy(minimal)).find((r) => r.name === 'cls__binary__he_normal__s1')!;
    const spelledOut = presetPolicy('bipointnet')!;
    expect(configHash({ ...binary.config, compress: spelledOut }, binary.method)).toBe(binary.configHash);
    const edited = { ...spelledOut, layers: [...spelledOut.layers!, { match: 'first', thresholdSpread: 1 }] };
    expect(configHash({ ...binary.config, compress: edited }, binary.method)).not.toBe(binary.configHash);
    // key order in the study file does not matter
    const reordered = { ...minimal, base: { schedule: minimal.base.schedule, batchSize: 2, epochs: 3, points: 64 } };
    expect(expandStudy(parseStudy(reordered))[0]!.configHash).toBe(a!.configHash);
  });

  it('names the key path of every mistake', () => {
    expect(errorOf(() => parseStudy({ ...minimal, methods: [{ label: 'x', compress: 'fp', bitz: 3 }] })).path).toBe('methods.0.bitz');
    expect(errorOf(() => parseStudy({ ...minimal, quick: { methods: ['nope'] } })).path).toBe('quick.methods.0');
    expect(errorOf(() => parseStudy({ ...minimal, base: { model: 'x' } })).path).toBe('base.model');
    expect(errorOf(() => parseStudy({ ...minimal, seeds: [] })).path).toBe('seeds');
    expect(errorOf(() => parseStudy({ ...minimal, tasks: [{ label: 'a b', model: 'pointnet' }] })).path).toBe('tasks.0.label');
    expect(errorOf(() => parseStudy({ ...minimal, initializers: ['he_normall'] })).path).toMatch(/^initializers\.0/);
    // a value out of range in a config block is caught when the study is read, at its own key path
    expect(errorOf(() => parseStudy({ ...minimal, base: { epochs: 0 } })).message).toBe('config base.epochs: must be an integer from 1 to 100000, got 0');
    // two methods that resolve to the same config would share one result row
    expect(errorOf(() => expandStudy(parseStudy({ ...minimal, methods: [{ label: 'a', compress: 'fp' }, { label: 'b', compress: 'fp' }], quick: {} }))).message).toMatch(/same config/);
  });

  describe("a method with 'from' fine-tunes the earlier method's runs", () => {
    const withFrom = {
      ...minimal,
      methods: [...minimal.methods, { label: 'binary-ft', compress: 'bipointnet', bits: 1, activationBits: 1, from: 'fp' }],
      quick: { base: { epochs: 1 }, methods: ['binary-ft'], initializers: ['he_normal'], seeds: [7] },
    };

    it('points each run at the source run of the same task, initializer and seed', () => {
      const runs = expandStudy(parseStudy(withFrom));
      const ft = runs.find((r) => r.name === 'seg__binary-ft__lap__s2')!;
      const source = runs.find((r) => r.name === 'seg__fp__lap__s2')!;
      expect(ft.source).toEqual({ name: source.name, configHash: source.configHash });
      expect(runs.find((r) => r.name === 'seg__binary__lap__s2')!.source).toBeNull();
      // Same config as the from-scratch binary method except where it starts: a different run.
      const scratch = runs.find((r) => r.name === 'seg__binary__lap__s2')!;
      expect({ ...ft.config, name: '' }).toEqual({ ...scratch.config, name: '' });
      expect(ft.configHash).not.toBe(scratch.configHash);
      expect(configHash(ft.config, ft.method, ft.source!.configHash)).toBe(ft.configHash);
    });

    it("a method's config applies to its runs only (fine-tuning for fewer epochs)", () => {
      const shorter = { ...withFrom, methods: [...minimal.methods, { label: 'binary-ft', compress: 'bipointnet', from: 'fp', config: { epochs: 2 } }] };
      const runs = expandStudy(parseStudy(shorter));
      const ft = runs.find((r) => r.name === 'cls__binary-ft__lap__s1')!;
      expect(ft.config.epochs).toBe(2);
      expect(ft.config.schedule).toMatchObject({ name: 'cosine', epochs: 2 });
      expect(runs.find((r) => r.name === 'cls__fp__lap__s1')!.config.epochs).toBe(3);
      expect(errorOf(() => parseStudy({ ...shorter, methods: [{ label: 'x', compress: 'fp', config: { compress: 'int4' } }] })).path).toBe('methods.0.config.compress');
    });

    it("a method with 'teacher' distills from the earlier method's run; the teacher enters the hash by identity", () => {
      const withTeacher = { ...minimal, methods: [...minimal.methods, { label: 'binary-kd', compress: 'bipointnet', teacher: 'fp', config: { distill: { weight: 0.5 } } }] };
      const runs = expandStudy(parseStudy(withTeacher));
      const kd = runs.find((r) => r.name === 'cls__binary-kd__lap__s1')!;
      const teacher = runs.find((r) => r.name === 'cls__fp__lap__s1')!;
      expect(kd.teacher).toEqual({ name: teacher.name, configHash: teacher.configHash });
      expect(kd.source).toBeNull();
      // until the teacher has run, the config names it; the runner fills in its folder
      expect(kd.config.distill).toEqual({ run: teacher.name, checkpoint: 'best', weight: 0.5, temperature: 1 });
      expect(configHash({ ...kd.config, distill: { ...kd.config.distill!, run: '/somewhere/else' } }, kd.method, undefined, teacher.configHash)).toBe(kd.configHash);
      // a teacher trained differently is another run
      const longerTeacher = { ...withTeacher, methods: withTeacher.methods.map((m) => (m.label === 'fp' ? { ...m, config: { epochs: 5 } } : m)) };
      expect(expandStudy(parseStudy(longerTeacher)).find((r) => r.name === kd.name)!.configHash).not.toBe(kd.configHash);
      expect(errorOf(() => parseStudy({ ...minimal, methods: [{ label: 'x', compress: 'fp', teacher: 'fp' }, ...minimal.methods], quick: {} })).path).toBe('methods.0.teacher');
    });

    it('a filter that leaves the source out still names it (the runner then needs it recorded)', () => {
      const runs = expandStudy(parseStudy(withFrom), { quick: true });
      expect(runs.map((r) => r.name)).toEqual(['cls__binary-ft__he_normal__s7', 'seg__binary-ft__he_normal__s7']);
      expect(runs[0]!.source!.name).toBe('cls__fp__he_normal__s7');
    });

    it('names the key path of a bad source', () => {
      const methods = (...extra: object[]) => ({ ...withFrom, methods: [...minimal.methods, ...extra], quick: {} });
      expect(errorOf(() => parseStudy(methods({ label: 'x', compress: 'int4', from: 'nope' }))).path).toBe('methods.3.from');
      expect(errorOf(() => parseStudy({ ...withFrom, methods: [{ label: 'x', compress: 'int4', from: 'fp' }, ...minimal.methods], quick: {} })).message).toMatch(/listed before/);
      expect(errorOf(() => parseStudy(methods({ label: 'x', compress: 'int4', from: 'prune-90' }))).message).toMatch(/'prune-90' does not run on every task/);
      expect(errorOf(() => parseStudy(methods({ label: 'x', compress: 'fp', procedure: 'lottery-rewind', sparsity: 0.5, from: 'fp' }))).path).toBe('methods.3.from');
      expect(errorOf(() => parseStudy({ ...minimal, base: { initFrom: 'runs/fp' } })).path).toBe('base.initFrom');
    });
  });
});

describe('the studies in experiments/', () => {
  const files = readdirSync(experiments).filter((f) => f.endsWith('.json'));

  it('has the four studies', () => {
    expect(files.sort()).toEqual(expect.arrayContaining(['bit-width.json', 'initialization.json', 'point-clouds-vs-images.json', 'ternary-sparsity.json']));
  });

  for (const file of files) {
    it(`${file}: states its question, repeats ≥ 3 seeds, and has a quick variant small enough for 2 cores`, () => {
      const study = readStudyFile(join(experiments, file));
      expect(study.question.length).toBeGreaterThan(30);
      expect(study.seeds.length).toBeGreaterThanOrEqual(3);
      const full = expandStudy(study);
      const quick: PlannedRun[] = expandStudy(study, { quick: true });
      expect(quick.length).toBeGreaterThan(0);
      expect(quick.length).toBeLessThan(full.length);
      // quick: at most ~40 runs of at most 8 epochs on at most 512 points
      expect(quick.length).toBeLessThanOrEqual(40);
      for (const run of quick) {
        expect(run.config.epochs).toBeLessThanOrEqual(8);
        expect(run.config.points).toBeLessThanOrEqual(512);
      }
    });
  }
});
