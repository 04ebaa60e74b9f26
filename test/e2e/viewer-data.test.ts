import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listPredictionFiles } from '../../src/cli/view.ts';
import { FormatError } from '../../src/util/errors.ts';
import { readPredictionIndex } from '../../src/experiments/prediction-index.ts';
import { filesFromIndex, groupFilesByShape, indexFacts, orderModels, parseManifest, pickReference, shapeInfo } from '../../viewer/src/catalog.ts';
import { AGREE_COLOR, DIFF_COLOR, ERROR_COLOR, NEUTRAL_COLOR, idColors, pointColors } from '../../viewer/src/colors.ts';
import { countDifferences, segmentationScores } from '../../viewer/src/metrics.ts';
import { readPredictionFile, splitPredictionFileName } from '../../viewer/src/predictions.ts';
import { ShapeCollection } from '../../viewer/src/shapes.ts';
import { classificationPly, makeCone, segmentationPly, writtenIndex } from './prediction-fixtures.ts';

/** The viewer's data side (browser code, tested in Node): files, names, scores, colours, grouping. */

const points = new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
const truth = new Int32Array([0, 0, 1, 1]);

describe('prediction files', () => {
  it('reads a segmentation file: truth, prediction, task, names', () => {
    const file = readPredictionFile(segmentationPly(points, truth, new Int32Array([0, 1, 1, 1]), { run: 'runs/binary/' }), 'chair__binary.ply');
    expect(file).toMatchObject({ shape: 'chair', model: 'binary', named: true, task: 'segmentation', count: 4 });
    expect([...file.truth!]).toEqual([0, 0, 1, 1]);
    expect([...file.pred!]).toEqual([0, 1, 1, 1]);
    expect(file.warnings).toEqual([]);
  });

  it('reads a classification file: probabilities in column order, the predicted class comment', () => {
    const file = readPredictionFile(classificationPly(makeCone(16), 0, [0.2, 0.7, 0.05, 0.05]), 'cone.ply');
    expect(file.task).toBe('classification');
    expect(file.classNames).toEqual(['cone', 'cube', 'sphere', 'torus']);
    expect([...file.probabilities!].map((p) => Number(p.toFixed(3)))).toEqual([0.2, 0.7, 0.05, 0.05]);
    expect(file.predictedClassName).toBe('cube');
    // Not named <shape>__<model>: the model is the run from the `bitpoint predict --run` comment.
    expect(file).toMatchObject({ shape: 'cone', model: 'test', named: false });
  });

  it('takes model facts from header comments', () => {
    const bytes = segmentationPly(points, truth, truth, { comments: ['bits 2', 'sparsity 0.25', 'size_bytes 1234', 'method ternary'] });
    expect(readPredictionFile(bytes, 'a__t.ply').facts).toEqual({ bits: 2, sparsity: 0.25, size_bytes: 1234, method: 'ternary' });
    expect(readPredictionFile(segmentationPly(points, truth, truth, { comments: ['bits 4', 'activation_bits 8'] }), 'a__q.ply').facts).toEqual({ bits: 4, activation_bits: 8 });
  });

  it('names the file and the problem for a truncated file, an unsupported type, non-integer ids', () => {
    const bytes = segmentationPly(points, truth, truth);
    expect(() => readPredictionFile(bytes.subarray(0, bytes.length - 5), 'cut.ply')).toThrow(FormatError);
    expect(() => readPredictionFile(bytes.subarray(0, bytes.length - 5), 'cut.ply')).toThrow(/^cut\.ply \(byte \d+\): .*truncated/);
    expect(() => readPredictionFile(bytes, 'cloud.off')).toThrow(/^cloud\.off: unsupported file type \.off/);
    const text = 'ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nproperty float pred\nend_header\n0 0 0 1.5\n';
    expect(() => readPredictionFile(new TextEncoder().encode(text), 'f.ply')).toThrow(/f\.ply: vertex property 'pred' must hold integer ids, but point 0 has 1\.5/);
  });

  it('warns about a file without predictions but still reads it', () => {
    const text = 'ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n0 0 0\n';
    expect(readPredictionFile(new TextEncoder().encode(text), 'p.ply').warnings[0]).toMatch(/no 'pred' or 'label'/);
  });

  it('splits <shape>__<model>.ply and <shape>/<model>.ply', () => {
    expect(splitPredictionFileName('airplane_0001__4bit.ply')).toEqual({ shape: 'airplane_0001', model: '4bit', named: true });
    expect(splitPredictionFileName('sub/airplane_0001__4bit.ply')).toEqual({ shape: 'sub/airplane_0001', model: '4bit', named: true });
    expect(splitPredictionFileName('pointnet-seg/chair_0003/binary.ply')).toEqual({ shape: 'pointnet-seg/chair_0003', model: 'binary', named: true });
    expect(splitPredictionFileName('plain.PLY')).toEqual({ shape: 'plain', model: 'plain', named: false });
  });
});

describe('scores', () => {
  it('accuracy and mIoU over the category parts (absent parts count as 1)', () => {
    const pred = new Int32Array([0, 1, 1, 1]);
    const scores = segmentationScores(truth, pred, [0, 1, 2]);
    expect(scores.accuracy).toBe(0.75);
    expect(scores.parts.map((p) => p.iou)).toEqual([0.5, 2 / 3, 1]);
    expect(scores.miou).toBeCloseTo((0.5 + 2 / 3 + 1) / 3, 12);
    expect(segmentationScores(truth, pred).parts.map((p) => p.part)).toEqual([0, 1]);
    expect(countDifferences(pred, truth)).toBe(1);
  });
});

describe('colours', () => {
  const colors = idColors([truth]);
  it('one distinct colour per id, none of them the error colour', () => {
    expect(colors.get(0)).not.toEqual(colors.get(1));
    expect([...colors.values()]).not.toContainEqual(ERROR_COLOR);
  });
  it('errors red, agreement grey, missing data neutral', () => {
    const pred = new Int32Array([0, 1, 1, 1]);
    const error = pointColors('error', { count: 4, truth, pred }, colors);
    expect([...error.subarray(0, 3)]).toEqual([...AGREE_COLOR]);
    expect([...error.subarray(3, 6)]).toEqual([...ERROR_COLOR]);
    const diff = pointColors('diff', { count: 4, pred, reference: truth }, colors);
    expect([...diff.subarray(3, 6)]).toEqual([...DIFF_COLOR]);
    const missing = pointColors('truth', { count: 4, pred }, colors);
    expect([...missing.subarray(0, 3)]).toEqual([...NEUTRAL_COLOR]);
  });
});

describe('catalog and shapes', () => {
  it('takes facts, names and the reference from the index the demo writes, keyed by file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitpoint-index-'));
    try {
      writeFileSync(join(dir, 'plane_0__fp32.ply'), segmentationPly(points, truth, truth));
      writeFileSync(join(dir, 'plane_0__binary.ply'), segmentationPly(points, truth, truth));
      writeFileSync(
        join(dir, 'index.json'),
        writtenIndex(
          [
            { method: 'fp32', bits: 32, activation_bits: 32, sparsity: 0, packed_bytes: 4000 },
            { method: 'binary', bits: 1, activation_bits: 1, sparsity: 0.25, packed_bytes: 250 },
          ],
          { labels: truth, pred: () => truth },
          { truth: 0, probabilities: () => [0.7, 0.1, 0.1, 0.1] },
        ),
      );
      // As the page gets it: through the server's manifest.
      const manifest = parseManifest(JSON.parse(JSON.stringify(await listPredictionFiles(dir))));
      expect(manifest.warnings).toEqual([]);
      const info = shapeInfo(manifest.index, 'plane_0')!;
      expect(info).toMatchObject({ task: 'segmentation', category: 'Airplane', parts: [0, 1, 2, 3], reference: 'fp32', models: ['fp32', 'binary'] });
      expect([...info.partNames!.values()]).toEqual(['body', 'wing', 'tail', 'engine']);
      expect(indexFacts(manifest.index, 'plane_0', 'binary')).toEqual({ method: 'binary', bits: 1, activation_bits: 1, sparsity: 0.25, size_bytes: 250 });
      expect(shapeInfo(manifest.index, 'cone_0')!.classNames).toEqual(['cone', 'cube', 'sphere', 'torus']);
      expect(shapeInfo(manifest.index, 'chair_9')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads an older list index for its files, and guesses nothing from names: facts are unknown', () => {
    const { index, warnings } = readPredictionIndex([
      { file: 'runs/demo/predictions/pointnet-cls/cone_0/binary.ply', task_label: 'pointnet-cls', method: 'binary', shape: 'cone_0', truth: 'cone', predicted: 'cube', probability: 0.5 },
      { file: 'runs/demo/predictions/pointnet-cls/cone_0/fp.ply', task_label: 'pointnet-cls', method: 'fp', shape: 'cone_0', truth: 'cone', predicted: 'cone', probability: 0.9 },
    ]);
    expect(warnings).toEqual([]);
    expect(groupFilesByShape(filesFromIndex(index!)).map((s) => [s.shape, s.files.map((f) => f.model)])).toEqual([['pointnet-cls/cone_0', ['binary', 'fp']]]);
    expect(indexFacts(index, 'pointnet-cls/cone_0', 'fp')).toEqual({ method: 'fp' });
    // "fp" is not taken for full precision, nor "binary" for 1 bit: the list's order stands.
    const facts = (model: string) => indexFacts(index, 'pointnet-cls/cone_0', model);
    const info = shapeInfo(index, 'pointnet-cls/cone_0')!;
    expect(info.reference).toBeUndefined();
    expect(orderModels(['fp', 'binary'], facts, info.models)).toEqual(['binary', 'fp']);
    expect(pickReference(['binary', 'fp'], facts, info.reference)).toBe('binary');
  });

  it('orders models by the facts when the index does not list them: 32 bits first, then by bits', () => {
    const bits: Record<string, number> = { a: 1, b: 4, c: 32 };
    const facts = (model: string) => (bits[model] !== undefined ? { bits: bits[model] } : {});
    expect(orderModels(['a', 'unknown', 'b', 'c'], facts)).toEqual(['c', 'b', 'a', 'unknown']);
    expect(orderModels(['a', 'b', 'c'], facts, ['a'])).toEqual(['a', 'c', 'b']);
    expect(pickReference(['a', 'b', 'c'], facts)).toBe('c');
    expect(pickReference(['a', 'b', 'c'], facts, 'b')).toBe('b');
  });

  it('groups offered files by shape; an opened file without the convention joins the shape with its points', () => {
    const manifest = parseManifest({ files: [{ name: 'a__fp.ply', size_bytes: 5 }, 'a__bin.ply', { name: 'b__fp.ply' }] });
    expect(groupFilesByShape(manifest.files).map((s) => [s.shape, s.files.map((f) => f.model)])).toEqual([
      ['a', ['fp', 'bin']],
      ['b', ['fp']],
    ]);
    const shapes = new ShapeCollection();
    const first = shapes.addOpenedFile(readPredictionFile(segmentationPly(points, truth, truth, { run: 'runs/fp' }), 'chair-fp.ply'));
    const second = shapes.addOpenedFile(readPredictionFile(segmentationPly(points, truth, truth, { run: 'runs/bin' }), 'chair-bin.ply'));
    expect(second).toBe(first);
    expect([...first.models.keys()]).toEqual(['fp', 'bin']);
    const other = shapes.addOpenedFile(readPredictionFile(segmentationPly(points.map((v) => v * 2), truth, truth), 'other.ply'));
    expect(other).not.toBe(first);
  });

  it('the server lists only .ply files, .bitpoint models (and index.json) of the folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitpoint-list-'));
    try {
      mkdirSync(join(dir, 'more'));
      writeFileSync(join(dir, 'a__fp.ply'), segmentationPly(points, truth, truth));
      writeFileSync(join(dir, 'more', 'b__fp.ply'), segmentationPly(points, truth, truth));
      writeFileSync(join(dir, 'notes.txt'), 'x');
      writeFileSync(join(dir, 'more', 'seg.bitpoint'), 'xyz');
      writeFileSync(join(dir, 'index.json'), '{"version": 2, "entries": [');
      const manifest = await listPredictionFiles(dir);
      expect(manifest.files.map((f) => f.name)).toEqual(['a__fp.ply', 'more/b__fp.ply']);
      expect(manifest.models).toEqual([{ name: 'more/seg.bitpoint', size_bytes: 3 }]);
      expect(parseManifest(JSON.parse(JSON.stringify(manifest))).models).toEqual([{ name: 'more/seg.bitpoint', size_bytes: 3 }]);
      expect(manifest.index).toBeNull();
      expect(manifest.warnings[0]).toMatch(/index\.json: not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
