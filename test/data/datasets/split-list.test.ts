import { describe, expect, it } from 'vitest';
import { parseSplitList, reportSkipped, uniqueIds } from '../../../src/data/datasets/split-list.ts';

describe('split lists', () => {
  it('reads Windows line ends, blank lines, extensions, duplicates and a missing final newline', () => {
    const { ids, skipped } = parseSplitList('airplane_0001\r\n\r\nairplane_0002.txt\nairplane_0001\n  bed_0003  ', { stripExtensions: ['.txt'] });
    expect(ids).toEqual(['airplane_0001', 'airplane_0002', 'bed_0003']);
    expect(skipped).toEqual([{ id: 'airplane_0001', reason: 'duplicate' }]);
  });

  it('treats an id with and without extension as the same entry', () => {
    expect(uniqueIds(['a.txt', 'a'], { stripExtensions: ['.txt'] })).toEqual({ ids: ['a'], skipped: [{ id: 'a', reason: 'duplicate' }] });
  });

  it('summarizes skipped entries in one line, and says nothing when nothing was skipped', () => {
    const lines: string[] = [];
    reportSkipped('modelnet40 train', 5, [], (line) => lines.push(line));
    expect(lines).toEqual([]);
    reportSkipped('modelnet40 train', 5, [
      { id: 'a', reason: 'file missing: x/a.txt' },
      { id: 'b', reason: 'duplicate' },
      { id: 'c', reason: 'file missing: x/c.txt' },
    ], (line) => lines.push(line));
    expect(lines).toEqual(['modelnet40 train: skipped 3 of 5 entries (2 file missing, 1 duplicate), first: a; see dataset.skipped']);
  });
});
