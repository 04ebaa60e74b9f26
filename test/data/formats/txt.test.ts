import { describe, expect, it } from 'vitest';
import { parsePointText, writePointText } from '../../../src/data/formats/txt.ts';
import { Rng } from '../../../src/util/rng.ts';
import { fixture, formatErrorOf, text } from './helpers.ts';

describe('parsePointText', () => {
  it('ModelNet40 resampled: six comma-separated columns', () => {
    const { cloud, delimiter, columns } = parsePointText(fixture('airplane_0001.txt'), 'airplane_0001.txt');
    expect([delimiter, columns]).toEqual([',', 6]);
    expect(cloud.points.length).toBe(32 * 3);
    expect(cloud.normals!.length).toBe(32 * 3);
    expect(cloud.labels).toBeUndefined();
    expect(Array.from(cloud.points.subarray(0, 3))).toEqual([0.5, 0, -0.5]);
    expect(Array.from(cloud.normals!.subarray(0, 3))).toEqual([1, 0, 0]);
    const t = 1 / 32;
    expect(cloud.points[3]).toBe(Math.fround(Number((Math.cos(7 * t) * 0.5).toFixed(6))));
  });

  it('ShapeNetPart: seven space-separated columns, CRLF, labels written as floats', () => {
    const { cloud, delimiter, columns } = parsePointText(fixture('shapenetpart.txt'), 'shapenetpart.txt');
    expect([delimiter, columns]).toEqual([' ', 7]);
    expect(Array.from(cloud.labels!)).toEqual(Array.from({ length: 24 }, (_, i) => 12 + (i % 4)));
    expect(Array.from(cloud.normals!.subarray(0, 3))).toEqual([0, 0, 1]);
  });

  it('grows past the first line\'s estimate when later lines are shorter', () => {
    const content = `1.000000000000 2.000000000000 3.000000000000\n${'1 2 3\n'.repeat(1000)}`;
    const { cloud } = parsePointText(text(content), 'short.txt');
    expect(cloud.points.length).toBe(1001 * 3);
    expect(Array.from(cloud.points.subarray(-3))).toEqual([1, 2, 3]);
  });

  it('three and four columns, tabs, blank lines', () => {
    expect(Array.from(parsePointText(text('1 2 3\n\n4\t5\t6\n'), 'xyz.txt').cloud.points)).toEqual([1, 2, 3, 4, 5, 6]);
    const labelled = parsePointText(text('1 2 3 7\n4 5 6 8'), 'xyzl.txt').cloud;
    expect(Array.from(labelled.labels!)).toEqual([7, 8]);
    expect(labelled.normals).toBeUndefined();
  });
});

describe('writePointText → parsePointText', () => {
  const rng = new Rng(9);
  const n = 200;
  const cloud = {
    points: Float32Array.from({ length: n * 3 }, () => rng.normal() * 10 ** (rng.int(6) - 3)),
    normals: Float32Array.from({ length: n * 3 }, () => rng.uniform() * 2 - 1),
    labels: Int32Array.from({ length: n }, () => rng.int(50)),
  };

  it('space-separated with labels (ShapeNetPart layout) is exact', () => {
    const read = parsePointText(text(writePointText(cloud)), 'w.txt');
    expect(read.columns).toBe(7);
    expect(read.cloud.points).toEqual(cloud.points);
    expect(read.cloud.normals).toEqual(cloud.normals);
    expect(read.cloud.labels).toEqual(cloud.labels);
  });

  it('comma-separated with 6 decimals (ModelNet layout)', () => {
    const written = writePointText({ points: cloud.points, normals: cloud.normals }, { delimiter: ',', decimals: 6 });
    expect(written.split('\n')[0]).toMatch(/^(-?\d+\.\d{6},){5}-?\d+\.\d{6}$/);
    const read = parsePointText(text(written), 'w.txt');
    expect(read.columns).toBe(6);
    read.cloud.points.forEach((value, i) => expect(Math.abs(value - cloud.points[i]!)).toBeLessThanOrEqual(5e-7 + Math.abs(value) * 1e-7));
  });
});

describe('parsePointText errors', () => {
  it.each([
    ['empty', '', /empty file/, 1],
    ['only blank lines', '\n\n  \n', /no points/, 4],
    ['five columns', '1 2 3 4 5\n', /expected 3 .*found 5/, 1],
    ['a short line', '1 2 3\n4 5\n', /fewer than 3 columns/, 2],
    ['a long line', '1,2,3\n4,5,6,7\n', /unexpected ','/, 2],
    ['a word', '1 2 3\n4 five 6\n', /expected a number for y, found 'five'/, 2],
    ['a fractional label', '1 2 3 4\n1 2 3 4.5\n', /label must be an integer/, 2],
    ['mixed separators', '1,2,3\n4 5 6\n', /expected ',' between columns/, 2],
  ])('%s', (_, content, message, line) => {
    const error = formatErrorOf(() => parsePointText(text(content), 'bad.txt'));
    expect(error.message).toMatch(message);
    expect(error.position).toEqual({ line });
  });
});
