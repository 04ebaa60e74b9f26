import { readFile } from 'node:fs/promises';
import { FormatError } from '../../util/errors.ts';

/** A text file's content, or a FormatError naming the file that could not be read and why. */
export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new FormatError(path, `cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
