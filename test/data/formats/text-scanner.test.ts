import { describe, expect, it } from 'vitest';
import { TextScanner } from '../../../src/data/formats/text-scanner.ts';
import { formatFloat32, formatFloat64 } from '../../../src/data/formats/number-text.ts';
import { FormatError } from '../../../src/util/errors.ts';
import { Rng } from '../../../src/util/rng.ts';

const scannerFor = (text: string) => new TextScanner(new TextEncoder().encode(text), 'numbers.txt');

function readAll(text: string): number[] {
  const scan = scannerFor(text);
  const values: number[] = [];
  for (scan.skipSpaceAndComments(); !scan.atEnd; scan.skipSpaceAndComments()) values.push(scan.readNumber('value'));
  return values;
}

describe('TextScanner.readNumber', () => {
  it('reads the same double as Number() for every common spelling', () => {
    const tokens = ['0', '-0', '+7', '42', '3.25', '-0.098790', '.5', '5.', '1e3', '1E-3', '-2.5e+10', '123456789012345', '0.1', '0.000001', '1e22', '1e-22'];
    expect(readAll(tokens.join(' '))).toEqual(tokens.map(Number));
    expect(Object.is(readAll('-0')[0], -0)).toBe(true);
  });

  it('is exact on random doubles and float32s printed many ways', () => {
    const rng = new Rng(7);
    const tokens: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const value = (rng.uniform() - 0.5) * 10 ** rng.int(12) * (rng.uniform() < 0.5 ? 1e-6 : 1);
      tokens.push(String(value), value.toFixed(6), value.toExponential(8), formatFloat32(value), value.toPrecision(17));
    }
    expect(readAll(tokens.join('\n'))).toEqual(tokens.map(Number));
  });

  it('falls back to the slow path for long mantissas, huge exponents, nan and inf', () => {
    const tokens = ['3.14159265358979323846', '1.7976931348623157e308', '4.9e-324', '1e400', 'nan', 'NaN', '-inf', 'inf', 'Infinity', '-Infinity'];
    expect(readAll(tokens.join(' '))).toEqual([Math.PI, Number.MAX_VALUE, 5e-324, Infinity, NaN, NaN, -Infinity, Infinity, Infinity, -Infinity]);
  });

  it('stops at commas, so CSV needs no splitting', () => {
    const scan = scannerFor('1.5,-2,3e1');
    const first = scan.readNumber('a');
    scan.pos++;
    const second = scan.readNumber('b');
    scan.pos++;
    expect([first, second, scan.readNumber('c')]).toEqual([1.5, -2, 30]);
  });

  it('rejects what is not a number with the line number and the token', () => {
    for (const bad of ['abc', '1.2.3', '0x10', '--1', '1e', '.', '-', '1_000']) {
      const scan = scannerFor(`1\n\n${bad} 2`);
      scan.readNumber('first');
      scan.skipSpaceAndComments();
      let error: unknown;
      try {
        scan.readNumber('vertex x');
      } catch (caught) {
        error = caught;
      }
      expect(error, bad).toBeInstanceOf(FormatError);
      expect((error as FormatError).position).toEqual({ line: 3 });
      expect((error as FormatError).message).toContain('vertex x');
    }
  });

  it('readInteger checks integrality and range', () => {
    expect(scannerFor('38.000000').readInteger('label', 0, 100)).toBe(38);
    expect(() => scannerFor('1.5').readInteger('label', 0, 100)).toThrow(/label must be an integer in \[0, 100\], found '1.5'/);
    expect(() => scannerFor('256').readInteger('red', 0, 255)).toThrow(FormatError);
  });

  it('counts lines through comments and CRLF', () => {
    const scan = scannerFor('# one\r\n# two\r\n\r\n  7');
    scan.skipSpaceAndComments(true);
    expect(scan.line).toBe(4);
    expect(scan.readNumber('seven')).toBe(7);
  });
});

describe('number formatting for writers', () => {
  it('prints float32 values with the fewest digits that read back exactly', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 2000; i++) {
      const value = Math.fround((rng.uniform() - 0.5) * 10 ** (rng.int(20) - 10));
      const text = formatFloat32(value);
      expect(Math.fround(Number(text))).toBe(value);
      expect(text.replace(/^-|e.*$|\./g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(9);
    }
    expect(formatFloat32(0.1)).toBe('0.1');
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1');
    expect(formatFloat32(3)).toBe('3');
    expect([formatFloat32(NaN), formatFloat32(Infinity), formatFloat64(-Infinity)]).toEqual(['nan', 'inf', '-inf']);
  });
});
