import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../../src/data/formats/detect.ts';
import { parsePly, plyToPointCloud } from '../../../src/data/formats/ply/index.ts';
import { readPointFile } from '../../../src/data/formats/read-point-file.ts';
import { formatErrorOf, text } from './helpers.ts';

/**
 * Issue 27: valid PLY files from some exporters put spaces, tabs or a CR after header words, on
 * the magic line too (`ply ` then a newline). Every header line may end in such whitespace.
 */
describe('PLY headers with trailing whitespace', () => {
  it('ascii: spaces, tabs and CR after every header line, the magic line included', () => {
    const header = ['ply ', 'format ascii 1.0\t', 'comment made by an exporter  ', 'element vertex 2 ', 'property float x \t', 'property float y', 'property float z  \r', 'end_header  '];
    const bytes = text(`${header.join('\n')}\n0 1 2\n3 4 5 \n`);
    expect(detectFormat(bytes, 'scan')).toBe('ply');
    const ply = parsePly(bytes, 'scan.ply');
    expect(ply.comments).toEqual(['made by an exporter  ']);
    expect(Array.from(plyToPointCloud(ply, 'scan.ply').points)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('binary: the body starts right after the end_header line, whatever whitespace ends it', async () => {
    for (const ending of ['\n', ' \n', '\t\r\n', '  \r\n']) {
      const head = text(`ply${ending}format binary_little_endian 1.0${ending}element vertex 1${ending}property float x${ending}property float y${ending}property float z${ending}end_header${ending}`);
      const body = new Uint8Array(new Float32Array([1.5, -2, 1e6]).buffer);
      const bytes = new Uint8Array(head.length + body.length);
      bytes.set(head);
      bytes.set(body, head.length);
      const file = await readPointFile(bytes, 'binary.ply');
      if (file.format !== 'ply') throw new Error('expected ply');
      expect(Array.from(file.cloud!.points)).toEqual([1.5, -2, 1e6]);
    }
  });

  it('other text on the magic line is still not PLY', () => {
    expect(formatErrorOf(() => parsePly(text('ply x\nformat ascii 1.0\nend_header\n'), 'bad.ply')).message).toBe("bad.ply (byte 0): not a PLY file: it does not start with a 'ply' line");
    expect(formatErrorOf(() => parsePly(text('plyformat ascii 1.0\nend_header\n'), 'bad.ply')).message).toMatch(/not a PLY file/);
  });
});
