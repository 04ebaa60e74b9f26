import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sample } from './sample.ts';

/**
 * Processed samples kept on disk in a small binary form (and in memory up to a budget), so text and
 * meshes are parsed once and later epochs and runs only read typed arrays back.
 *
 *   const cache = new SampleCache(join(root, '.bitpoint-cache', 'modelnet-off'));
 *   const sample = await cache.getOrCreate([...(await fileKey(path)), points, seed], () => parse(path));
 *
 * A key lists everything the result depends on (file, size, mtime, point count, seed, code
 * version); its hash names the entry, so a changed file or setting simply misses. Entries are
 * written to a temporary name and renamed, so an interrupted run never leaves a torn entry; an
 * unreadable entry is treated as a miss and rewritten.
 */

export type CacheKey = readonly (string | number | boolean)[];

/** Bump when the binary layout or anything that decides a cached sample's content changes. */
export const CACHE_FORMAT_VERSION = 1;

export interface SampleCacheOptions {
  /** Decoded samples kept in memory, in bytes of typed arrays (default 512 MiB; 0 disables). */
  memoryBytes?: number;
  /** Called once if the cache directory cannot be written (e.g. a read-only data set folder). */
  logger?: (line: string) => void;
}

export class SampleCache {
  private readonly memory = new Map<string, Sample>();
  private memoryUsed = 0;
  private readonly memoryBytes: number;
  private diskWritable: boolean;
  private readonly logger: (line: string) => void;

  /** `directory` null keeps samples in memory only. */
  constructor(
    readonly directory: string | null,
    options: SampleCacheOptions = {},
  ) {
    this.memoryBytes = options.memoryBytes ?? 512 * 1024 * 1024;
    this.diskWritable = directory !== null;
    this.logger = options.logger ?? (() => undefined);
  }

  async getOrCreate(key: CacheKey, create: () => Promise<Sample> | Sample): Promise<Sample> {
    const hash = hashKey(key);
    const remembered = this.memory.get(hash);
    if (remembered) return remembered;
    let sample = await this.readDisk(hash);
    if (!sample) {
      sample = await create();
      await this.writeDisk(hash, sample);
    }
    this.remember(hash, sample);
    return sample;
  }

  private path(hash: string): string {
    return join(this.directory!, `${hash}.bin`);
  }

  private async readDisk(hash: string): Promise<Sample | undefined> {
    if (this.directory === null) return undefined;
    try {
      return decodeSample(await readFile(this.path(hash)));
    } catch {
      return undefined; // missing or unreadable: recompute
    }
  }

  private async writeDisk(hash: string, sample: Sample): Promise<void> {
    if (!this.diskWritable) return;
    const target = this.path(hash);
    const temporary = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await mkdir(this.directory!, { recursive: true });
      await writeFile(temporary, encodeSample(sample));
      await rename(temporary, target);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      this.diskWritable = false;
      this.logger(`cache: cannot write ${this.directory} (${(error as Error).message}); samples will be re-processed each run`);
    }
  }

  private remember(hash: string, sample: Sample): void {
    const bytes = sampleBytes(sample);
    if (this.memoryUsed + bytes > this.memoryBytes) return;
    this.memory.set(hash, sample);
    this.memoryUsed += bytes;
  }
}

/**
 * The parts of a cache key that identify a file's content: its name, size and modification time.
 * `name` defaults to the path; datasets pass the path relative to their root so a moved data set
 * keeps its cache.
 */
export async function fileKey(path: string, name = path): Promise<[string, number, number]> {
  const info = await stat(path);
  return [name, info.size, Math.round(info.mtimeMs)];
}

export function hashKey(key: CacheKey): string {
  return createHash('sha1').update(JSON.stringify([CACHE_FORMAT_VERSION, ...key])).digest('hex');
}

function sampleBytes(sample: Sample): number {
  return sample.points.byteLength + (sample.normals?.byteLength ?? 0) + (sample.labels?.byteLength ?? 0);
}

// Binary layout, little-endian: magic 'BPSC', u32 version, u32 flags, u32 point count,
// i32 label, i32 category, u32 id byte length, id (UTF-8, padded to 4 bytes),
// f32 points[N·3], f32 normals[N·3] if flagged, i32 labels[N] if flagged.
const MAGIC = 0x43535042; // 'BPSC'
const HAS_NORMALS = 1;
const HAS_LABELS = 2;
const HAS_LABEL = 4;
const HAS_CATEGORY = 8;
const HEADER_BYTES = 28;

export function encodeSample(sample: Sample): Uint8Array {
  const count = sample.points.length / 3;
  const id = new TextEncoder().encode(sample.id);
  const idPadded = Math.ceil(id.length / 4) * 4;
  const flags =
    (sample.normals ? HAS_NORMALS : 0) |
    (sample.labels ? HAS_LABELS : 0) |
    (sample.label !== undefined ? HAS_LABEL : 0) |
    (sample.category !== undefined ? HAS_CATEGORY : 0);
  const bytes = new Uint8Array(HEADER_BYTES + idPadded + sampleBytes(sample));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, CACHE_FORMAT_VERSION, true);
  view.setUint32(8, flags, true);
  view.setUint32(12, count, true);
  view.setInt32(16, sample.label ?? -1, true);
  view.setInt32(20, sample.category ?? -1, true);
  view.setUint32(24, id.length, true);
  bytes.set(id, HEADER_BYTES);
  let offset = HEADER_BYTES + idPadded;
  for (const array of [sample.points, sample.normals, sample.labels]) {
    if (!array) continue;
    bytes.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
    offset += array.byteLength;
  }
  return bytes;
}

export function decodeSample(bytes: Uint8Array): Sample {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < HEADER_BYTES || view.getUint32(0, true) !== MAGIC) throw new Error('not a bitpoint sample cache entry');
  if (view.getUint32(4, true) !== CACHE_FORMAT_VERSION) throw new Error('cache entry from another version');
  const flags = view.getUint32(8, true);
  const count = view.getUint32(12, true);
  const idLength = view.getUint32(24, true);
  const id = new TextDecoder().decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + idLength));
  let offset = HEADER_BYTES + Math.ceil(idLength / 4) * 4;
  const expected = offset + count * 12 * (flags & HAS_NORMALS ? 2 : 1) + (flags & HAS_LABELS ? count * 4 : 0);
  if (bytes.length !== expected) throw new Error('truncated cache entry');
  // Copy out of the file buffer so each array owns aligned memory (a Node Buffer's `slice` would
  // be a view into a shared pool, hence the explicit copy).
  const take = (length: number) => {
    const copy = new Uint8Array(length);
    copy.set(bytes.subarray(offset, offset + length));
    offset += length;
    return copy.buffer;
  };
  const sample: Sample = { id, points: new Float32Array(take(count * 12)) };
  if (flags & HAS_NORMALS) sample.normals = new Float32Array(take(count * 12));
  if (flags & HAS_LABELS) sample.labels = new Int32Array(take(count * 4));
  if (flags & HAS_LABEL) sample.label = view.getInt32(16, true);
  if (flags & HAS_CATEGORY) sample.category = view.getInt32(20, true);
  return sample;
}
