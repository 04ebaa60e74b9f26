import { writeFile } from 'node:fs/promises';
import { ConfigError, FlagValueError } from '../util/errors.ts';
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
  summary: 'Predict on one point cloud; writes it coloured by prediction with `pred` (and `prob_<class>`) as PLY or PCD.',
  usage: 'bitpoint predict (--run DIR | --model MODEL.bitpoint) --input FILE --out FILE.ply|FILE.pcd [flags]',
  flags: {
    run: { type: 'string', arg: 'DIR', description: 'a run folder written by bitpoint train (on TensorFlow.js)' },
    model: { type: 'string', arg: 'FILE', description: 'a packed model from bitpoint export instead (on the bit-packed engine, no TensorFlow.js)' },
    checkpoint: { ...checkpointFlag('best'), description: 'which checkpoint of --run: best or last' },
    input: { type: 'string', arg: 'FILE', description: 'the point cloud (PLY, OFF, PCD, NPY/NPZ, TXT, …; a mesh is sampled as in training) (required)' },
    out: { type: 'string', arg: 'FILE', description: 'the PLY or PCD file to write, coloured by prediction (required)' },
    category: { type: 'string', arg: 'NAME', description: 'object category, for part segmentation models', default: 'predicted' },
    column: { type: 'string', arg: 'NAME', description: 'name of the predicted-label vertex property', default: 'pred' },
    encoding: { type: 'string', arg: 'ENC', description: 'encoding of --out: ascii, binary_little_endian or binary_big_endian for PLY; ascii, binary or binary_compressed for PCD', default: 'binary_little_endian (PLY), binary (PCD)' },
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
    // PCD (PCL, Open3D) for `.pcd`, PLY otherwise; both carry rgb by prediction and the scalars.
    const asPcd = out.toLowerCase().endsWith('.pcd');
    const encodings = asPcd ? ['ascii', 'binary', 'binary_compressed'] : ['ascii', 'binary_little_endian', 'binary_big_endian'];
    const encoding = stringFlag(ctx, 'encoding') ?? encodings[1]!;
    if (!encodings.includes(encoding)) throw new FlagValueError('encoding', encoding, `${encodings.join(', ')} for a ${asPcd ? 'PCD' : 'PLY'} file`);
    const { useBackend, parseBackendRequest } = await import('../backend/select.ts');
    const { loadRunModel } = await import('../train/run-model.ts');
    const { readPointFileFromDisk } = await import('../data/formats/node-files.ts');
    const { writePointCloudPly } = await import('../data/formats/ply/index.ts');
    const { writePointCloudPcd } = await import('../data/formats/pcd.ts');
    const { finitePoints, predictCloud, withPredictions } = await import('../train/predict.ts');
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
    // Scans have holes (NaN points); the model takes only finite ones, and the output file too.
    const finite = finitePoints(cloud, input);
    cloud = finite.cloud;
    const prediction = predictCloud(model, card, cloud, { category: stringFlag(ctx, 'category') });
    for (const note of [...finite.notes, ...prediction.notes]) ctx.log(`${input}: ${note}`);
    const column = stringFlag(ctx, 'column') ?? 'pred';
    const comments = [packedFile ? `bitpoint predict --model ${packedFile}` : `bitpoint predict --run ${runDir}`, `task ${prediction.task}`, ...(prediction.className ? [`predicted_class ${prediction.className}`] : [])];
    const predicted = withPredictions(cloud, prediction, card, column);
    const bytes = asPcd ? writePointCloudPcd(predicted, { encoding: encoding as 'binary', comments }) : writePointCloudPly(predicted, { format: encoding as 'ascii', comments });
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
