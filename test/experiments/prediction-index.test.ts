import { describe, expect, it } from 'vitest';
import { predictionEntry } from '../../src/experiments/demo-predictions.ts';
import { PREDICTION_INDEX_VERSION, predictionIndexJson, readPredictionIndex, type PredictionIndexEntry } from '../../src/experiments/prediction-index.ts';
import { SHAPENET_PART_TABLE } from '../../src/data/datasets/part-table.ts';

/** index.json of a prediction folder: what the writer puts in is what the reader gets back, and bad parts are named. */

const run = { method: 'int4', task_label: 'pointnet-seg', bits: 4, activation_bits: 4, sparsity: 0, measured_sparsity: 0.125, packed_bytes: 52_000 };
const partTable = { ...SHAPENET_PART_TABLE, categories: SHAPENET_PART_TABLE.categories.map((c) => (c.name === 'Chair' ? { ...c, partNames: ['back', 'seat', 'leg', 'arm'] } : c)) };

describe('prediction index', () => {
  it('carries a run\'s facts and its card\'s names, and reads back as written', () => {
    const entry = predictionEntry(
      run,
      { task: 'segmentation', partTable },
      { file: 'pointnet-seg/chair_7/int4.ply', shape: 'chair 7', category: 4, labels: Int32Array.of(12, 13, 14, 15), prediction: { task: 'segmentation', parts: Int32Array.of(12, 13, 14, 12) } },
      'fp',
    );
    expect(entry).toEqual({
      file: 'pointnet-seg/chair_7/int4.ply',
      shape: 'chair 7',
      task: 'segmentation',
      model: 'int4',
      task_label: 'pointnet-seg',
      method: 'int4',
      reference: 'fp',
      weight_bits: 4,
      activation_bits: 4,
      sparsity: 0.125, // measured, not the configured 0
      packed_bytes: 52_000,
      category: 'Chair',
      parts: [12, 13, 14, 15],
      part_names: ['back', 'seat', 'leg', 'arm'],
      point_accuracy: 0.75,
    });
    const text = predictionIndexJson({ title: 'demo', entries: [entry] });
    expect(JSON.parse(text)).toMatchObject({ version: PREDICTION_INDEX_VERSION, title: 'demo' });
    expect(readPredictionIndex(JSON.parse(text))).toEqual({ index: { version: 2, title: 'demo', entries: [entry] }, warnings: [] });
  });

  it('leaves out what is not known: no packed size before export, no part names in the standard table', () => {
    const entry = predictionEntry(
      { ...run, packed_bytes: null, measured_sparsity: null },
      { task: 'segmentation', partTable: SHAPENET_PART_TABLE },
      { file: 'a/int4.ply', shape: 'a', category: 0, prediction: { task: 'segmentation' } },
    );
    expect(entry).not.toHaveProperty('packed_bytes');
    expect(entry).not.toHaveProperty('part_names');
    expect(entry).not.toHaveProperty('reference');
    expect(entry).toMatchObject({ sparsity: 0, parts: [0, 1, 2, 3], category: 'Airplane' });
  });

  it('skips entries it cannot use and drops fields of the wrong type, naming the file and the entry', () => {
    const good: PredictionIndexEntry = { file: 'x/fp.ply', shape: 'x', task: 'classification', model: 'fp' };
    const { index, warnings } = readPredictionIndex(
      {
        version: 2,
        entries: [
          good,
          { file: 'x/b.ply', shape: 'x', task: 'classification', model: 'b', weight_bits: '1', class_names: ['a', 2] },
          { file: 'x/c.ply', shape: 'x', model: 'c' },
          { file: '../../etc/passwd', shape: 'x', task: 'segmentation', model: 'd' },
          { file: 'x/e.ply', shape: 'x', task: 'segmentation', model: 'e', parts: [1, 2], part_names: ['only one'] },
          'nonsense',
        ],
      },
      'runs/p/index.json',
    );
    expect(index!.entries.map((entry) => entry.model)).toEqual(['fp', 'b', 'e']);
    expect(index!.entries[1]).toEqual({ file: 'x/b.ply', shape: 'x', task: 'classification', model: 'b' });
    expect(index!.entries[2]).toEqual({ file: 'x/e.ply', shape: 'x', task: 'segmentation', model: 'e', parts: [1, 2] });
    expect(warnings).toEqual([
      'runs/p/index.json: entries[1]: ignored weight_bits, class_names of the wrong type',
      'runs/p/index.json: entries[2] has no valid "task"; skipped',
      'runs/p/index.json: entries[3]: "file" "../../etc/passwd" must be a path inside the folder; skipped',
      'runs/p/index.json: entries[4]: ignored part_names: 2 parts but a different number of names',
      'runs/p/index.json: entries[5] is not an object; skipped',
    ]);
  });

  it('reads the older list without facts, and refuses other versions and shapes', () => {
    const legacy = readPredictionIndex([
      { file: '/abs/runs/demo/predictions/pointnet-seg/Chair_3/binary.ply', task_label: 'pointnet-seg', method: 'binary', shape: 'Chair 3', point_accuracy: 0.5 },
      { file: 'p/x/fp.ply', method: 'fp', shape: 'x' },
    ]);
    expect(legacy.index!.entries).toEqual([
      { file: 'pointnet-seg/Chair_3/binary.ply', shape: 'Chair 3', task: 'segmentation', model: 'binary', method: 'binary', task_label: 'pointnet-seg', point_accuracy: 0.5 },
    ]);
    expect(legacy.warnings).toEqual(['index.json: entry 1: records no outcome, so its task is unknown; skipped']);
    expect(readPredictionIndex({ version: 3, entries: [] })).toEqual({ warnings: ['index.json: version 3, but this viewer reads version 2 (and the older list); ignoring it'] });
    expect(readPredictionIndex({ models: [], shapes: [] }).warnings).toEqual(['index.json: no "version", but this viewer reads version 2 (and the older list); ignoring it']);
    expect(readPredictionIndex('text').index).toBeUndefined();
  });
});
