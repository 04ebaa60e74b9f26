import { FormatError } from '../../util/errors.ts';
import { hasHdf5Signature } from './hdf5.ts';
import { isGzip } from './idx.ts';
import { hasNpyMagic } from './npy.ts';
import { hasPcdSignature } from './pcd.ts';
import { hasZipSignature } from './npz.ts';

export type PointFileFormat = 'ply' | 'off' | 'txt' | 'hdf5' | 'idx' | 'npy' | 'npz' | 'pcd';

/**
 * Which format a file is in: first by content that cannot be mistaken (the `ply` line, the HDF5
 * signature, IDX's zero bytes and type code, an OFF keyword), then by extension, then — for text
 * that starts with a number — point text. Throws FormatError when nothing fits.
 */
export function detectFormat(bytes: Uint8Array, fileName: string): PointFileFormat {
  if (bytes.length === 0) throw new FormatError(fileName, 'empty file', { byte: 0 });
  const name = fileName.toLowerCase();
  if (startsWithText(bytes, 'ply\n') || startsWithText(bytes, 'ply\r\n')) return 'ply';
  if (hasHdf5Signature(bytes)) return 'hdf5';
  if (hasNpyMagic(bytes)) return 'npy';
  if (hasZipSignature(bytes)) {
    if (name.endsWith('.npz')) return 'npz';
    throw new FormatError(fileName, 'zip archive; only NumPy .npz archives are read', { byte: 0 });
  }
  if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && IDX_TYPE_CODES.has(bytes[2]!) && bytes[3]! > 0) return 'idx';
  if (isGzip(bytes)) {
    if (IDX_NAME.test(name)) return 'idx';
    throw new FormatError(fileName, 'gzip-compressed file; only IDX (MNIST) files are read compressed — decompress it first', { byte: 0 });
  }
  if (hasPcdSignature(bytes)) return 'pcd';
  if (OFF_KEYWORD.test(textStart(bytes))) return 'off';
  const extension = /\.([a-z0-9]+)$/.exec(name)?.[1] ?? '';
  const byExtension = EXTENSIONS[extension];
  if (byExtension) return byExtension;
  if (IDX_NAME.test(name)) return 'idx';
  if (/^[-+.\d]/.test(textStart(bytes))) return 'txt';
  throw new FormatError(fileName, 'unknown format: expected PLY, OFF, point text (.txt), HDF5 (.h5), NumPy (.npy, .npz), PCD or IDX (MNIST)', { byte: 0 });
}

const EXTENSIONS: Record<string, PointFileFormat> = {
  ply: 'ply',
  off: 'off',
  txt: 'txt',
  xyz: 'txt',
  pts: 'txt',
  csv: 'txt',
  h5: 'hdf5',
  hdf5: 'hdf5',
  idx: 'idx',
  npy: 'npy',
  npz: 'npz',
  pcd: 'pcd',
};

const IDX_NAME = /(idx\d?-ubyte|\.idx)(\.gz)?$/;
const IDX_TYPE_CODES = new Set([0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e]);
const OFF_KEYWORD = /^(ST)?(C?N?|NC)OFF(\s|\d|$)/;

function startsWithText(bytes: Uint8Array, text: string): boolean {
  if (bytes.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The first 64 characters after leading whitespace and `#` comment lines. */
function textStart(bytes: Uint8Array): string {
  let p = 0;
  while (p < bytes.length) {
    const c = bytes[p]!;
    if (c === 35) {
      while (p < bytes.length && bytes[p] !== 10) p++;
    } else if (c === 32 || c === 9 || c === 10 || c === 13) {
      p++;
    } else {
      break;
    }
  }
  return String.fromCharCode(...bytes.subarray(p, p + 64));
}
