import { open, stat } from 'node:fs/promises';
import { FormatError } from '../../util/errors.ts';
import { readPointFile, type PointFile } from './read-point-file.ts';

/**
 * Node only: reading files from disk for the pure parsers, with a missing or unreadable file
 * reported as a FormatError (one line and exit 1 in the CLI) rather than a raw system error.
 */

/** The most bytes read from one file; far above any point file we parse, below Node's own 2 GiB cap. */
export const FILE_READ_LIMIT = 2 ** 31 - 1;

/**
 * The file's bytes. Only regular files are read (issue 28: `inspect /dev/zero` grew past 3 GB),
 * and only up to `limit` bytes, checked against the size `fstat` reports before anything is read.
 */
export async function readFileBytes(path: string, limit = FILE_READ_LIMIT): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    // stat before open: opening a pipe for reading would wait for a writer.
    checkRegular(path, await stat(path));
    handle = await open(path, 'r');
    const info = await handle.stat();
    checkRegular(path, info);
    if (info.size > limit) throw new FormatError(path, `is ${info.size} bytes, more than the limit of ${limit} bytes for one file`);
    const bytes = new Uint8Array(info.size);
    let filled = 0;
    // A file that grows while it is read gets no further than its size at stat time.
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === bytes.length ? bytes : bytes.subarray(0, filled);
  } catch (error) {
    if (error instanceof FormatError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new FormatError(path, reason);
  } finally {
    await handle?.close();
  }
}

function checkRegular(path: string, info: Parameters<typeof kindOf>[0] & { isDirectory(): boolean; isFile(): boolean }): void {
  if (info.isDirectory()) throw new FormatError(path, 'is a directory, not a file');
  if (!info.isFile()) throw new FormatError(path, `is not a regular file (${kindOf(info)}); point files are read from regular files only`);
}

function kindOf(info: { isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isFIFO()) return 'a pipe';
  if (info.isSocket()) return 'a socket';
  return 'not a file';
}

/** `readPointFile` on a file from disk; errors name the path as given. */
export async function readPointFileFromDisk(path: string): Promise<PointFile> {
  return readPointFile(await readFileBytes(path), path);
}
