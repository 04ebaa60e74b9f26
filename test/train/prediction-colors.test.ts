import { describe, expect, it } from 'vitest';
import { parsePcd, pcdToPointCloud, writePointCloudPcd } from '../../src/data/formats/pcd.ts';
import { parsePly, plyToPointCloud, writePointCloudPly } from '../../src/data/formats/ply/index.ts';
import { categoricalColor, PALETTE } from '../../src/data/palette.ts';
import { withPredictions } from '../../src/train/predict.ts';
import type { ModelCard } from '../../src/train/run-model.ts';

/** Issue 27: prediction files carry rgb by prediction, the viewer's palette, and the scalars. */
describe('prediction files are coloured by prediction', () => {
  const cloud = { points: Float32Array.from({ length: 6 * 3 }, (_, i) => i / 3) };

  it('segmentation: each point has its predicted part’s palette colour, in PLY (uchar rgb) and PCD (packed rgb)', () => {
    const card = { task: 'segmentation', points: 6, normals: false } as unknown as ModelCard;
    const parts = Int32Array.from([0, 1, 2, 13, 1, 0]);
    const predicted = withPredictions(cloud, { task: 'segmentation', parts, category: 0 }, card);
    const ply = parsePly(writePointCloudPly(predicted, { format: 'binary_little_endian' }), 'p.ply');
    const vertex = ply.elements[0]!;
    expect(vertex.properties.map((p) => `${p.name} ${p.kind === 'scalar' ? p.type : ''}`)).toEqual(['x float32', 'y float32', 'z float32', 'red uint8', 'green uint8', 'blue uint8', 'pred int32']);
    const fromPly = plyToPointCloud(ply, 'p.ply');
    const fromPcd = pcdToPointCloud(parsePcd(writePointCloudPcd(predicted, { encoding: 'binary_compressed' }), 'p.pcd'))!;
    for (const read of [fromPly, fromPcd]) {
      expect(Array.from(read.attributes!['pred']!.values)).toEqual(Array.from(parts));
      parts.forEach((part, i) => {
        expect(Array.from(read.colors!.subarray(3 * i, 3 * i + 3)).map((v) => Math.round(v * 255))).toEqual([...categoricalColor(part)]);
      });
    }
    expect(categoricalColor(2)).toEqual(PALETTE[2]);
  });

  it('classification: every point in the class colour, with pred and prob_<class> kept', () => {
    const card = { task: 'classification', classNames: ['box', 'cone', 'night stand'], points: 6, normals: false } as unknown as ModelCard;
    const predicted = withPredictions(cloud, { task: 'classification', predictedClass: 1, probabilities: Float32Array.from([0.2, 0.7, 0.1]) }, card);
    const read = pcdToPointCloud(parsePcd(writePointCloudPcd(predicted, { encoding: 'ascii' }), 'c.pcd'))!;
    expect(Object.keys(read.attributes!)).toEqual(['pred', 'prob_box', 'prob_cone', 'prob_night_stand']);
    expect(Array.from(read.colors!.subarray(0, 3)).map((v) => Math.round(v * 255))).toEqual([...PALETTE[1]!]);
    expect(read.attributes!['prob_cone']!.values[5]).toBeCloseTo(0.7, 6);
  });
});
