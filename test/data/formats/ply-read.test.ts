import { describe, expect, it } from 'vitest';
import { parsePly, plyElement, plyProperty, plyToMesh, plyToPointCloud, type PlyData, type PlyListProperty } from '../../../src/data/formats/ply/index.ts';
import { CUBE, LISTS } from '../../fixtures/formats/make-fixtures.ts';
import { fixture, formatErrorOf, text } from './helpers.ts';

const CUBE_FILES = ['cube_ascii.ply', 'cube_ascii_crlf.ply', 'cube_binary_le.ply', 'cube_binary_be.ply'];

function scalarValues(ply: PlyData, element: string, property: string): number[] {
  const found = plyProperty(plyElement(ply, element)!, property);
  if (found?.kind !== 'scalar') throw new Error(`no scalar ${element}.${property}`);
  return Array.from(found.values);
}

function lists(ply: PlyData, element: string, property: string): number[][] {
  const found = plyProperty(plyElement(ply, element)!, property) as PlyListProperty;
  return Array.from({ length: found.offsets.length - 1 }, (_, i) => Array.from(found.values.subarray(found.offsets[i]!, found.offsets[i + 1]!)));
}

describe('parsePly on hand-made files', () => {
  it.each(CUBE_FILES)('%s: every value, in every encoding', (name) => {
    const ply = parsePly(fixture(name), name);
    expect(ply.format).toBe(name.includes('ascii') ? 'ascii' : name.endsWith('le.ply') ? 'binary_little_endian' : 'binary_big_endian');
    expect(ply.elements.map((element) => [element.name, element.count])).toEqual([
      ['vertex', 8],
      ['face', 6],
    ]);
    expect(plyElement(ply, 'vertex')!.properties.map((p) => (p.kind === 'scalar' ? `${p.name}:${p.type}` : p.name))).toEqual([
      'x:float32', 'y:float32', 'z:float32', 'red:uint8', 'green:uint8', 'blue:uint8', 'label:uint8', 'intensity:float32',
    ]);
    expect(['x', 'y', 'z'].map((axis) => scalarValues(ply, 'vertex', axis))).toEqual([0, 1, 2].map((k) => CUBE.positions.filter((_, i) => i % 3 === k)));
    expect(scalarValues(ply, 'vertex', 'intensity')).toEqual(CUBE.intensity);
    expect(scalarValues(ply, 'vertex', 'label')).toEqual(CUBE.labels);
    expect(lists(ply, 'face', 'vertex_indices')).toEqual(CUBE.quads);
  });

  it('keeps comments and obj_info wherever they appear in the header', () => {
    const ply = parsePly(fixture('cube_ascii_crlf.ply'), 'cube.ply');
    expect(ply.comments).toEqual(["written by hand for bitpoint's tests", 'classic type names, lists on faces, extra per-vertex properties']);
    expect(ply.objInfo).toEqual(['comments and obj_info may appear anywhere in the header']);
  });

  it('reads lists on every element, other elements, vertex_index and a CRLF binary header', () => {
    const ply = parsePly(fixture('lists_everywhere.ply'), 'lists.ply');
    expect(scalarValues(ply, 'vertex', 'x')).toEqual(LISTS.vertex.x);
    expect(lists(ply, 'vertex', 'neighbours')).toEqual(LISTS.vertex.neighbours);
    expect(scalarValues(ply, 'vertex', 'temperature')).toEqual(LISTS.vertex.temperature);
    expect(lists(ply, 'face', 'vertex_index')).toEqual(LISTS.face.vertexIndex);
    expect(scalarValues(ply, 'face', 'material')).toEqual(LISTS.face.material);
    expect(scalarValues(ply, 'edge', 'vertex2')).toEqual(LISTS.edge.vertex2);
    expect(lists(ply, 'edge', 'weights')).toEqual(LISTS.edge.weights);
  });

  it('maps the standard vertex properties and keeps the rest by name and type', () => {
    for (const name of CUBE_FILES) {
      const cloud = plyToPointCloud(parsePly(fixture(name), name), name);
      expect(Array.from(cloud.points)).toEqual(CUBE.positions);
      expect(Array.from(cloud.colors!)).toEqual(CUBE.colors.map((c) => Math.fround(c / 255)));
      expect(Array.from(cloud.labels!)).toEqual(CUBE.labels);
      expect(cloud.normals).toBeUndefined();
      expect(Object.keys(cloud.attributes!)).toEqual(['label', 'intensity']);
      expect(cloud.attributes!['intensity']!.type).toBe('float32');
      expect(cloud.attributes!['label']!.type).toBe('uint8');
    }
  });

  it('fan-triangulates polygons into a mesh', () => {
    const mesh = plyToMesh(parsePly(fixture('cube_binary_be.ply'), 'cube.ply'), 'cube.ply')!;
    expect(mesh.faces.length).toBe(6 * 2 * 3);
    expect(Array.from(mesh.faces.subarray(0, 6))).toEqual([0, 3, 2, 0, 2, 1]);
    const pentagon = parsePly(text('ply\nformat ascii 1.0\nelement vertex 5\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar uint vertex_index\nend_header\n0 0 0\n1 0 0\n1 1 0\n0.5 2 0\n0 1 0\n5 0 1 2 3 4\n'), 'p.ply');
    expect(Array.from(plyToMesh(pentagon, 'p.ply')!.faces)).toEqual([0, 1, 2, 0, 2, 3, 0, 3, 4]);
  });

  it('reads float colours as they are and alpha when present', () => {
    const ply = parsePly(text('ply\nformat ascii 1.0\nelement vertex 1\nproperty double x\nproperty double y\nproperty double z\nproperty float red\nproperty float green\nproperty float blue\nproperty uchar alpha\nend_header\n1 2 3 0.25 0.5 1 51\n'), 'c.ply');
    const cloud = plyToPointCloud(ply, 'c.ply');
    expect(Array.from(cloud.colors!)).toEqual([0.25, 0.5, 1]);
    expect(Array.from(cloud.alpha!)).toEqual([0.2].map(Math.fround));
  });

  it('an incomplete normal or colour set is not mapped but kept as attributes', () => {
    const ply = parsePly(text('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nproperty float nx\nproperty uchar red\nend_header\n1 2 3 0.5 9\n'), 'partial.ply');
    const cloud = plyToPointCloud(ply, 'partial.ply');
    expect([cloud.normals, cloud.colors]).toEqual([undefined, undefined]);
    expect(Object.keys(cloud.attributes!)).toEqual(['nx', 'red']);
  });

  it('reads an element with no records and a file that ends right after end_header', () => {
    const ply = parsePly(text('ply\nformat binary_little_endian 1.0\nelement vertex 0\nproperty float x\nelement face 0\nproperty list uchar int vertex_indices\nend_header\n'), 'empty.ply');
    expect(ply.elements.map((element) => element.count)).toEqual([0, 0]);
  });
});

describe('parsePly errors name the file and where', () => {
  const ABSURD = 'ply\nformat binary_little_endian 1.0\nelement vertex 999999999999999\nproperty double x\nend_header\n';
  const header = (format: string, body = '') => `ply\nformat ${format} 1.0\nelement vertex 2\nproperty float x\nproperty uchar label\nend_header\n${body}`;

  const cases: [string, string | Uint8Array, RegExp, { line?: number; byte?: number }][] = [
    ['empty file', '', /empty file/, { byte: 0 }],
    ['not a PLY', 'OFF\n1 0 0\n', /not a PLY file/, { byte: 0 }],
    ['no end_header', 'ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n', /no 'end_header'/, { line: 5 }],
    ['no format', 'ply\nelement vertex 0\nend_header\n', /no 'format' line/, { line: 3 }],
    ['unknown format', 'ply\nformat binary_middle_endian 1.0\nend_header\n', /expected 'format ascii/, { line: 2 }],
    ['unknown type', 'ply\nformat ascii 1.0\nelement vertex 1\nproperty float128 x\nend_header\n1\n', /unknown property type 'float128'/, { line: 4 }],
    ['float list count', 'ply\nformat ascii 1.0\nelement face 1\nproperty list float int vertex_indices\nend_header\n', /count type must be an integer/, { line: 4 }],
    ['property before element', 'ply\nformat ascii 1.0\nproperty float x\nend_header\n', /before any 'element'/, { line: 3 }],
    ['bad count', 'ply\nformat ascii 1.0\nelement vertex -3\nend_header\n', /invalid count '-3'/, { line: 3 }],
    ['duplicate property', 'ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float x\nend_header\n', /declared twice/, { line: 5 }],
    ['unknown header line', 'ply\nformat ascii 1.0\nelemnt vertex 1\nend_header\n', /unknown header line 'elemnt vertex 1'/, { line: 3 }],
    ['ascii: too few values', header('ascii', '1.5 3\n2.5\n'), /ends before property 'label'/, { line: 8 }],
    ['ascii: too many values', header('ascii', '1.5 3 9\n2.5 4\n'), /unexpected '9'/, { line: 7 }],
    ['ascii: not a number', header('ascii', '1.5 3\nabc 4\n'), /expected a number for property 'x'.*'abc'/, { line: 8 }],
    ['ascii: uchar out of range', header('ascii', '1.5 256\n2.5 4\n'), /label.*\[0, 255\], found '256'/, { line: 7 }],
    ['ascii: fractional integer', header('ascii', '1.5 3.5\n2.5 4\n'), /found '3.5'/, { line: 7 }],
    ['ascii: missing records', header('ascii', '1.5 3\n'), /declares 2 records/, { line: 7 }],
    ['ascii: extra data', header('ascii', '1.5 3\n2.5 4\n7 7\n'), /after the last element/, { line: 9 }],
    ['binary: truncated', header('binary_little_endian', 'abcdefg'), /declares 2 records of 5 bytes but only 7 bytes/, { byte: header('binary_little_endian').length }],
    ['binary: absurd count', ABSURD, /declares 999999999999999 records/, { byte: ABSURD.length }],
  ];

  it.each(cases)('%s', (_, content, message, position) => {
    const error = formatErrorOf(() => parsePly(typeof content === 'string' ? text(content) : content, 'bad.ply'));
    expect(error.message).toMatch(message);
    expect(error.message.startsWith('bad.ply')).toBe(true);
    expect(error.position).toEqual(position);
  });

  it('binary lists: a count that runs past the end, and an absurd list length', () => {
    const head = 'ply\nformat binary_big_endian 1.0\nelement face 2\nproperty list uint int vertex_indices\nend_header\n';
    const bytes = new Uint8Array([...text(head), 0, 0, 0, 1, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    const error = formatErrorOf(() => parsePly(bytes, 'faces.ply'));
    expect(error.message).toMatch(/record 1 of 2 runs past the end/);
    expect(error.position).toEqual({ byte: text(head).length + 8 });
  });

  it('a negative list length in a signed count type', () => {
    const head = 'ply\nformat binary_little_endian 1.0\nelement face 1\nproperty list char int vertex_indices\nend_header\n';
    expect(formatErrorOf(() => parsePly(new Uint8Array([...text(head), 0xfe, 0, 0, 0, 0]), 'f.ply')).message).toMatch(/negative list length -2/);
  });

  it('a face index beyond the vertices is caught when building the mesh', () => {
    const ply = parsePly(text('ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 3\n'), 'f.ply');
    expect(formatErrorOf(() => plyToMesh(ply, 'f.ply')).message).toMatch(/face 0 uses vertex index 3 but there are 3 vertices/);
  });

  it('a vertex element without positions is not a point cloud', () => {
    const ply = parsePly(text('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nend_header\n1 2\n'), 'xy.ply');
    expect(formatErrorOf(() => plyToPointCloud(ply, 'xy.ply')).message).toMatch(/has x, y of the scalar properties x, y, z; it needs all three/);
  });
});
