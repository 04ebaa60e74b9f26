import { readFile } from 'node:fs/promises';
import { FormatError } from '../../util/errors.ts';
import { readPointFile, type PointFile } from './read-point-file.ts';

/**
 * Node only: reading files from disk for the pure parsers, with a missing or unreadable file
 * reported as a FormatError (one line and exit 1 in the CLI) rather than a raw system error.
 */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new FormatError(path, reason);
  }
}

/** `readPointFile` on a file from disk; errors name the path as given. */
export async function readPointFileFromDisk(path: string): Promise<PointFile> {
  return readPointFile(await readFileBytes(path), path);
}
