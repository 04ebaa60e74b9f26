import { describe, expect, it } from 'vitest';
import { parseOff, writeOff } from '../../../src/data/formats/off.ts';
import type { Mesh } from '../../../src/data/mesh.ts';
import { Rng } from '../../../src/util/rng.ts';
import { CUBE } from '../../fixtures/formats/make-fixtures.ts';
import { fixture, formatErrorOf, text } from './helpers.ts';

describe('parseOff', () => {
  it('reads a hand-written cube: comments, blank lines, quads fan-triangulated', () => {
    const off = parseOff(fixture('cube_quads.off'), 'cube.off');
    expect(off.keyword).toBe('OFF');
    expect(off.countsOnKeywordLine).toBe(false);
    expect(Array.from(off.mesh.vertices)).toEqual(CUBE.positions);
    expect(off.polygonCount).toBe(6);
    expect(Array.from(off.mesh.faces)).toEqual(CUBE.quads.flatMap(([a, b, c, d]) => [a, b, c, a, c, d]));
  });

  it("reads ModelNet's `OFF490 518 0` quirk", () => {
    const off = parseOff(fixture('modelnet_quirk.off'), 'airplane_0627.off');
    expect(off.countsOnKeywordLine).toBe(true);
    expect(off.mesh.vertices.length).toBe(490 * 3);
    expect(off.mesh.faces.length).toBe(518 * 3);
    expect(Array.from(off.mesh.vertices.subarray(0, 6))).toEqual([20, 0, 0, 19.9934, 0.5129, 0].map(Math.fround));
    expect(Math.max(...off.mesh.faces)).toBe(489);
  });

  it('also accepts the counts after a space on the keyword line', () => {
    const off = parseOff(text('OFF 3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n'), 'same-line.off');
    expect(Array.from(off.mesh.faces)).toEqual([0, 1, 2]);
  });

  it('COFF: colours as 0–255 or 0–1, RGB or RGBA, face colours skipped', () => {
    const off = parseOff(fixture('tetra_colors.off'), 'tetra.off');
    expect(off.keyword).toBe('COFF');
    expect(Array.from(off.colors!)).toEqual([1, 0, 0, 1, 0, 1, 0, 128 / 255, 0, 0, 1, 0, 0.5, 0.5, 0.5, 1].map(Math.fround));
    expect(off.mesh.faces.length).toBe(12);
  });

  it('NOFF: per-vertex normals', () => {
    const off = parseOff(fixture('tetra_normals.off'), 'tetra.off');
    expect(Array.from(off.normals!.subarray(0, 6))).toEqual([-0.57735, -0.57735, -0.57735, 1, 0, 0].map(Math.fround));
    expect(off.colors).toBeUndefined();
  });

  it('CRLF line ends and a last line without newline', () => {
    const off = parseOff(text('OFF\r\n3 1 0\r\n0 0 0\r\n1 0 0\r\n0 1 0\r\n3 0 1 2'), 'crlf.off');
    expect(Array.from(off.mesh.faces)).toEqual([0, 1, 2]);
  });
});

describe('writeOff → parseOff', () => {
  const rng = new Rng(2);
  const mesh: Mesh = {
    vertices: Float32Array.from({ length: 300 }, () => rng.normal() * 10 ** rng.int(4)),
    faces: Uint32Array.from({ length: 120 }, () => rng.int(100)),
  };

  it('gives back exact float32 vertices and the faces', () => {
    const off = parseOff(text(writeOff(mesh)), 'w.off');
    expect(off.mesh.vertices).toEqual(mesh.vertices);
    expect(off.mesh.faces).toEqual(mesh.faces);
  });

  it('writes the ModelNet quirk and fixed decimals when asked', () => {
    const written = writeOff(mesh, { countsOnKeywordLine: true, decimals: 6 });
    expect(written.startsWith('OFF100 40 0\n')).toBe(true);
    expect(written.split('\n')[1]).toMatch(/^-?\d+\.\d{6} -?\d+\.\d{6} -?\d+\.\d{6}$/);
    const off = parseOff(text(written), 'w.off');
    expect(off.countsOnKeywordLine).toBe(true);
    off.mesh.vertices.forEach((value, i) => expect(Math.abs(value - mesh.vertices[i]!)).toBeLessThanOrEqual(5e-7 + Math.abs(value) * 1e-7));
  });

  it('writes NOFF and COFF', () => {
    const normals = Float32Array.from({ length: 300 }, () => rng.uniform());
    const colors = Float32Array.from({ length: 400 }, () => rng.int(11) / 10);
    const off = parseOff(text(writeOff(mesh, { normals, colors })), 'w.off');
    expect(off.keyword).toBe('CNOFF');
    expect(off.normals).toEqual(normals);
    off.colors!.forEach((value, i) => expect(value).toBeCloseTo(colors[i]!, 4));
  });
});

describe('parseOff errors', () => {
  it.each([
    ['empty', '', /empty file/, 1],
    ['no keyword', '3 1 0\n0 0 0\n', /not an OFF file.*found '3'/, 1],
    ['unsupported keyword', '4OFF\n', /not an OFF file/, 1],
    ['missing counts', 'OFF\n', /file ends before the vertex, face and edge counts/, 2],
    ['non-numeric count', 'OFF\nthree 1 0\n', /vertex count/, 2],
    ['counts larger than the data', 'OFF\n1000000 1 0\n0 0 0\n', /need more data than/, 2],
    ['truncated vertex', 'OFF\n2 0 0\n0 0 0\n1 0\n', /line ends where vertex z was expected/, 4],
    ['counts larger than the file', 'OFF\n3 0 0\n0 0 0\n1 0 0\n', /counts of 3 vertices and 0 faces need more data than the \d+ bytes left/, 2],
    ['too few vertices', `OFF\n3 0 0\n0 0 0\n1 0 0\n${' '.repeat(20)}`, /file ends after 2 of 3 vertices/, 5],
    ['extra vertex values', 'OFF\n1 0 0\n0 0 0 7\n', /unexpected '7'/, 3],
    ['index out of range', 'OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 3\n', /vertex index must be an integer in \[0, 2\], found '3'/, 6],
    ['face too short', 'OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1\n', /fewer than its 3 vertex indices/, 6],
    ['missing faces', 'OFF\n3 2 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n', /file ends after 1 of 2 faces/, 7],
    ['trailing data', 'OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n5 5 5\n', /unexpected '5' after the 1 faces/, 7],
    ['COFF without colours', 'COFF\n1 0 0\n0 0 0\n', /0 colour values; COFF needs 3/, 3],
  ])('%s', (_, content, message, line) => {
    const error = formatErrorOf(() => parseOff(text(content), 'bad.off'));
    expect(error.message).toMatch(message);
    expect(error.message.startsWith('bad.off')).toBe(true);
    expect(error.position).toEqual({ line });
  });
});
