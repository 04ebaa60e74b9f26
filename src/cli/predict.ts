import { writeFile } from 'node:fs/promises';
import { ConfigError } from '../util/errors.ts';
import { booleanFlag, missing, stringFlag, type Command } from './command.ts';
import { BACKEND_FLAG, checkpointFlag } from './shared-flags.ts';
import type { ModelCard } from '../train/run-model.ts';
import type { CloudLogits } from '../train/predict.ts';

/** A packed model as a predictor: the engine's logits and the model card stored at export. */
async function loadPackedPredictor(file: string): Promise<{ logits: CloudLogits; card: ModelCard }> {
  const { readFile } = await import('node:fs/promises');
  const { readPackedModel } = await import('../deploy/format.ts');
  const { Engine } = await import('../deploy/engine/engine.ts');
  const { createEngineKernels } = await import('../deploy/engine/select-kernels.ts');
  const { FormatError } = await import('../util/errors.ts');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new FormatError(file, (error as Error).message);
  }
  const packed = readPackedModel(bytes, file);
  const card = packed.header.source['card'] as ModelCard | undefined;
  if (!card) throw new FormatError(file, 'has no model card (classes, normals): export it with `bitpoint export --run DIR`');
  const engine = new Engine(packed, { file, kernels: await createEngineKernels() });
  return { logits: (values, _points, _channels, category) => engine.run({ values, category }), card };
}

/**
 * `bitpoint predict --run DIR --input FILE --out FILE.ply`: per-point predictions of a trained run
 * (and class probabilities for classifiers) as PLY vertex properties, for the viewer and any
 * other PLY tool. The input may be any supported point file (PLY, OFF, TXT). With
 * `--model MODEL.bitpoint` instead of `--run`, the packed model runs on the bit-packed engine
 * (no TensorFlow.js).
 */
export const predictCommand: Command = {
  name: 'predict',
  summary: 'Predict on one point cloud; writes the cloud with `pred` (and `prob_<class>`) vertex properties as PLY.',
  usage: 'bitpoint predict (--run DIR | --model MODEL.bitpoint) --input FILE --out FILE.ply [flags]',
  flags: {
    run: { type: 'string', arg: 'DIR', description: 'a run folder written by bitpoint train (on TensorFlow.js)' },
    model: { type: 'string', arg: 'FILE', description: 'a packed model from bitpoint export instead (on the bit-packed engine, no TensorFlow.js)' },
    checkpoint: { ...checkpointFlag('best'), description: 'which checkpoint of --run: best or last' },
    input: { type: 'string', arg: 'FILE', description: 'the point cloud (PLY, OFF, TXT, …; a mesh is sampled as in training) (required)' },
    out: { type: 'string', arg: 'FILE', description: 'the PLY file to write (required)' },
    category: { type: 'string', arg: 'NAME', description: 'object category, for part segmentation models', default: 'predicted' },
    column: { type: 'string', arg: 'NAME', description: 'name of the predicted-label vertex property', default: 'pred' },
    encoding: { type: 'string', arg: 'ENC', description: 'PLY encoding of --out', values: ['ascii', 'binary_little_endian', 'binary_big_endian'], default: 'binary_little_endian' },
    backend: BACKEND_FLAG,
  },
  examples: [
    ['bitpoint predict --run runs/pointnet --input chair.off --out chair-pred.ply', "the run's best checkpoint on one shape"],
    ['bitpoint predict --model pointnet.bitpoint --input chair.ply --out chair-pred.ply --json', 'the packed model, summary as JSON'],
  ],
  async run(ctx) {
    const runDir = stringFlag(ctx, 'run');
    const packedFile = stringFlag(ctx, 'model');
    const input = stringFlag(ctx, 'input');
    const out = stringFlag(ctx, 'out');
    if (!(runDir || packedFile) || (runDir && packedFile) || !input || !out) {
      throw missing(predictCommand, 'one of --run or --model, and --input and --out are required');
    }
    if (packedFile && stringFlag(ctx, 'checkpoint')) throw missing(predictCommand, '--checkpoint goes with --run (a packed model holds one checkpoint)');
    const encoding = stringFlag(ctx, 'encoding') ?? 'binary_little_endian';
    const { useBackend, parseBackendRequest } = await import('../backend/select.ts');
    const { loadRunModel } = await import('../train/run-model.ts');
    const { readPointFileFromDisk } = await import('../data/formats/node-files.ts');
    const { writePointCloudPly } = await import('../data/formats/ply/index.ts');
    const { predictCloud, withPredictions } = await import('../train/predict.ts');
    let model: Parameters<typeof predictCloud>[0];
    let card: ModelCard;
    if (packedFile) {
      ({ logits: model, card } = await loadPackedPredictor(packedFile));
    } else {
      await useBackend(parseBackendRequest(stringFlag(ctx, 'backend')));
      ({ model, card } = await loadRunModel(runDir!, (stringFlag(ctx, 'checkpoint') ?? 'best') as 'best' | 'last'));
    }
    const { sampleSurface } = await import('../data/mesh.ts');
    const { Rng } = await import('../util/rng.ts');
    const file = await readPointFileFromDisk(input);
    let cloud = 'cloud' in file ? file.cloud : undefined;
    // A mesh (ModelNet's OFF files) is a surface, not a cloud: sample it as training did.
    const mesh = 'mesh' in file ? file.mesh : undefined;
    if (mesh && mesh.faces.length > 0) {
      const surface = sampleSurface(mesh, card.points, new Rng(0), { withNormals: card.normals });
      cloud = { points: surface.points, ...(surface.normals ? { normals: surface.normals } : {}) };
    }
    if (!cloud) throw new ConfigError('input', `${input} holds no point cloud (format ${file.format})`);
    const prediction = predictCloud(model, card, cloud, { category: stringFlag(ctx, 'category') });
    const column = stringFlag(ctx, 'column') ?? 'pred';
    const bytes = writePointCloudPly(withPredictions(cloud, prediction, card, column), {
      format: encoding as 'ascii',
      comments: [packedFile ? `bitpoint predict --model ${packedFile}` : `bitpoint predict --run ${runDir}`, `task ${prediction.task}`, ...(prediction.className ? [`predicted_class ${prediction.className}`] : [])],
    });
    await writeFile(out, bytes);
    const summary = {
      out,
      task: prediction.task,
      points: cloud.points.length / 3,
      ...(prediction.task === 'classification'
        ? { predicted_class: prediction.predictedClass, class_name: prediction.className, probability: prediction.probabilities![prediction.predictedClass!] }
        : { category: card.partTable!.categories[prediction.category!]!.name }),
    };
    if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify(summary));
    else ctx.out(`wrote ${out} (${summary.points} points, ${prediction.task}${prediction.className ? `: ${prediction.className}` : ''})`);
    return 0;
  },
};
