import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { Module } from '../../src/nn/module.ts';
import { Parameter } from '../../src/nn/parameter.ts';
import { captureModelState, loadCheckpoint, restoreModelState, saveCheckpoint, type Checkpoint } from '../../src/train/checkpoint.ts';
import { createOptimizer } from '../../src/train/optimizers/index.ts';
import { FormatError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

let directory = '';

beforeAll(async () => {
  await useBackend('cpu');
  directory = await mkdtemp(join(tmpdir(), 'bitpoint-checkpoint-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A two-level module: a layer with weight, bias and an int32 state tensor, under `encoder`. */
class Layer extends Module {
  constructor(weight: number[][], bias: number[]) {
    super();
    this.addParameter('weight', new Parameter('weight', tf.tensor2d(weight)));
    this.addParameter('bias', new Parameter('bias', tf.tensor1d(bias)));
    this.addParameter('seenBatches', new Parameter('seenBatches', tf.tensor1d([0], 'int32'), false));
  }
}

class Model extends Module {
  readonly encoder: Layer;
  constructor(scale = 1) {
    super();
    this.encoder = this.addModule('encoder', new Layer([[scale, 2 * scale, 3 * scale], [4, 5, 6]], [0.5 * scale, -0.5, 0]));
  }
}

function sampleCheckpoint(): Checkpoint {
  return {
    tensors: new Map([
      ['encoder.weight', { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) }],
      ['encoder.bias', { shape: [3], data: new Float32Array([0.25, -1e-20, 3e30]) }],
      ['encoder.seenBatches', { shape: [1], data: new Int32Array([-7]) }],
      ['scalar', { shape: [], data: new Float32Array([42]) }],
    ]),
    optimizer: {
      name: 'adam',
      parameters: new Map([
        ['encoder.weight', { scalars: { step: 3 }, slots: { m: { shape: [2, 3], data: new Float32Array(6).fill(0.1) }, v: { shape: [2, 3], data: new Float32Array(6).fill(0.2) } } }],
      ]),
    },
    epoch: 4,
    step: 1234,
    rngState: [1, 2, 3, 0xffffffff],
    metadata: { config: { model: 'pointnet', lr: 0.001 }, note: 'ünïcode ✓' },
  };
}

function plain(checkpoint: Checkpoint): unknown {
  const tensors = (map: Map<string, { shape: number[]; data: ArrayLike<number> }>) =>
    Object.fromEntries([...map].map(([name, t]) => [name, { shape: t.shape, data: Array.from(t.data), kind: t.data.constructor.name }]));
  return {
    ...checkpoint,
    tensors: tensors(checkpoint.tensors),
    optimizer: checkpoint.optimizer && {
      name: checkpoint.optimizer.name,
      parameters: Object.fromEntries(
        [...checkpoint.optimizer.parameters].map(([path, state]) => [path, { scalars: state.scalars, slots: tensors(new Map(Object.entries(state.slots))) }]),
      ),
    },
  };
}

async function formatErrorOf(file: string): Promise<FormatError> {
  try {
    await loadCheckpoint(file);
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).file).toBe(file);
    return error as FormatError;
  }
  throw new Error(`expected ${file} to be rejected`);
}

describe('saveCheckpoint / loadCheckpoint', () => {
  it('round-trips tensors, optimizer state, progress, RNG state and metadata exactly', async () => {
    const file = join(directory, 'roundtrip.safetensors');
    await saveCheckpoint(file, sampleCheckpoint());
    expect(plain(await loadCheckpoint(file))).toEqual(plain(sampleCheckpoint()));
  });

  it('writes the safetensors layout other tools read', async () => {
    const file = join(directory, 'layout.safetensors');
    await saveCheckpoint(file, sampleCheckpoint());
    const bytes = await readFile(file);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    expect(header['encoder.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header['encoder.seenBatches']).toEqual({ dtype: 'I32', shape: [1], data_offsets: [36, 40] });
    expect(header['optimizer/m/encoder.weight'].dtype).toBe('F32');
    // safetensors requires __metadata__ to map strings to strings
    const metadata = header['__metadata__'];
    expect(Object.values(metadata).every((value) => typeof value === 'string')).toBe(true);
    expect(metadata).toMatchObject({ format: 'bitpoint-checkpoint', version: '1', epoch: '4', step: '1234' });
    expect(JSON.parse(metadata.metadata)).toEqual(sampleCheckpoint().metadata);
    // raw little-endian values right after the header
    expect(bytes.readFloatLE(8 + headerLength + 5 * 4)).toBe(6.5);
    expect(bytes.readInt32LE(8 + headerLength + 36)).toBe(-7);
    const lastEnd = Math.max(...Object.entries(header).filter(([k]) => k !== '__metadata__').map(([, v]) => (v as { data_offsets: number[] }).data_offsets[1]!));
    expect(bytes.length).toBe(8 + headerLength + lastEnd);
  });

  it('reads a plain safetensors file written by another tool', async () => {
    const file = join(directory, 'foreign.safetensors');
    const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const data = Buffer.alloc(8);
    data.writeFloatLE(1.5, 0);
    data.writeFloatLE(-2, 4);
    await writeFile(file, Buffer.concat([length, header, data]));
    const checkpoint = await loadCheckpoint(file);
    expect(Array.from(checkpoint.tensors.get('w')!.data)).toEqual([1.5, -2]);
    expect(checkpoint.epoch).toBeUndefined();
    expect(checkpoint.optimizer).toBeUndefined();
  });

  it('replaces an existing checkpoint and leaves no temporary file', async () => {
    const file = join(directory, 'replace.safetensors');
    await saveCheckpoint(file, { ...sampleCheckpoint(), epoch: 1 });
    await saveCheckpoint(file, { ...sampleCheckpoint(), epoch: 2 });
    expect((await loadCheckpoint(file)).epoch).toBe(2);
    expect((await readdir(directory)).filter((name) => name.includes('replace.safetensors'))).toEqual(['replace.safetensors']);
  });

  it('rejects tensors whose data does not fit their shape, before writing', async () => {
    const file = join(directory, 'bad-shape.safetensors');
    await expect(saveCheckpoint(file, { tensors: new Map([['w', { shape: [2, 2], data: new Float32Array(3) }]]) })).rejects.toThrow(/3 values for shape \[2,2\]/);
    await expect(stat(file)).rejects.toThrow();
  });
});

describe('loadCheckpoint on damaged files', () => {
  let good: Buffer;
  let headerLength = 0;

  beforeAll(async () => {
    const file = join(directory, 'good.safetensors');
    await saveCheckpoint(file, sampleCheckpoint());
    good = await readFile(file);
    headerLength = Number(good.readBigUInt64LE(0));
  });

  async function damaged(name: string, bytes: Buffer): Promise<string> {
    const file = join(directory, name);
    await writeFile(file, bytes);
    return file;
  }

  it('names the file when it is truncated anywhere', async () => {
    for (const keep of [0, 5, 8 + 10, 8 + headerLength, good.length - 1]) {
      const file = await damaged(`truncated-${keep}.safetensors`, good.subarray(0, keep));
      const error = await formatErrorOf(file);
      expect(error.message).toContain(file);
      expect(error.message).toMatch(/too short|does not fit|truncated/);
    }
  });

  it('says how much tensor data is missing', async () => {
    const file = await damaged('truncated-data.safetensors', good);
    await truncate(file, good.length - 4);
    expect((await formatErrorOf(file)).message).toMatch(/truncated: the header describes \d+ bytes of tensor data, the file has \d+/);
  });

  it('rejects an absurd header length before allocating for it', async () => {
    const bytes = Buffer.from(good);
    bytes.writeBigUInt64LE(2n ** 62n, 0);
    const error = await formatErrorOf(await damaged('huge-header.safetensors', bytes));
    expect(error.message).toMatch(/header length 4611686018427387904 does not fit/);
    expect(error.position).toEqual({ byte: 0 });
  });

  it('rejects a header that is not JSON', async () => {
    const bytes = Buffer.from(good);
    bytes.write('#', 8);
    expect((await formatErrorOf(await damaged('not-json.safetensors', bytes))).message).toMatch(/header is not valid JSON/);
  });

  it('rejects a header whose shapes do not match the byte ranges', async () => {
    const text = good.subarray(8, 8 + headerLength).toString('utf8').replace('"shape":[2,3]', '"shape":[3,3]');
    const bytes = Buffer.concat([good.subarray(0, 8), Buffer.from(text), good.subarray(8 + headerLength)]);
    expect((await formatErrorOf(await damaged('bad-shape-header.safetensors', bytes))).message).toMatch(/tensor encoder.weight: 24 bytes for shape \[3,3\]/);
  });

  it('rejects overlapping tensors', async () => {
    const text = good.subarray(8, 8 + headerLength).toString('utf8').replace('"data_offsets":[24,36]', '"data_offsets":[20,32]');
    const bytes = Buffer.concat([good.subarray(0, 8), Buffer.from(text), good.subarray(8 + headerLength)]);
    expect((await formatErrorOf(await damaged('overlap.safetensors', bytes))).message).toMatch(/gap or overlap/);
  });

  it('detects altered tensor bytes by their checksum', async () => {
    const bytes = Buffer.from(good);
    bytes[8 + headerLength + 2]! ^= 0x40;
    expect((await formatErrorOf(await damaged('flipped.safetensors', bytes))).message).toMatch(/does not match its checksum/);
  });

  it('rejects an unsupported dtype', async () => {
    const text = good.subarray(8, 8 + headerLength).toString('utf8').replace('"dtype":"I32"', '"dtype":"I64"');
    const bytes = Buffer.concat([good.subarray(0, 8), Buffer.from(text), good.subarray(8 + headerLength)]);
    expect((await formatErrorOf(await damaged('dtype.safetensors', bytes))).message).toMatch(/dtype "I64" is not supported/);
  });
});

describe('atomic writes', () => {
  it('a save killed mid-write (SIGKILL) leaves the previous checkpoint intact', async () => {
    const file = join(directory, 'atomic.safetensors');
    await saveCheckpoint(file, { ...sampleCheckpoint(), epoch: 1 });

    // The child writes a 16 MiB checkpoint in 1 MiB chunks, pausing after each (a test-only hook).
    const script = join(directory, 'slow-writer.mts'); // .mts: an ES module outside the package
    const checkpointModule = new URL('../../src/train/checkpoint.ts', import.meta.url).href;
    await writeFile(
      script,
      `import { saveCheckpoint } from ${JSON.stringify(checkpointModule)};
const data = new Float32Array(4 * 1024 * 1024).fill(7);
await saveCheckpoint(process.argv[2], { tensors: new Map([['big', { shape: [data.length], data }]]), epoch: 2 });
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script, file], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, BITPOINT_CHECKPOINT_TEST_WRITE_DELAY_MS: '200' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let childErrors = '';
    let childRunning = true;
    child.stderr.on('data', (chunk: Buffer) => (childErrors += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => {
        childRunning = false;
        resolve(signal);
      }),
    );

    // Wait until the temporary file beside the target holds at least one chunk, then kill.
    const temporaryFile = await waitFor(async () => {
      if (!childRunning) throw new Error(`the writer exited before it could be killed: ${childErrors}`);
      const name = (await readdir(directory)).find((entry) => entry.startsWith('.atomic.safetensors.') && entry.endsWith('.tmp'));
      if (!name) return null;
      return (await stat(join(directory, name))).size >= 1024 * 1024 ? join(directory, name) : null;
    }, 20_000, () => childErrors);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // The kill landed mid-write: the temporary file is partial...
    expect((await stat(temporaryFile)).size).toBeLessThan(16 * 1024 * 1024);
    // ...and the target is still the previous, complete checkpoint.
    const survivor = await loadCheckpoint(file);
    expect(survivor.epoch).toBe(1);
    expect(plain(survivor)).toEqual(plain({ ...sampleCheckpoint(), epoch: 1 }));
    // A leftover temporary file does not disturb the next save.
    await saveCheckpoint(file, { ...sampleCheckpoint(), epoch: 3 });
    expect((await loadCheckpoint(file)).epoch).toBe(3);
  });
});

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs: number, context: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== null) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out; child stderr: ${context()}`);
}

describe('captureModelState / restoreModelState', () => {
  it('restores a model from a saved file exactly, by hierarchical path', async () => {
    const source = new Model(1);
    const file = join(directory, 'model.safetensors');
    const tensors = captureModelState(source);
    expect([...tensors.keys()]).toEqual(['encoder.weight', 'encoder.bias', 'encoder.seenBatches']);
    expect(tensors.get('encoder.seenBatches')!.data).toBeInstanceOf(Int32Array);
    await saveCheckpoint(file, { tensors });

    const target = new Model(-3);
    const report = restoreModelState(target, (await loadCheckpoint(file)).tensors, file);
    expect(report).toEqual({ restored: ['encoder.weight', 'encoder.bias', 'encoder.seenBatches'], missing: [], unexpected: [] });
    expect(Array.from(target.encoder.parameters()[0]!.variable.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(target.encoder.parameters()[1]!.variable.dataSync())).toEqual([0.5, -0.5, 0]);
    expect(target.encoder.parameters()[2]!.variable.dtype).toBe('int32');
    source.dispose();
    target.dispose();
  });

  it('captures a snapshot that later updates do not change', () => {
    const model = new Model(1);
    const tensors = captureModelState(model);
    tf.tidy(() => model.encoder.parameters()[0]!.assign(tf.zeros([2, 3])));
    expect(Array.from(tensors.get('encoder.weight')!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    model.dispose();
  });

  it('lists missing, unexpected and mis-shaped tensors, and leaves the model untouched', () => {
    const model = new Model(1);
    const tensors = captureModelState(new Model(9));
    tensors.delete('encoder.bias');
    tensors.set('decoder.weight', { shape: [1], data: new Float32Array(1) });
    tensors.set('encoder.weight', { shape: [3, 2], data: new Float32Array(6) });
    let error: unknown;
    try {
      restoreModelState(model, tensors, 'runs/x/last.safetensors');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FormatError);
    const message = (error as FormatError).message;
    expect(message).toMatch(/^runs\/x\/last.safetensors: does not match the model/);
    expect(message).toContain('missing encoder.bias');
    expect(message).toContain('unexpected decoder.weight');
    expect(message).toContain('encoder.weight has shape [3,2] in the checkpoint, [2,3] in the model');
    expect(Array.from(model.encoder.parameters()[0]!.variable.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    model.dispose();
  });

  it('non-strict restore loads what matches and reports the rest', () => {
    const model = new Model(1);
    const tensors = captureModelState(new Model(2));
    tensors.delete('encoder.bias');
    tensors.set('head.weight', { shape: [1], data: new Float32Array(1) });
    const report = restoreModelState(model, tensors, 'pretrained', { strict: false });
    expect(report).toEqual({ restored: ['encoder.weight', 'encoder.seenBatches'], missing: ['encoder.bias'], unexpected: ['head.weight'] });
    expect(Array.from(model.encoder.parameters()[0]!.variable.dataSync())).toEqual([2, 4, 6, 4, 5, 6]);
    model.dispose();
  });

  it('rejects a dtype mismatch', () => {
    const model = new Model(1);
    const tensors = captureModelState(model);
    tensors.set('encoder.seenBatches', { shape: [1], data: new Float32Array([1]) });
    expect(() => restoreModelState(model, tensors)).toThrow(/encoder.seenBatches is float32 in the checkpoint, int32 in the model/);
    model.dispose();
  });
});

describe('resuming training from a checkpoint', () => {
  it('model, optimizer and RNG continue exactly like an uninterrupted run', async () => {
    const stepsBefore = 3;
    const stepsAfter = 3;
    /** A few Adam steps with random gradients drawn from the run's RNG. */
    const train = (model: Model, optimizer: ReturnType<typeof createOptimizer>, rng: Rng, steps: number): void => {
      for (let s = 0; s < steps; s++) {
        const params = model.trainableParameters();
        const grads = new Map(params.map((p) => [p.path, tf.tensor(Array.from({ length: p.size }, () => rng.normal()), p.shape)]));
        optimizer.step(params, grads, 0.01);
        tf.dispose([...grads.values()]);
      }
    };

    // The reference run saves a checkpoint and carries on; the resumed run starts from that file.
    const reference = new Model(1);
    const referenceOptimizer = createOptimizer({ name: 'adam', weightDecay: 0.01, decoupled: true });
    const referenceRng = new Rng(5);
    train(reference, referenceOptimizer, referenceRng, stepsBefore);
    const file = join(directory, 'resume.safetensors');
    await saveCheckpoint(file, {
      tensors: captureModelState(reference),
      optimizer: referenceOptimizer.getState(),
      step: stepsBefore,
      epoch: 0,
      rngState: referenceRng.getState(),
    });
    train(reference, referenceOptimizer, referenceRng, stepsAfter);

    const checkpoint = await loadCheckpoint(file);
    const resumed = new Model(7);
    restoreModelState(resumed, checkpoint.tensors, file);
    const resumedOptimizer = createOptimizer({ name: 'adam', weightDecay: 0.01, decoupled: true });
    resumedOptimizer.setState(checkpoint.optimizer!);
    const resumedRng = new Rng(0);
    resumedRng.setState(checkpoint.rngState!);
    train(resumed, resumedOptimizer, resumedRng, stepsAfter);

    const values = (model: Model) => model.parameters().map((p) => Array.from(p.variable.dataSync()));
    expect(values(resumed)).toEqual(values(reference));
    for (const item of [reference, resumed, referenceOptimizer, resumedOptimizer]) item.dispose();
  });
});
