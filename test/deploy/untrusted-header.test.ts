import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import { crc32 } from '../../src/deploy/crc32.ts';
import { Engine } from '../../src/deploy/engine/engine.ts';
import type { EngineKernels } from '../../src/deploy/engine/kernels.ts';
import { createWasmKernels } from '../../src/deploy/engine/wasm-kernels.ts';
import { readPackedModel } from '../../src/deploy/format.ts';
import { LIMITS } from '../../src/deploy/validate-program.ts';
import { BitpointError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { buildTiny } from './tiny-models.ts';

/**
 * A packed file is untrusted input (issue 28): its JSON header is edited structurally and the
 * CRC recomputed, so every edit reaches the loader. Each must give either a model that loads and
 * runs, or a one-line error naming the file, within bounded memory and time.
 */

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = join(repo, 'test/fixtures/packed');
const FILE = 'edited.bitpoint';
type Json = Record<string, any>;

/** The header of a packed file as JSON. */
function headerOf(bytes: Uint8Array): Json {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + view.getUint32(12, true))));
}

/**
 * The file with its header replaced by `edit(header)` (any JSON value), padded as the writer pads,
 * with the header length and the CRC-32 (over header and payload) recomputed.
 */
function resign(bytes: Uint8Array, edit: (header: Json) => unknown): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = view.getUint32(12, true);
  const payload = bytes.subarray(24 + headerBytes);
  const header = headerOf(bytes);
  const replaced = edit(header);
  const json = new TextEncoder().encode(JSON.stringify(replaced === undefined ? header : replaced));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(24 + padded + payload.length);
  out.set(bytes.subarray(0, 12));
  out.set(json, 24);
  out.fill(0x20, 24 + json.length, 24 + padded);
  out.set(payload, 24 + padded);
  const outView = new DataView(out.buffer);
  outView.setUint32(12, padded, true);
  outView.setUint32(16, payload.length, true);
  outView.setUint32(20, crc32(out.subarray(24)), true);
  return out;
}

let kernels: EngineKernels;
beforeAll(async () => {
  await useBackend('wasm');
  kernels = await createWasmKernels();
});

/** 'ran' if the file loads and runs on a random cloud, else the error's one-line message. */
function outcome(bytes: Uint8Array, points = 64): { ran: true } | { ran: false; message: string } {
  try {
    const packed = readPackedModel(bytes, FILE);
    const engine = new Engine(packed, { file: FILE, kernels });
    const input = packed.header.input;
    const rows = input.kind === 'image' ? input.height * input.width : points;
    const rng = new Rng(1);
    const logits = engine.run({ values: Float32Array.from({ length: rows * input.channels }, () => rng.normal()), category: 0 });
    expect(logits.length).toBe(packed.header.task === 'classification' ? packed.header.numClasses : rows * packed.header.numClasses);
    return { ran: true };
  } catch (error) {
    // a BitpointError is what the CLI prints as one line; anything else is an internal error
    if (!(error instanceof BitpointError)) throw error;
    expect(error.message).toMatch(new RegExp(`^${FILE.replace('.', '\\.')}: `));
    expect(error.message).not.toContain('\n');
    return { ran: false, message: error.message };
  }
}

function rejection(bytes: Uint8Array): string {
  const result = outcome(bytes);
  if (result.ran) throw new Error('the edited file was accepted');
  return result.message;
}

/** Runs `make` and returns its refusal, checking the process grew by less than 300 MB meanwhile. */
function rejectionInBoundedMemory(make: () => Uint8Array): string {
  const before = process.memoryUsage().rss;
  const message = rejection(make());
  expect(process.memoryUsage().rss - before).toBeLessThan(300 * 2 ** 20);
  return message;
}

const pointnet = () => readFileSync(join(fixtures, 'pointnet-vanilla-bipointnet.bitpoint'));
const dgcnn = () => readFileSync(join(fixtures, 'dgcnn-bipointnet.bitpoint'));
const opIndex = (header: Json, op: string) => header['program'].findIndex((o: Json) => o['op'] === op);

describe('files written before the validator', () => {
  it('still load and run (the fixtures were exported before it existed)', () => {
    expect(outcome(pointnet())).toEqual({ ran: true });
    expect(outcome(dgcnn())).toEqual({ ran: true });
    // re-signing an unedited header changes nothing
    expect(outcome(resign(dgcnn(), () => undefined))).toEqual({ ran: true });
  });
});

describe('the edits of issue 28, each refused in one line', () => {
  it('source.card.points of 1e9, −1 and 2³¹', () => {
    for (const points of [1e9, -1, 2 ** 31]) {
      const message = rejectionInBoundedMemory(() => resign(pointnet(), (h) => void (h['source']['card']['points'] = points)));
      expect(message).toContain(`header.source.card: points must be an integer in [1, ${LIMITS.points}], got ${points}`);
    }
  });

  it('a transform with k = 1e5 (PointNet with T-Nets)', () => {
    const { bytes } = buildTiny('pointnet', 'bipointnet', 1, { encoder: [[8], [16, 24]] });
    expect(outcome(bytes)).toEqual({ ran: true });
    const message = rejectionInBoundedMemory(() => resign(bytes, (h) => void (h['program'][opIndex(h, 'transform')]['k'] = 1e5)));
    expect(message).toMatch(/program\[\d+\] \(transform inputTnet\.output\): k 100000 differs from its input's 3 channels/);
    // and a k past every tensor in the file
    expect(rejection(resign(bytes, (h) => void (h['program'][opIndex(h, 'transform')]['k'] = 1e7)))).toMatch(/k must be an integer in \[1, \d+\], got 10000000/);
  });

  it('an inserted knn with k = 1e7, and negative k', () => {
    const insert = (k: number) => (h: Json) => void h['program'].splice(1, 0, { op: 'knn', input: 'points', k, output: 'extra' });
    expect(rejectionInBoundedMemory(() => resign(pointnet(), insert(1e7)))).toMatch(/program\[1\] \(knn extra\): k must be an integer in \[1, 1000000\], got 10000000/);
    expect(rejection(resign(pointnet(), insert(-3)))).toMatch(/k must be an integer in \[1, 1000000\], got -3/);
    // k within the limit but beyond the model card's points: more neighbours than points
    expect(rejection(resign(pointnet(), insert(100)))).toMatch(/header\.source\.card: points must be an integer in \[100, 1000000\], got 64/);
    // and the engine refuses a cloud with fewer points than k (the card is only informative there)
    const noCard = resign(pointnet(), (h) => {
      insert(100)(h);
      delete h['source']['card'];
    });
    expect(rejection(noCard)).toMatch(/an input of 64 points is fewer than the model's 100 nearest neighbours/);
    expect(outcome(noCard, 128)).toEqual({ ran: true });
  });

  it('an unknown op', () => {
    expect(rejection(resign(pointnet(), (h) => void (h['program'][2]['op'] = 'softmax')))).toMatch(/program\[2\] \(softmax encoder2\.1\.linear\): op must be one of dense, .*, got "softmax"/);
  });

  it('a buffer read before it is written, and one written twice', () => {
    const swapped = resign(pointnet(), (h) => h['program'].reverse() && undefined);
    expect(rejection(swapped)).toMatch(/program\[0\] \(dense head\.classifier\): reads buffer "head\.fc2" before any op writes it/);
    const twice = resign(dgcnn(), (h) => void h['program'].splice(1, 0, structuredClone(h['program'][0])));
    expect(rejection(twice)).toMatch(/program\[1\] \(knn edgeconv1\.neighbours\): buffer "edgeconv1\.neighbours" is written twice/);
  });

  it('a missing output', () => {
    expect(rejection(resign(pointnet(), (h) => void h['program'].pop()))).toMatch(/header\.output: the program never writes its output "logits"/);
    expect(rejection(resign(pointnet(), (h) => void (h['output'] = 'encoder2.0')))).toMatch(/header\.output "encoder2\.0" holds sign bits, not logits/);
  });

  it('a group_max with group 0, and one that does not divide its rows', () => {
    const group = (g: number) => (h: Json) => void (h['program'][opIndex(h, 'group_max')]['group'] = g);
    expect(rejection(resign(dgcnn(), group(0)))).toMatch(/program\[5\] \(group_max edgeconv2\): group must be an integer in \[1, 1000000\], got 0/);
    expect(rejection(resign(dgcnn(), group(3)))).toMatch(/group 3 does not divide its input's 4·N rows/);
  });

  it('input.channels of 1e6', () => {
    expect(rejectionInBoundedMemory(() => resign(pointnet(), (h) => void (h['input']['channels'] = 1e6)))).toMatch(/header\.input: channels must be an integer in \[1, \d+\], got 1000000/);
  });

  it('sizes that disagree with the tensors, and NaN, strings and fractions where numbers belong', () => {
    const dense = (key: string, value: unknown) => (h: Json) => void (h['program'][1][key] = value);
    expect(rejection(resign(pointnet(), dense('outChannels', 2 ** 31)))).toMatch(/outChannels must be an integer in \[1, \d+\], got 2147483648/);
    expect(rejection(resign(pointnet(), dense('inChannels', 9)))).toMatch(/takes 9 channels, its input "encoder1\.0" has 8/);
    // JSON has no NaN: JSON.stringify writes null
    expect(rejection(resign(pointnet(), dense('slope', Number.NaN)))).toMatch(/slope must be a finite number, got null/);
    expect(rejection(resign(pointnet(), dense('outChannels', '16')))).toMatch(/outChannels must be an integer in \[1, \d+\], got "16"/);
    expect(rejection(resign(pointnet(), dense('outChannels', 16.5)))).toMatch(/got 16\.5/);
    expect(rejection(resign(pointnet(), (h) => void (h['numClasses'] = 6)))).toMatch(/header\.output "logits" is \[1, 5\], but a classification model of 6 classes outputs \[1, 6\]/);
    expect(rejection(resign(dgcnn(), (h) => void (h['program'][opIndex(h, 'edge_features')]['k'] = 5)))).toMatch(/k 5 differs from the 4 neighbours of "edgeconv2\.neighbours"/);
  });

  it('a header that is not an object, or whose program is not a list', () => {
    expect(rejection(resign(pointnet(), () => [1, 2]))).toMatch(/header\.format is undefined/);
    expect(rejection(resign(pointnet(), (h) => void (h['program'] = { op: 'dense' })))).toMatch(/header\.program must be a non-empty list of ops/);
    expect(rejection(resign(pointnet(), (h) => void (h['program'][0] = 'dense')))).toMatch(/program\[0\] is not an op/);
    expect(rejection(resign(pointnet(), (h) => void (h['source'] = null)))).toMatch(/header\.source must be an object, got null/);
  });
});

/** Every place in a JSON value: [parent, key] pairs. */
function places(value: unknown, out: Array<[Json, string | number]> = []): Array<[Json, string | number]> {
  if (typeof value !== 'object' || value === null) return out;
  for (const key of Array.isArray(value) ? value.keys() : Object.keys(value)) {
    out.push([value as Json, key]);
    places((value as Json)[key as string], out);
  }
  return out;
}

const NUMBERS = [-1, 0, 1, 2, 3, 2 ** 31, 2 ** 53, 1e9, -1e9, 0.5, Number.NaN, Number.POSITIVE_INFINITY];
const ODD_VALUES = [null, 'x', '', true, [], {}, '1'];

/** One random structural edit of the header, in place. */
function mutate(header: Json, rng: Rng): string {
  // an earlier edit may have replaced the program: then only the generic edits apply
  const program = Array.isArray(header['program']) && header['program'].length > 0 ? (header['program'] as Json[]) : null;
  const pick = <T>(items: readonly T[]): T => items[rng.int(items.length)]!;
  const buffers = [...new Set((program ?? []).filter((op) => typeof op === 'object' && op !== null).flatMap((op) => [op['input'], op['output'], op['dense']?.['input'], op['dense']?.['output']]).filter((v) => typeof v === 'string'))];
  switch (program ? rng.int(7) : 3 + rng.int(4)) {
    case 0: {
      const i = rng.int(program!.length);
      program!.splice(i, 1);
      return `delete op ${i}`;
    }
    case 1: {
      const i = rng.int(program!.length);
      program!.splice(rng.int(program!.length + 1), 0, structuredClone(program![i]!));
      return `duplicate op ${i}`;
    }
    case 2: {
      const [i, j] = [rng.int(program!.length), rng.int(program!.length)];
      [program![i], program![j]] = [program![j]!, program![i]!];
      return `swap ops ${i} and ${j}`;
    }
    case 3: {
      const numeric = places(header).filter(([parent, key]) => typeof parent[key as string] === 'number');
      const [parent, key] = pick(numeric);
      if (numeric.length === 0) return 'nothing';
      const value = pick(NUMBERS);
      parent[key as string] = value;
      return `set number ${String(key)} to ${value}`;
    }
    case 4: {
      const strings = places(header).filter(([parent, key]) => typeof parent[key as string] === 'string');
      if (strings.length === 0) return 'nothing';
      const [parent, key] = pick(strings);
      parent[key as string] = rng.uniform() < 0.7 ? pick(buffers) : 'renamed';
      return `rename ${String(key)}`;
    }
    case 5: {
      const all = places(header);
      if (all.length === 0) return 'nothing';
      const [parent, key] = pick(all);
      parent[key as string] = pick([...ODD_VALUES, ...NUMBERS]);
      return `replace ${String(key)}`;
    }
    default: {
      const keyed = places(header).filter(([parent]) => !Array.isArray(parent));
      if (keyed.length === 0) return 'nothing';
      const [parent, key] = pick(keyed);
      delete parent[key as string];
      return `delete key ${String(key)}`;
    }
  }
}

describe('random structural edits', () => {
  for (const [name, bytes] of [
    ['vanilla PointNet (bipointnet)', pointnet],
    ['DGCNN (bipointnet)', dgcnn],
  ] as const) {
    it(`${name}: 400 edited headers each run or are refused in one line, in bounded memory`, () => {
      const original = bytes();
      const rng = new Rng(28);
      const before = process.memoryUsage().rss;
      const tally = { ran: 0, refused: 0 };
      for (let trial = 0; trial < 400; trial++) {
        const edits: string[] = [];
        const edited = resign(original, (h) => {
          for (let n = 1 + rng.int(3); n > 0; n--) edits.push(mutate(h, rng));
        });
        let result: ReturnType<typeof outcome>;
        try {
          result = outcome(edited);
        } catch (error) {
          throw new Error(`trial ${trial} (${edits.join('; ')}): ${(error as Error).stack}`);
        }
        tally[result.ran ? 'ran' : 'refused']++;
      }
      // most edits break the program; some (a layer's label, an unused flag) leave it runnable
      expect(tally.refused).toBeGreaterThan(200);
      expect(tally.ran).toBeGreaterThan(0);
      expect(process.memoryUsage().rss - before).toBeLessThan(300 * 2 ** 20);
    }, 120_000);
  }
});

describe('bitpoint predict --model with an edited file', () => {
  const cli = join(repo, 'bin/bitpoint.js');
  const predict = (model: string, input: string, out: string) => spawnSync(process.execPath, [cli, 'predict', '--model', model, '--input', input, '--out', out, '--json'], { cwd: repo, encoding: 'utf8' });
  const mesh = join(repo, 'test/fixtures/formats/cube_quads.off');

  it('predicts with a file written before the validator, and refuses edited ones in one line with exit status 1', () => {
    const work = mkdtempSync(join(tmpdir(), 'bitpoint-untrusted-'));
    const good = predict(join(fixtures, 'dgcnn-bipointnet.bitpoint'), mesh, join(work, 'good.ply'));
    expect(good.stderr).toBe('');
    expect(good.status).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ task: 'classification', points: 64 });

    const cases: Array<[string, (h: Json) => void, RegExp]> = [
      ['points.bitpoint', (h) => void (h['source']['card']['points'] = 1e9), /points must be an integer in \[4, 1000000\], got 1000000000/],
      ['knn.bitpoint', (h) => void (h['program'][0]['k'] = 1e7), /program\[0\] \(knn edgeconv1\.neighbours\): k must be an integer/],
      ['unknown.bitpoint', (h) => void (h['program'][3]['op'] = 'conv3d'), /op must be one of/],
    ];
    for (const [name, edit, message] of cases) {
      const file = join(work, name);
      writeFileSync(file, resign(dgcnn(), edit));
      const result = predict(file, mesh, join(work, 'bad.ply'));
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(new RegExp(`^bitpoint: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
      expect(result.stderr).toMatch(message);
    }
  });
});
