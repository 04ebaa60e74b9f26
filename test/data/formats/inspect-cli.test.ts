import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../../src/data/formats/npy.ts';
import { writeNpz } from '../../../src/data/formats/npz.ts';
import { writePointCloudPcd } from '../../../src/data/formats/pcd.ts';
import { FIXTURES } from './helpers.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const directory = mkdtempSync(join(tmpdir(), 'bitpoint-inspect-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function bitpoint(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin/bitpoint.js'), ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
}

describe('bitpoint inspect', () => {
  it('--json prints exactly one JSON object describing the file', () => {
    const result = bitpoint('inspect', join(FIXTURES, 'cube_ascii.ply'), '--json');
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({
      format: 'ply',
      encoding: 'ascii',
      elements: { vertex: 8, face: 6 },
      bbox: { min: [0, 0, 0], max: [1, 1, 1] },
    });
    expect(summary.file).toContain('cube_ascii.ply');
    expect(summary.properties.vertex).toContainEqual({ name: 'intensity', type: 'float32' });
  });

  it('prints a readable table without --json', () => {
    const result = bitpoint('inspect', join(FIXTURES, 'modelnet_quirk.off'));
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/format\s+off \(ascii\)/);
    expect(result.stdout).toMatch(/elements\s+vertex 490, face 518/);
    expect(result.stdout).toMatch(/bbox\s+min \(/);
  });

  it('reads NumPy .npy and .npz', () => {
    const npy = join(directory, 'chair_0001.npy');
    writeFileSync(npy, writeNpy([0, 0, 0, 1, 2, 3, -1, 5, 0.5], [3, 3]));
    const table = bitpoint('inspect', npy);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/format\s+npy \(<f4 C-order v1\.0\)/);
    expect(table.stdout).toMatch(/elements\s+vertex 3/);
    expect(table.stdout).toMatch(/dims\s+3 × 3/);
    expect(table.stdout).toMatch(/bbox\s+min \(-1, 0, 0\)  max \(1, 5, 3\)/);

    const npz = join(directory, 'batch.npz');
    writeFileSync(npz, writeNpz({ data: { data: new Array(2 * 4 * 3).fill(0.25), shape: [2, 4, 3] }, label: { data: [3, 1], shape: [2], dtype: 'int32' } }));
    const json = bitpoint('inspect', npz, '--json');
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      format: 'npz',
      encoding: 'deflated <f4 C-order v1.0',
      elements: { shape: 2, vertex: 8 },
      dims: [2, 4, 3],
      arrays: [
        { name: 'data', shape: [2, 4, 3], type: 'float32' },
        { name: 'label', shape: [2], type: 'int32' },
      ],
    });
  });

  it('reads PCD: fields with types and counts, the grid, the data encoding', () => {
    const pcd = join(directory, 'scan.pcd');
    const cloud = { points: Float32Array.from([0, 0, 0, 1, 2, 3, NaN, NaN, NaN, -1, 0, 1]), colors: new Float32Array(12).fill(0.5), attributes: { intensity: { type: 'uint16' as const, values: Uint16Array.from([1, 2, 3, 4]) } } };
    writeFileSync(pcd, writePointCloudPcd(cloud, { encoding: 'binary_compressed', width: 2, height: 2 }));
    const table = bitpoint('inspect', pcd);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/format\s+pcd \(binary_compressed\)/);
    expect(table.stdout).toMatch(/elements\s+vertex 4/);
    expect(table.stdout).toMatch(/grid\s+2 × 2 \(organized\)/);
    expect(table.stdout).toMatch(/fields\s+x F4, y F4, z F4, rgb F4, intensity U2/);
    expect(table.stdout).toMatch(/vertex\s+x float32, y float32, z float32, rgb float32, intensity uint16/);
    expect(table.stdout).toMatch(/bbox\s+min \(-1, 0, 0\)  max \(1, 2, 3\)/);
  });

  it('a damaged .npy: exit 1 and one line', () => {
    const bad = join(directory, 'bad.npy');
    writeFileSync(bad, writeNpy([1, 2, 3, 4, 5, 6], [2, 3]).subarray(0, 130));
    const result = bitpoint('inspect', bad);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([`bitpoint: ${bad} (byte 128): shape (2, 3) of <f4 needs 24 bytes of data, the file has 2`]);
  });

  it('a bad file: exit 1 and one line on stderr naming the file, no stack trace', () => {
    const bad = join(directory, 'bad.ply');
    writeFileSync(bad, 'ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nend_header\n1\nnot-a-number\n');
    const result = bitpoint('inspect', bad);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('bad.ply (line 7)');
    expect(lines[0]).toMatch(/expected a number for property 'x'/);
  });

  it('a missing file is a user error too', () => {
    const result = bitpoint('inspect', join(directory, 'missing.ply'));
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/missing.ply: file not found/)]);
  });
});

describe('inspect stays light', () => {
  it('imports nothing from TensorFlow.js (follows every relative import from src/cli/inspect.ts)', () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
        const specifier = (match[1] ?? match[2])!;
        if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
        else packages.add(specifier);
      }
    };
    visit(join(ROOT, 'src/cli/inspect.ts'));
    expect([...packages].filter((name) => name.includes('tensorflow'))).toEqual([]);
    expect(seen.size).toBeGreaterThan(10);
  });

  it('no file argument is a usage error (exit 2)', () => {
    const result = bitpoint('inspect');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/inspect: give exactly one file \(see 'bitpoint inspect --help'\)/);
  });
});
