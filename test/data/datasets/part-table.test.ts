import { describe, expect, it } from 'vitest';
import { SHAPENET_PART_TABLE, parsePartTableJson, partTableFromData, partTableToJson, standardPartTable } from '../../../src/data/datasets/part-table.ts';
import { FormatError } from '../../../src/util/errors.ts';

describe('part tables', () => {
  it('the standard ShapeNetPart table has 16 categories and 50 parts, Airplane 0–3 … Table 47–49', () => {
    expect(SHAPENET_PART_TABLE.categories).toHaveLength(16);
    expect(SHAPENET_PART_TABLE.partCount).toBe(50);
    const byName = Object.fromEntries(SHAPENET_PART_TABLE.categories.map((c) => [c.name, c.parts]));
    expect(byName.Airplane).toEqual([0, 1, 2, 3]);
    expect(byName.Chair).toEqual([12, 13, 14, 15]);
    expect(byName.Motorbike).toEqual([30, 31, 32, 33, 34, 35]);
    expect(byName.Table).toEqual([47, 48, 49]);
    const all = SHAPENET_PART_TABLE.categories.flatMap((c) => c.parts);
    expect(all).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('is used for a subset of standard categories, not for a foreign synset', () => {
    expect(standardPartTable([{ name: 'Mug', synset: '03797390' }])?.categories[0]!.parts).toEqual([36, 37]);
    expect(standardPartTable([{ name: 'Mug', synset: '90000002' }])).toBeUndefined();
  });

  it('reads both JSON forms in the data set’s category order', () => {
    const categories = [{ name: 'Cup', synset: '1' }, { name: 'Box', synset: '2' }];
    const rich = parsePartTableJson('{"categories":[{"name":"Box","parts":[3,2]},{"name":"Cup","parts":[0,1],"partNames":["body","handle"]}]}', 'p.json', categories);
    expect(rich.categories.map((c) => [c.name, c.parts])).toEqual([['Cup', [0, 1]], ['Box', [2, 3]]]);
    expect(rich.partCount).toBe(4);
    expect(rich.categories[0]!.partNames).toEqual(['body', 'handle']);
    const plain = parsePartTableJson('{"Cup":[0,1],"Box":[2]}', 'p.json', categories);
    expect(plain.categories.map((c) => c.parts)).toEqual([[0, 1], [2]]);
    expect(parsePartTableJson(partTableToJson(rich), 'p.json', categories)).toEqual(rich);
  });

  it('names the file and the problem for a bad table', () => {
    const categories = [{ name: 'Cup', synset: '1' }];
    expect(() => parsePartTableJson('{"Cup": [0, -1]}', 'root/part_table.json', categories)).toThrow(FormatError);
    expect(() => parsePartTableJson('{"Box": [0]}', 'root/part_table.json', categories)).toThrow(/root\/part_table.json: no parts listed for category 'Cup'/);
    expect(() => parsePartTableJson('{', 'root/part_table.json', categories)).toThrow(/not valid JSON/);
  });

  it('derives a table from the part ids seen per category', () => {
    const table = partTableFromData([{ name: 'A', synset: '1' }, { name: 'B', synset: '2' }], [new Set([1, 0]), new Set([4, 2])]);
    expect(table).toMatchObject({ source: 'data', partCount: 5 });
    expect(table.categories.map((c) => c.parts)).toEqual([[0, 1], [2, 4]]);
  });
});
