import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/cli/main.ts';
import { clip } from '../../src/util/clip.ts';
import { ConfigError } from '../../src/util/errors.ts';

describe('what a user sees of an error', () => {
  it('a system error is its path and what went wrong, one line, no stack', async () => {
    const error = await readFile(join(mkdtempSync(join(tmpdir(), 'bitpoint-errors-')), 'x'.repeat(300))).catch((e: unknown) => e);
    const line = describeError(error);
    expect(line).toMatch(/: name too long \(open\)$/);
    expect(line).not.toContain('\n');
    expect(line).toContain('…');
    expect(line.length).toBeLessThan(120);
  });

  it('an unexpected error is an internal error line without the stack, paths under the working folder made relative', () => {
    const error = new TypeError(`cannot read ${join(process.cwd(), 'src/x.ts')}\n    at f (${join(process.cwd(), 'src/x.ts')}:1:1)`);
    expect(describeError(error)).toBe('internal error: cannot read src/x.ts (rerun with --debug for the stack trace, and please report it)');
  });

  it('--debug shows the stack', () => {
    const error = new ConfigError('epochs', 'must be an integer');
    expect(describeError(error, true)).toContain('at ');
    expect(describeError(error)).toBe('config epochs: must be an integer');
  });

  it('clip keeps a value to one short line', () => {
    expect(clip('a\nb')).toBe('a\\nb');
    expect(clip('x'.repeat(50_000_000))).toBe(`${'x'.repeat(80)}…`);
    expect(clip({ deep: 'y'.repeat(200) })).toBe(`{"deep":"${'y'.repeat(71)}…`);
    expect(clip(12)).toBe('12');
  });
});
