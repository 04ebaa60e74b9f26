import { booleanFlag, missing, numberFlag, stringFlag, type Command, type CommandContext } from './command.ts';

/**
 * `bitpoint data synth` generates the default data sets (synth-cls, synth-seg) if they are missing;
 * `bitpoint data info <dataset>` opens a data set by name or folder and says what it found
 * (layout, size, classes or part table, skipped split-list entries): a quick check of a download.
 */
export const dataCommand: Command = {
  name: 'data',
  summary: 'Generate the synthetic data sets (synth) or describe a data set (info).',
  usage:
    'bitpoint data synth [--out datasets/synthetic] [--seed N] [--difficulty D] [--force] [--check] [--json]\n' +
    '       bitpoint data info (NAME | FOLDER) [--split train|val|test|trainval] [--json]',
  flags: {
    out: { type: 'string', arg: 'DIR', description: 'where synth writes the data sets', default: 'datasets/synthetic' },
    seed: { type: 'string', arg: 'N', description: 'generator seed (synth)', number: { integer: true, min: 0, max: 2 ** 32 - 1 }, default: 'the versioned seed' },
    difficulty: { type: 'string', arg: 'D', description: 'how hard synth-cls is, 0 easy … 1 hard (synth)', number: { min: 0, max: 1 } },
    force: { type: 'boolean', description: 'regenerate even if the data sets exist (synth)' },
    check: { type: 'boolean', description: 'measure synth-cls difficulty with 5-NN on shape descriptors (synth)' },
    split: { type: 'string', arg: 'SPLIT', description: 'the split to describe (info)', values: ['train', 'val', 'test', 'trainval'], default: 'train' },
  },
  examples: [
    ['bitpoint data synth', 'generate synth-cls and synth-seg into datasets/synthetic/ if missing'],
    ['bitpoint data info datasets/modelnet40_ply_hdf5_2048 --split test', 'what a downloaded data set folder holds'],
  ],
  async run(ctx) {
    const [which, ...rest] = ctx.positionals;
    if (which === 'synth') return synth(ctx);
    if (which === 'info') return info(ctx, rest[0]);
    throw missing(dataCommand, 'say what to do: synth or info');
  },
};

async function synth(ctx: CommandContext): Promise<number> {
  const { ensureSyntheticData } = await import('../data/datasets/synthetic/ensure.ts');
  const { synthClsDifficulty } = await import('../data/datasets/synthetic/difficulty-report.ts');
  const { DEFAULT_SYNTH_SEED } = await import('../data/datasets/synthetic/version.ts');
  const root = stringFlag(ctx, 'out') ?? 'datasets/synthetic';
  const seed = numberFlag(ctx, 'seed') ?? DEFAULT_SYNTH_SEED;
  const difficulty = numberFlag(ctx, 'difficulty');
  const started = performance.now();
  const result = await ensureSyntheticData(root, { seed, difficulty, force: booleanFlag(ctx, 'force'), logger: ctx.log });
  const report: Record<string, unknown> = { root, seed, ...result, seconds: Number(((performance.now() - started) / 1000).toFixed(2)) };
  if (booleanFlag(ctx, 'check')) {
    ctx.log('checking synth-cls difficulty with 5-NN on shape descriptors …');
    report.check = await synthClsDifficulty(result.clsRoot);
  }
  if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify(report));
  else {
    ctx.out(result.generated.length ? `generated ${result.generated.join(', ')} in ${root}` : `${root}: synth-cls and synth-seg already present`);
    if (report.check) ctx.out(`difficulty check: ${JSON.stringify(report.check)}`);
  }
  return 0;
}

async function info(ctx: CommandContext, spec: string | undefined): Promise<number> {
  if (!spec) throw missing(dataCommand, 'data info: name a data set or folder');
  const { openDataset } = await import('../data/datasets/open.ts');
  const split = stringFlag(ctx, 'split') ?? 'train';
  const dataset = await openDataset(spec, { split: split as 'train' | 'val' | 'test' | 'trainval', logger: ctx.log });
  const summary: Record<string, unknown> = {
    name: dataset.name,
    layout: dataset.layout,
    root: dataset.root,
    task: dataset.task,
    split: dataset.split,
    size: dataset.size,
    skipped: dataset.skipped,
  };
  if (dataset.task === 'segmentation') summary.partTable = dataset.partTable;
  else summary.classNames = dataset.classNames;
  if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify(summary));
  else for (const [key, value] of Object.entries(summary)) ctx.out(`${key}: ${typeof value === 'object' ? JSON.stringify(value) : value}`);
  return 0;
}
