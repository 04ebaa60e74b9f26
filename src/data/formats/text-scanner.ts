import { FormatError } from '../../util/errors.ts';

/**
 * Reads numbers straight from the bytes of a text file (OFF, point .txt, ASCII PLY) without
 * splitting lines or building strings: splitting and `parseFloat` per token cost more than the
 * parsing itself. Keeps the line number for error messages.
 *
 *   const scan = new TextScanner(bytes, 'chair.off');
 *   scan.skipSpaceAndComments();
 *   const x = scan.readNumber('x');
 *
 * Decimal numbers with up to 15 significant digits and a power of ten up to 22 are converted
 * exactly (mantissa and power are both exact doubles, so one multiplication or division rounds
 * once, Clinger's fast path); anything else, and `nan`/`inf`, goes through `Number`.
 */
export class TextScanner {
  pos: number;
  /** 1-based line number of `pos`. */
  line: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly fileName: string,
    start = 0,
    line = 1,
  ) {
    this.pos = start;
    this.line = line;
  }

  get atEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  /** Skips spaces, tabs and carriage returns, staying on the current line. */
  skipInlineSpace(): void {
    const bytes = this.bytes;
    let p = this.pos;
    while (p < bytes.length) {
      const c = bytes[p]!;
      if (c !== 32 && c !== 9 && c !== 13) break;
      p++;
    }
    this.pos = p;
  }

  /** Skips whitespace across lines, and `#` comments to the end of their line when `comments`. */
  skipSpaceAndComments(comments = false): void {
    const bytes = this.bytes;
    let p = this.pos;
    while (p < bytes.length) {
      const c = bytes[p]!;
      if (c === 10) {
        this.line++;
      } else if (c === 35 && comments) {
        while (p < bytes.length && bytes[p] !== 10) p++;
        continue;
      } else if (c !== 32 && c !== 9 && c !== 13) {
        break;
      }
      p++;
    }
    this.pos = p;
  }

  /** True at a line feed or the end of the file (call after `skipInlineSpace`). */
  atLineEnd(): boolean {
    return this.pos >= this.bytes.length || this.bytes[this.pos] === 10;
  }

  /** Moves to the start of the next line (or the end of the file). */
  skipRestOfLine(): void {
    const bytes = this.bytes;
    let p = this.pos;
    while (p < bytes.length && bytes[p] !== 10) p++;
    if (p < bytes.length) {
      p++;
      this.line++;
    }
    this.pos = p;
  }

  /** Requires that only spaces (or a `#` comment, when `comments`) are left on the line, and moves past it. */
  finishLine(what: string, comments = false): void {
    this.skipInlineSpace();
    if (comments && this.bytes[this.pos] === 35) {
      this.skipRestOfLine();
      return;
    }
    if (!this.atLineEnd()) throw this.error(`unexpected '${this.tokenText()}' after ${what}`);
    this.skipRestOfLine();
  }

  /** Reads the number at the current position (no leading space skipped); `what` names it in errors. */
  readNumber(what: string): number {
    const bytes = this.bytes;
    const end = bytes.length;
    let p = this.pos;
    let c = p < end ? bytes[p]! : 0;
    let negative = false;
    if (c === 45) {
      negative = true;
      c = ++p < end ? bytes[p]! : 0;
    } else if (c === 43) {
      c = ++p < end ? bytes[p]! : 0;
    }
    let mantissa = 0;
    let significantDigits = 0;
    let digits = 0;
    let exponent = 0;
    while (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      if (mantissa !== 0) significantDigits++;
      digits++;
      c = ++p < end ? bytes[p]! : 0;
    }
    if (c === 46) {
      c = ++p < end ? bytes[p]! : 0;
      while (c >= 48 && c <= 57) {
        mantissa = mantissa * 10 + (c - 48);
        if (mantissa !== 0) significantDigits++;
        digits++;
        exponent--;
        c = ++p < end ? bytes[p]! : 0;
      }
    }
    if (digits === 0) return this.readSpecialNumber(what);
    if (c === 101 || c === 69) {
      c = ++p < end ? bytes[p]! : 0;
      let exponentSign = 1;
      if (c === 45 || c === 43) {
        if (c === 45) exponentSign = -1;
        c = ++p < end ? bytes[p]! : 0;
      }
      let written = 0;
      let exponentDigits = 0;
      while (c >= 48 && c <= 57) {
        // Capped so an absurd exponent cannot lose its size to float rounding; the slow path decides.
        if (written < 100000) written = written * 10 + (c - 48);
        exponentDigits++;
        c = ++p < end ? bytes[p]! : 0;
      }
      if (exponentDigits === 0) return this.readSpecialNumber(what);
      exponent += exponentSign * written;
    }
    if (p < end && DELIMITER[c] !== 1) return this.readSpecialNumber(what);
    if (significantDigits > 15 || exponent > 22 || exponent < -22) return this.readSpecialNumber(what);
    this.pos = p;
    const magnitude = exponent >= 0 ? mantissa * POWERS_OF_TEN[exponent]! : mantissa / POWERS_OF_TEN[-exponent]!;
    return negative ? -magnitude : magnitude;
  }

  /** Reads an integer in [min, max]; `what` names it in errors. */
  readInteger(what: string, min: number, max: number): number {
    const start = this.pos;
    const value = this.readNumber(what);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.pos = start;
      throw this.error(`${what} must be an integer in [${min}, ${max}], found '${this.tokenText()}'`);
    }
    return value;
  }

  /** The token at the current position (for messages), shortened. */
  tokenText(): string {
    const bytes = this.bytes;
    let p = this.pos;
    if (p >= bytes.length) return '<end of file>';
    if (bytes[p] === 10) return '<end of line>';
    while (p < bytes.length && DELIMITER[bytes[p]!] !== 1 && p - this.pos < 40) p++;
    if (p === this.pos) p++;
    return latin1(bytes, this.pos, p);
  }

  error(problem: string): FormatError {
    return new FormatError(this.fileName, problem, { line: this.line });
  }

  /** Tokens the fast path does not take: long mantissas, big exponents, `nan`, `inf`. */
  private readSpecialNumber(what: string): number {
    const bytes = this.bytes;
    let p = this.pos;
    while (p < bytes.length && DELIMITER[bytes[p]!] !== 1) p++;
    const token = latin1(bytes, this.pos, p);
    const lower = token.toLowerCase();
    let value: number;
    if (SPECIAL_VALUES.has(lower)) value = SPECIAL_VALUES.get(lower)!;
    else if (DECIMAL.test(token)) value = Number(token);
    else if (p === this.pos) throw this.error(this.atLineEnd() ? `line ends where ${what} was expected` : `expected ${what}, found '${this.tokenText()}'`);
    else throw this.error(`expected a number for ${what}, found '${token.length > 40 ? `${token.slice(0, 40)}…` : token}'`);
    this.pos = p;
    return value;
  }
}

/** Bytes that end a number: whitespace, ',' (CSV) and '#' (OFF comments). */
const DELIMITER = new Uint8Array(256);
for (const c of [9, 10, 13, 32, 44, 35]) DELIMITER[c] = 1;

// Parsed from literals, which are exact; `10 ** i` need not be.
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const SPECIAL_VALUES = new Map<string, number>([
  ['nan', NaN],
  ['+nan', NaN],
  ['-nan', NaN],
  ['inf', Infinity],
  ['+inf', Infinity],
  ['infinity', Infinity],
  ['+infinity', Infinity],
  ['-inf', -Infinity],
  ['-infinity', -Infinity],
]);

/** Bytes as one char each: header and number text is ASCII, and this never throws on bad UTF-8. */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i += 4096) {
    text += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 4096)));
  }
  return text;
}
