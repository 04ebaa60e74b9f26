import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SampleCache, decodeSample, encodeSample } from '../../../src/data/cache.ts';
import type { Sample } from '../../../src/data/sample.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bitpoint-cache-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) {
    await chmod(dir, 0o755).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

const sample: Sample = {
  id: 'chair/train/chair_0001 ünïcode',
  points: Float32Array.from([1, 2, 3, 4, 5, 6]),
  normals: Float32Array.from([0, 0, 1, 0, 1, 0]),
  labels: Int32Array.from([7, 8]),
  label: 4,
  category: 2,
};

describe('sample cache', () => {
  it('encodes and decodes every field, and leaves absent fields absent', () => {
    expect(decodeSample(encodeSample(sample))).toEqual(sample);
    const bare: Sample = { id: 'x', points: Float32Array.from([1, 2, 3]) };
    expect(decodeSample(encodeSample(bare))).toEqual(bare);
  });

  it('rejects a truncated entry', () => {
    expect(() => decodeSample(encodeSample(sample).subarray(0, 40))).toThrow(/truncated/);
  });

  it('creates once, then serves from disk in a new process-like instance, and misses on a changed key', async () => {
    const dir = await tempDir();
    let created = 0;
    const make = async () => {
      created++;
      return sample;
    };
    await new SampleCache(dir).getOrCreate(['a.off', 10, 1, 2048], make);
    const fresh = new SampleCache(dir, { memoryBytes: 0 });
    expect(await fresh.getOrCreate(['a.off', 10, 1, 2048], make)).toEqual(sample);
    expect(created).toBe(1);
    await fresh.getOrCreate(['a.off', 10, 1, 1024], make);
    expect(created).toBe(2);
  });

  it('recomputes a corrupt entry instead of failing', async () => {
    const dir = await tempDir();
    await new SampleCache(dir).getOrCreate(['k'], () => sample);
    const [file] = await readdir(dir);
    await writeFile(join(dir, file!), 'garbage');
    let created = 0;
    const again = await new SampleCache(dir).getOrCreate(['k'], () => {
      created++;
      return sample;
    });
    expect(created).toBe(1);
    expect(again).toEqual(sample);
  });

  it.skipIf(process.getuid?.() === 0)('warns once and goes on when the cache folder cannot be written', async () => {
    const dir = await tempDir();
    await chmod(dir, 0o555);
    const lines: string[] = [];
    const cache = new SampleCache(join(dir, 'sub'), { logger: (line) => lines.push(line) });
    await cache.getOrCreate(['a'], () => sample);
    await cache.getOrCreate(['b'], () => sample);
    expect(lines).toHaveLength(1);
  });

  it('warns once and goes on when the cache path is unusable', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'file'), 'not a folder');
    const lines: string[] = [];
    const cache = new SampleCache(join(dir, 'file', 'cache'), { logger: (line) => lines.push(line) });
    expect(await cache.getOrCreate(['a'], () => sample)).toEqual(sample);
    await cache.getOrCreate(['b'], () => sample);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/cannot write/);
  });
});
