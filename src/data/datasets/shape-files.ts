import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SampleCache, fileKey, type CacheKey } from '../cache.ts';
import type { Sample } from '../sample.ts';
import type { DatasetOptions, Layout, SkippedEntry } from './dataset.ts';

/**
 * The shared machinery of data sets that keep one shape per file: which listed files exist, and a
 * `get` that parses a file once and serves it from the sample cache afterwards.
 */

/** One shape: its id, the file it lives in (relative to the root), and what is known without loading. */
export interface ShapeFile {
  id: string;
  relativePath: string;
  label?: number;
  category?: number;
}

/** Keeps the entries whose files exist; the others are recorded as skipped. */
export async function keepExisting<E extends ShapeFile>(root: string, entries: readonly E[]): Promise<{ kept: E[]; skipped: SkippedEntry[] }> {
  const found = await Promise.all(
    entries.map((entry) =>
      stat(join(root, entry.relativePath)).then(
        (info) => info.isFile(),
        () => false,
      ),
    ),
  );
  const kept: E[] = [];
  const skipped: SkippedEntry[] = [];
  entries.forEach((entry, i) => {
    if (found[i]) kept.push(entry);
    else skipped.push({ id: entry.id, reason: `file missing: ${entry.relativePath}` });
  });
  return { kept, skipped };
}

/** The sample cache of a data set root, as `DatasetOptions` ask for it. */
export function openSampleCache(root: string, layout: Layout, options: DatasetOptions): SampleCache {
  const directory = options.cacheDir === null ? null : join(options.cacheDir ?? join(root, '.bitpoint-cache'), layout);
  return new SampleCache(directory, { memoryBytes: options.memoryBytes, logger: options.logger });
}

/**
 * `get(index)` for file-per-shape data sets: the cache key is the file (path relative to the root,
 * size, mtime) plus `settings` (whatever else decides the result, e.g. point count and seed).
 */
export function cachedGetter(
  root: string,
  entries: readonly ShapeFile[],
  cache: SampleCache,
  settings: CacheKey,
  load: (entry: ShapeFile, path: string) => Promise<Sample>,
): (index: number) => Promise<Sample> {
  return async (index) => {
    const entry = entries[index];
    if (!entry) throw new RangeError(`index ${index} out of range 0..${entries.length - 1}`);
    const path = join(root, entry.relativePath);
    return cache.getOrCreate([...(await fileKey(path, entry.relativePath)), ...settings], () => load(entry, path));
  };
}
