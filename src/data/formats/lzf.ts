import { FormatError } from '../../util/errors.ts';

/**
 * LZF (Marc Lehmann's liblzf), the compression of PCD's `binary_compressed` data. A stream is a
 * sequence of runs, each starting with a control byte `c`:
 *
 *   c < 32:  a literal run; the next c + 1 bytes are copied as they are.
 *   c ≥ 32:  a back-reference of length (c >> 5) + 2, where a length field of 7 continues in the
 *            next byte (+ that byte); it copies from (c & 31) << 8 | next byte, plus 1, bytes
 *            back in the output, overlapping allowed (so one byte repeated is a run).
 *
 * The largest run is a 3-byte back-reference producing 264 bytes, so N input bytes decode to at
 * most 88·N: callers use that to reject a declared size before allocating it.
 */
export const LZF_MAX_EXPANSION = 88;

const MAX_LITERAL = 32;
const MAX_OFFSET = 1 << 13;
const MAX_LENGTH = 264;
const HASH_BITS = 14;

/**
 * Decodes `input` into exactly `outputSize` bytes. FormatError (naming `fileName`, with the byte
 * of the input where it goes wrong, counted from `byteOffset`) on a back-reference before the
 * start, a run past either end, or a stream that ends early.
 */
export function lzfDecompress(input: Uint8Array, outputSize: number, fileName: string, byteOffset = 0): Uint8Array {
  const out = new Uint8Array(outputSize);
  const fail = (problem: string, at: number): never => {
    throw new FormatError(fileName, `LZF data: ${problem}`, { byte: byteOffset + at });
  };
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const start = ip;
    const control = input[ip++]!;
    if (control < MAX_LITERAL) {
      const length = control + 1;
      if (ip + length > input.length) fail(`a literal run of ${length} bytes runs past the end of the compressed data`, start);
      if (op + length > outputSize) fail(`decodes to more than the declared ${outputSize} bytes`, start);
      out.set(input.subarray(ip, ip + length), op);
      ip += length;
      op += length;
      continue;
    }
    let length = control >> 5;
    if (length === 7) {
      if (ip >= input.length) fail('a back-reference is cut off by the end of the compressed data', start);
      length += input[ip++]!;
    }
    if (ip >= input.length) fail('a back-reference is cut off by the end of the compressed data', start);
    let ref = op - ((control & 0x1f) << 8) - 1 - input[ip++]!;
    length += 2;
    if (ref < 0) fail(`a back-reference reaches ${-ref} bytes before the start of the output`, start);
    if (op + length > outputSize) fail(`decodes to more than the declared ${outputSize} bytes`, start);
    // Byte by byte: the source may overlap what this run writes.
    for (let k = 0; k < length; k++) out[op++] = out[ref++]!;
  }
  if (op !== outputSize) fail(`decodes to ${op} bytes, the header declares ${outputSize}`, input.length);
  return out;
}

/**
 * Greedy LZF compression with a hash of the next three bytes (liblzf's scheme without its lazy
 * matching): any LZF reader, PCL's included, decodes the output.
 */
export function lzfCompress(input: Uint8Array): Uint8Array {
  const n = input.length;
  // Worst case: all literals, one control byte per 32.
  const out = new Uint8Array(n + Math.ceil(n / MAX_LITERAL) + 1);
  const table = new Int32Array(1 << HASH_BITS).fill(-1);
  let op = 0;
  let literalStart = 0;
  let ip = 0;
  const flushLiterals = (end: number) => {
    while (literalStart < end) {
      const length = Math.min(MAX_LITERAL, end - literalStart);
      out[op++] = length - 1;
      out.set(input.subarray(literalStart, literalStart + length), op);
      op += length;
      literalStart += length;
    }
  };
  while (ip + 2 < n) {
    const hash = (((input[ip]! << 16) | (input[ip + 1]! << 8) | input[ip + 2]!) * 2654435761) >>> (32 - HASH_BITS);
    const ref = table[hash]!;
    table[hash] = ip;
    const offset = ip - ref - 1;
    if (ref >= 0 && offset < MAX_OFFSET && input[ref] === input[ip] && input[ref + 1] === input[ip + 1] && input[ref + 2] === input[ip + 2]) {
      flushLiterals(ip);
      const maxLength = Math.min(MAX_LENGTH, n - ip);
      let length = 3;
      while (length < maxLength && input[ref + length] === input[ip + length]) length++;
      const code = length - 2;
      if (code < 7) {
        out[op++] = (code << 5) | (offset >> 8);
      } else {
        out[op++] = (7 << 5) | (offset >> 8);
        out[op++] = code - 7;
      }
      out[op++] = offset & 0xff;
      ip += length;
      literalStart = ip;
    } else {
      ip++;
    }
  }
  flushLiterals(n);
  return out.slice(0, op);
}
