import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectLayout } from '../../../src/data/datasets/detect-layout.ts';
import { openClassificationDataset, openImageDataset, openSegmentationDataset } from '../../../src/data/datasets/open.ts';
import { ConfigError } from '../../../src/util/errors.ts';
import { FIXTURES, tempDir } from './helpers.ts';

describe('opening a data set by name or folder', () => {
  it('explains a folder in no known layout, a file, and a missing path', async () => {
    const empty = await tempDir('unknown');
    await expect(detectLayout(empty)).rejects.toThrow(/cannot tell the layout .*datasets\/README\.md/);
    await writeFile(join(empty, 'points.txt'), '1 2 3\n');
    await expect(detectLayout(join(empty, 'points.txt'))).rejects.toThrow(/is a file/);
    await expect(detectLayout(join(empty, 'nowhere'))).rejects.toThrow(ConfigError);
  });

  it('checks the task when the caller needs one', async () => {
    const shapenet = join(FIXTURES, 'shapenetcore_partanno_segmentation_benchmark_v0_normal-tiny');
    await expect(openClassificationDataset(shapenet, { split: 'train', cacheDir: null, logger: () => undefined })).rejects.toThrow(/is a segmentation data set, but a classification one is needed/);
    const seg = await openSegmentationDataset(shapenet, { split: 'test', cacheDir: null, logger: () => undefined });
    expect(seg.task).toBe('segmentation');
    const mnist = await openImageDataset('mnist', { split: 'test' });
    expect(mnist.size).toBe(2000);
  });
});
