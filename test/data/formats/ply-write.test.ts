import { describe, expect, it } from 'vitest';
import {
  parsePly,
  plyList,
  plyScalar,
  plyToMesh,
  plyToPointCloud,
  PLY_TYPES,
  writePly,
  writePointCloudPly,
  type PlyData,
  type PlyFormat,
  type PlyScalarType,
} from '../../../src/data/formats/ply/index.ts';
import type { PointCloud } from '../../../src/data/formats/point-cloud.ts';
import { Rng } from '../../../src/util/rng.ts';

const FORMATS: PlyFormat[] = ['ascii', 'binary_little_endian', 'binary_big_endian'];
const TYPES = Object.keys(PLY_TYPES) as PlyScalarType[];

/** Extremes and awkward values of each type, padded with random ones. */
function valuesOf(type: PlyScalarType, rng: Rng, count: number): number[] {
  const info = PLY_TYPES[type];
  const special = info.integer
    ? [info.min, info.max, 0, info.min + 1, info.max - 1]
    : type === 'float32'
      ? [3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, 1.1754943508222875e-38, 0.1, -0, NaN, Infinity, -Infinity]
      : [Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, 2.2250738585072014e-308, 0.1, Math.PI, -0, NaN, Infinity, -Infinity];
  const values = special.slice(0, count);
  while (values.length < count) {
    values.push(info.integer ? info.min + Math.floor(rng.uniform() * (info.max - info.min + 1)) : (rng.uniform() - 0.5) * 10 ** rng.int(30));
  }
  return Array.from(PLY_TYPES[type].create(count).map((_, i) => values[i]!));
}

function sameValues(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    // Object.is tells -0 from 0 and NaN from a number; a template string would not.
    if (!Object.is(actual[i], expected[i])) expect.fail(`value ${i}: got ${Object.is(actual[i], -0) ? '-0' : actual[i]}, wrote ${Object.is(expected[i], -0) ? '-0' : expected[i]}`);
  }
}

describe('writePly → parsePly gives back every value', () => {
  const rng = new Rng(11);
  const count = 40;
  const scalars = TYPES.map((type) => plyScalar(`v_${type}`, type, valuesOf(type, rng, count)));
  const listsOnVertex = TYPES.map((type) => {
    const items = valuesOf(type, rng, count * 3);
    return plyList(`l_${type}`, 'uint8', type, Array.from({ length: count }, (_, i) => items.slice(i * 3, i * 3 + (i % 4))));
  });
  const countTypes = TYPES.filter((type) => PLY_TYPES[type].integer && type !== 'int8');
  const faceLists = countTypes.map((countType) => plyList(`f_${countType}`, countType, 'int32', [[0, 1, 2], [2, 1, 0, 3, 4], []]));
  const data = {
    comments: ['round trip'],
    objInfo: ['every type'],
    elements: [
      { name: 'vertex', properties: [...scalars, ...listsOnVertex] },
      { name: 'face', properties: faceLists },
      { name: 'empty', count: 0, properties: [plyScalar('nothing', 'float64', [])] },
    ],
  };

  for (const format of FORMATS) {
    for (const typeNames of ['classic', 'sized'] as const) {
      it(`${format}, ${typeNames} type names`, () => {
        const bytes = writePly(data, { format, typeNames });
        const header = new TextDecoder().decode(bytes.subarray(0, 200));
        expect(header.startsWith(`ply\nformat ${format} 1.0\ncomment round trip\nobj_info every type\nelement vertex ${count}\n`)).toBe(true);
        expect(header).toContain(typeNames === 'classic' ? 'property char v_int8' : 'property int8 v_int8');
        const read: PlyData = parsePly(bytes, `round-trip.${format}.ply`);
        expect(read.format).toBe(format);
        expect(read.comments).toEqual(['round trip']);
        expect(read.objInfo).toEqual(['every type']);
        expect(read.elements.map((element) => [element.name, element.count])).toEqual([
          ['vertex', count],
          ['face', 3],
          ['empty', 0],
        ]);
        const written = data.elements.flatMap((element) => element.properties);
        const parsed = read.elements.flatMap((element) => element.properties);
        expect(parsed.map((property) => property.name)).toEqual(written.map((property) => property.name));
        parsed.forEach((property, k) => {
          const original = written[k]!;
          expect(property.kind).toBe(original.kind);
          if (property.kind === 'scalar' && original.kind === 'scalar') {
            expect(property.type).toBe(original.type);
            sameValues(property.values, original.values);
          } else if (property.kind === 'list' && original.kind === 'list') {
            expect([property.countType, property.itemType]).toEqual([original.countType, original.itemType]);
            sameValues(property.offsets, original.offsets);
            sameValues(property.values, original.values);
          }
        });
      });
    }
  }
});

describe('point clouds with labels and predictions travel in PLY', () => {
  const rng = new Rng(5);
  const n = 100;
  const cloud: PointCloud = {
    points: Float32Array.from({ length: n * 3 }, () => rng.normal()),
    normals: Float32Array.from({ length: n * 3 }, () => rng.uniform()),
    colors: Float32Array.from({ length: n * 3 }, () => rng.int(256) / 255),
    attributes: {
      label: { type: 'uint8', values: Uint8Array.from({ length: n }, () => rng.int(50)) },
      pred_pointnet: { type: 'uint8', values: Uint8Array.from({ length: n }, () => rng.int(50)) },
      confidence: { type: 'float32', values: Float32Array.from({ length: n }, () => rng.uniform()) },
    },
  };
  const faces = Uint32Array.from([0, 1, 2, 3, 4, 5]);

  it.each(FORMATS)('%s', (format) => {
    const bytes = writePointCloudPly(cloud, { format, mesh: { faces }, comments: ['predictions'] });
    const ply = parsePly(bytes, 'pred.ply');
    const read = plyToPointCloud(ply, 'pred.ply');
    sameValues(read.points, cloud.points);
    sameValues(read.normals!, cloud.normals!);
    sameValues(read.colors!, cloud.colors!);
    expect(Object.keys(read.attributes!)).toEqual(['label', 'pred_pointnet', 'confidence']);
    for (const [name, attribute] of Object.entries(cloud.attributes!)) {
      expect(read.attributes![name]!.type).toBe(attribute.type);
      sameValues(read.attributes![name]!.values, attribute.values);
    }
    sameValues(read.labels!, cloud.attributes!['label']!.values);
    sameValues(plyToMesh(ply, 'pred.ply')!.faces, faces);
  });

  it('labels alone are written as an int32 `label` property', () => {
    const labels = Int32Array.from([3, -1, 70000]);
    const read = plyToPointCloud(parsePly(writePointCloudPly({ points: new Float32Array(9), labels }), 'l.ply'), 'l.ply');
    sameValues(read.labels!, labels);
    expect(read.attributes!['label']!.type).toBe('int32');
  });
});

describe('writePly refuses values that do not fit', () => {
  it.each([
    ['300 as uchar', [plyScalar('x', 'float32', [1]), { kind: 'scalar' as const, name: 'label', type: 'uint8' as const, values: [300] }], /value 300 at index 0 does not fit uint8/],
    ['1.5 as int', [{ kind: 'scalar' as const, name: 'label', type: 'int32' as const, values: [1.5] }], /does not fit int32/],
    ['a name with a space', [{ kind: 'scalar' as const, name: 'my label', type: 'int32' as const, values: [1] }], /non-empty without spaces/],
    ['mismatched lengths', [plyScalar('x', 'float32', [1, 2]), plyScalar('y', 'float32', [1])], /has 1 values for 2 records/],
    ['a list too long for its count type', [plyList('vertex_indices', 'uint8', 'int32', [new Array(256).fill(0)])], /256 items, which a uint8 count cannot hold/],
  ])('%s', (_, properties, message) => {
    expect(() => writePly({ elements: [{ name: 'vertex', properties }] })).toThrow(message);
  });
});
