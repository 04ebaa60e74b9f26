import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHdf5PointSets } from '../../../src/data/formats/hdf5.ts';
import { readFileBytes } from '../../../src/data/formats/node-files.ts';
import { asyncFormatErrorOf } from './helpers.ts';

/** Issue 28: small files that declare huge content, and files that are not files. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const directory = mkdtempSync(join(tmpdir(), 'bitpoint-hostile-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function bitpoint(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin/bitpoint.js'), ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
}

describe('hostile files', () => {
  const bomb = join(directory, 'bomb.h5');

  beforeAll(async () => {
    // A chunked, compressed 'data' of declared shape (87381, 1024, 3) float32 (just under 1 GiB)
    // with one chunk written: the file is a few KB.
    await h5wasm.ready;
    const file = new h5wasm.File(bomb, 'w');
    const data = file.create_dataset({ name: 'data', data: new Float32Array(1024 * 3), shape: [1, 1024, 3], maxshape: [null, 1024, 3], chunks: [1, 1024, 3], compression: 9 });
    data.resize([87381, 1024, 3]);
    file.close();
  });

  it('HDF5: a few-KB file declaring a 1 GiB dataset is refused before reading it', async () => {
    const bytes = await readFileBytes(bomb);
    expect(bytes.length).toBeLessThan(10_000);
    const error = await asyncFormatErrorOf(() => parseHdf5PointSets(bytes, 'bomb.h5'));
    expect(error.message).toBe(`bomb.h5: HDF5 'data' declares [87381, 1024, 3] float32 = 1073737728 bytes in a ${bytes.length}-byte file: more than 1000× the file, not plausible even compressed`);
  });

  it('inspect on that file: exit 1, one line', () => {
    const result = bitpoint('inspect', bomb);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/bomb\.h5: HDF5 'data' declares \[87381, 1024, 3\] float32 = 1073737728 bytes .* not plausible even compressed$/)]);
  });

  it('inspect /dev/zero: exit 1, one line, nothing read', () => {
    const result = bitpoint('inspect', '/dev/zero');
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual(['bitpoint: /dev/zero: is not a regular file (a character device); point files are read from regular files only']);
  });

  it('a directory and a file over the read limit are refused by name', async () => {
    expect((await asyncFormatErrorOf(() => readFileBytes(directory))).message).toBe(`${directory}: is a directory, not a file`);
    expect((await asyncFormatErrorOf(() => readFileBytes(bomb, 100))).message).toMatch(/bomb\.h5: is \d+ bytes, more than the limit of 100 bytes for one file$/);
  });
});
