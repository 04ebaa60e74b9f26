import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { FormatError } from '../../../src/util/errors.ts';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/formats');

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

export const text = (content: string) => new TextEncoder().encode(content);

/** Runs `parse` and returns the FormatError it must throw (failing the test on anything else). */
export function formatErrorOf(parse: () => unknown): FormatError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return error as FormatError;
  }
  throw new Error('expected a FormatError, but parsing succeeded');
}

export async function asyncFormatErrorOf(parse: () => Promise<unknown>): Promise<FormatError> {
  try {
    await parse();
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return error as FormatError;
  }
  throw new Error('expected a FormatError, but parsing succeeded');
}
