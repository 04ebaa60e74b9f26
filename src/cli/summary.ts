import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, FormatError, UsageError } from '../util/errors.ts';
import { booleanFlag, missing, numberFlag, stringFlag, type Command, type CommandContext } from './command.ts';
import { BACKEND_FLAG, MODEL_NAMES, PRESET_NAMES } from './shared-flags.ts';
import { RUN_CONFIG_RANGES } from '../train/run-config-ranges.ts';

/**
 * `bitpoint summary (--run DIR | --model M --compress P) [--points N] [--classes K] [--json]`:
 * per weight layer the weight count, bits per weight, sparsity (ternary zeros included), packed
 * bytes and MACs by precision; totals with the packed size, the float32 size and the compression
 * ratio (accounting rules: src/compress/summary.ts).
 *
 * With --run, the model and policy come from DIR/config.json (keys `model` and `compress`), the
 * class count and input channels from DIR/model.json when present, and the weights from the best
 * (else last) checkpoint when there is one, so sparsity is measured on the trained weights.
 */
export const summaryCommand: Command = {
  name: 'summary',
  summary: 'Size and cost of a compressed model: bits, sparsity, packed bytes and MACs per layer; compression ratio.',
  usage: 'bitpoint summary (--run DIR | --model NAME [--compress POLICY]) [flags]',
  flags: {
    run: { type: 'string', arg: 'DIR', description: "a run folder: its model, policy and trained weights" },
    model: { type: 'string', arg: 'NAME', description: 'a fresh model instead of a run', values: MODEL_NAMES },
    compress: { type: 'string', arg: 'POLICY', description: 'compression policy for --model', values: PRESET_NAMES, open: 'or a policy file', default: 'fp' },
    points: { type: 'string', arg: 'N', description: 'points per cloud, for MACs', number: { integer: true, ...RUN_CONFIG_RANGES.points }, default: "the run's, else 1024" },
    classes: { type: 'string', arg: 'K', description: 'classes of the classifier head', number: { integer: true, min: 2, max: 100_000 }, default: "the run's, else 40" },
    backend: BACKEND_FLAG,
  },
  examples: [
    ['bitpoint summary --model pointnet --compress binary-bipointnet', 'bits, packed bytes and MACs per layer of a binary PointNet'],
    ['bitpoint summary --run runs/pointnet --json', 'the same for a trained run, sparsity measured on its weights'],
  ],
  async run(ctx) {
    const runDir = stringFlag(ctx, 'run');
    const modelFlag = stringFlag(ctx, 'model');
    if (runDir && (modelFlag || stringFlag(ctx, 'compress'))) throw missing(summaryCommand, 'give --run, or --model with --compress, not both');
    if (!runDir && !modelFlag) throw missing(summaryCommand, '--run DIR or --model NAME is required');
    const source: RunSource = runDir ? readRunSource(runDir) : { model: modelFlag!, compress: stringFlag(ctx, 'compress') ?? 'fp', modelOptions: {}, points: undefined };
    const points = numberFlag(ctx, 'points') ?? source.points ?? 1024;
    const runClasses = typeof source.modelOptions['numClasses'] === 'number' ? source.modelOptions['numClasses'] : undefined;
    const numClasses = numberFlag(ctx, 'classes') ?? runClasses ?? 40;

    const { resolvePolicy } = await import('../compress/resolve.ts');
    const policy = resolvePolicy(source.compress);
    const { useBackend, parseBackendRequest } = await import('../backend/select.ts');
    const { createModel } = await import('../models/registry.ts');
    const { applyPolicy } = await import('../compress/policy.ts');
    const { summarizeModel, formatSummary } = await import('../compress/summary.ts');
    const { Rng } = await import('../util/rng.ts');
    await useBackend(parseBackendRequest(stringFlag(ctx, 'backend')));

    const model = createModel(source.model, { ...source.modelOptions, rng: new Rng(1), numClasses });
    const report = applyPolicy(model, policy, { rng: new Rng(1) });
    for (const warning of report.warnings) ctx.log(`warning: ${warning}`);
    if (runDir) await loadRunWeights(runDir, model, ctx);
    const summary = summarizeModel(model, { points, report, model: source.model, policy: policy.name });
    ctx.out(booleanFlag(ctx, 'json') ? JSON.stringify(summary) : formatSummary(summary));
    return 0;
  },
};

interface RunSource {
  model: string;
  compress: unknown;
  /** Options of the run's model (numClasses, inputChannels, numCategories, encoder, k, …). */
  modelOptions: Record<string, unknown>;
  points: number | undefined;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new FormatError(file, `cannot read JSON: ${(error as Error).message}`);
  }
}

/**
 * Model name and policy from DIR/config.json; the model's options (classes, channels, categories,
 * encoder widths) from DIR/model.json when present, else from the config.
 */
function readRunSource(runDir: string): RunSource {
  const configFile = join(runDir, 'config.json');
  if (!existsSync(configFile)) throw new FormatError(configFile, 'missing: --run needs a run folder written by `bitpoint train`');
  const config = readJson(configFile) as Record<string, unknown>;
  if (typeof config !== 'object' || config === null || typeof config['model'] !== 'string' || !('compress' in config)) {
    throw new FormatError(configFile, "needs the keys 'model' and 'compress' (written by `bitpoint train` since compression policies); use --model and --compress instead");
  }
  let modelOptions: Record<string, unknown> = isObject(config['modelOptions']) ? { ...config['modelOptions'] } : {};
  if (config['normals'] === true) modelOptions['inputChannels'] = 6;
  const cardFile = join(runDir, 'model.json');
  if (existsSync(cardFile)) {
    const card = readJson(cardFile) as { spec?: { modelOptions?: unknown } };
    if (isObject(card.spec?.modelOptions)) modelOptions = { ...card.spec.modelOptions };
  }
  // the initializer does not change sizes, and an orthogonal one costs seconds per layer
  delete modelOptions['init'];
  const points = typeof config['points'] === 'number' ? config['points'] : undefined;
  return { model: config['model'], compress: config['compress'], modelOptions, points };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Loads the run's best (else last) checkpoint, if any, into the compressed model. */
async function loadRunWeights(runDir: string, model: import('../models/model.ts').Model, ctx: CommandContext): Promise<void> {
  const { runCheckpointPath } = await import('../train/run-model.ts');
  let file: string;
  try {
    file = runCheckpointPath(runDir);
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    ctx.log(`no checkpoint in ${runDir}/checkpoints: summarizing the freshly initialized model`);
    return;
  }
  const { loadCheckpoint, restoreModelState } = await import('../train/checkpoint.ts');
  const { CompressQuantizer } = await import('../compress/quantizers/base.ts');
  const checkpoint = await loadCheckpoint(file);
  let restored;
  try {
    restored = restoreModelState(model, checkpoint.tensors, file, { strict: false });
  } catch (error) {
    throw new ConfigError('compress', `${(error as Error).message} (was the run trained with this policy?)`);
  }
  // quantizer state the checkpoint does not have (e.g. a run trained before compression was wired)
  for (const [name, layer] of model.weightLayers()) {
    const quantizer = layer.weightQuantizer;
    if (quantizer instanceof CompressQuantizer && restored.missing.some((path) => path.startsWith(`${name}.weightQuantizer.`))) {
      quantizer.initialize(layer.maskedWeight());
    }
  }
  ctx.log(`loaded ${restored.restored.length} tensors from ${file}${restored.missing.length > 0 ? ` (${restored.missing.length} model tensors not in it kept their initial values)` : ''}`);
}
