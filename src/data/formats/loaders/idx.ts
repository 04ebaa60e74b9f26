import { FormatError } from '../../../util/errors.ts';
import { decodeIdx, IDX_TYPE_CODES, isGzip, type IdxArray } from '../idx.ts';
import type { PointFileBase, PointFileLoader } from '../point-file.ts';

export interface IdxFile extends PointFileBase {
  format: 'idx';
  idx: IdxArray;
}

/** MNIST's names: `train-images-idx3-ubyte`, `t10k-labels-idx1-ubyte.gz`, `x.idx`. */
const NAME = /(idx\d?-ubyte|\.idx)(\.gz)?$/;
const TYPE_CODES = new Set<number>(Object.values(IDX_TYPE_CODES));

export const idxLoader: PointFileLoader<IdxFile> = {
  name: 'idx',
  title: 'IDX (MNIST)',
  extensions: ['.idx', '.idx.gz', ...['', ...'0123456789'].flatMap((d) => [`idx${d}-ubyte`, `idx${d}-ubyte.gz`])],
  test(bytes, fileName) {
    // Two zero bytes, a type code, and a nonzero number of dimensions.
    if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && TYPE_CODES.has(bytes[2]!) && bytes[3]! > 0) return true;
    if (!isGzip(bytes)) return false;
    if (NAME.test(fileName.toLowerCase())) return true;
    throw new FormatError(fileName, 'gzip-compressed file; only IDX (MNIST) files are read compressed — decompress it first', { byte: 0 });
  },
  parse: async (bytes, fileName) => ({ format: 'idx', fileName, encoding: isGzip(bytes) ? 'gzip' : 'raw', idx: await decodeIdx(bytes, fileName) }),
  summarize(file) {
    const { idx } = file;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < idx.data.length; i++) {
      const value = idx.data[i]!;
      if (value < min) min = value;
      if (value > max) max = value;
    }
    return {
      file: file.fileName,
      format: 'idx',
      encoding: file.encoding,
      elements: { item: idx.dims[0]! },
      properties: { item: [{ name: 'value', type: idx.type }] },
      bbox: null,
      dims: idx.dims,
      ...(idx.data.length > 0 ? { range: { min, max } } : {}),
    };
  },
};
