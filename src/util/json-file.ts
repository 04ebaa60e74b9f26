import { readFileSync } from 'node:fs';
import { FormatError } from './errors.ts';

/**
 * Reading a JSON config file: a syntax error names the line and column (JSON.parse only gives a
 * character position), a missing file says so in one line.
 *
 *   readJsonFile('run.json')   // FormatError "run.json (line 3, column 12): not valid JSON: Unexpected number"
 */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FormatError(file, code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder, not a JSON file' : `cannot read (${code ?? (error as Error).message})`);
  }
  return parseJsonText(text, file);
}

export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    // V8 says "Unexpected token } in JSON at position 42" or "… is not valid JSON"; the position goes into line and column
    const problem = message.replace(/ in JSON at position \d+.*$/, '').replace(/^(Unexpected token '?.'?), ".*" is not valid JSON$/, '$1').slice(0, 120);
    if (!position && problem.includes('end of JSON')) return fail(file, 'not valid JSON: it ends too early', lineAndColumn(text, text.length));
    // some V8 messages carry no position, only (a copy of) the whole text, which is cut off above
    if (!position) throw new FormatError(file, `not valid JSON: ${problem}`);
    return fail(file, `not valid JSON: ${problem}`, lineAndColumn(text, Number(position[1])));
  }
}

function fail(file: string, problem: string, position: { line: number; column: number }): never {
  // a thrown error, so parseJsonText's callers see one kind of failure
  throw new FormatError(file, problem, position);
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
