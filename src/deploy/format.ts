/**
 * The packed model file (`.bitpoint`):
 *
 *   offset 0   8 bytes   magic "BITPOINT"
 *          8   u32 LE    format version (1)
 *         12   u32 LE    header bytes H (UTF-8 JSON, space-padded to a multiple of 8)
 *         16   u32 LE    payload bytes P
 *         20   u32 LE    CRC-32 of header and payload
 *         24   H bytes   header: { format, version, ...ProgramHeader, tensors, source }
 *     24 + H   P bytes   payload: every tensor at its offset, each 8-byte aligned
 *
 * Tensors are float32 (little-endian), int32, or a dense bit stream of `bits`-bit codes (`codes.ts`).
 * Reading checks everything before allocating: the magic, version, sizes against the file length,
 * the checksum, the header's shape, every tensor's byte length against its count and encoding,
 * bounds and overlaps, and then the whole program (`validate-program.ts`): known ops, buffers
 * written before read, every size and `k` against the tensors and the limits. A file is untrusted
 * input: whatever its header says, reading it either returns a model the engine can run within
 * bounded memory and time, or throws a PackedFormatError of one line.
 */
import { FormatError } from '../util/errors.ts';
import { packedBytes } from './codes.ts';
import { crc32 } from './crc32.ts';
import type { ProgramHeader } from './program.ts';
import { validateProgram, type ProgramBounds } from './validate-program.ts';

export const MAGIC = 'BITPOINT';
export const FORMAT_VERSION = 1;
const PREAMBLE_BYTES = 24;
/** A header larger than this is not a bitpoint model (guards the JSON parse). */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;

/** A packed file that cannot be read: names the file and what does not match. */
export class PackedFormatError extends FormatError {
  constructor(file: string, problem: string) {
    super(file, problem);
    this.name = 'PackedFormatError';
  }
}

export type TensorData = { dtype: 'float32'; values: Float32Array } | { dtype: 'int32'; values: Int32Array } | { dtype: 'codes'; bits: number; count: number; bytes: Uint8Array };

export interface TensorEntry {
  name: string;
  dtype: 'float32' | 'int32' | 'codes';
  /** Values (float32/int32) or codes. */
  count: number;
  /** Bits per code (codes only). */
  bits?: number;
  offset: number;
  bytes: number;
}

export interface PackedHeader extends ProgramHeader {
  format: 'bitpoint-packed';
  version: number;
  tensors: TensorEntry[];
  /** Where the model came from (run folder, policy, per-layer description); informative only. */
  source: Record<string, unknown>;
}

export interface PackedModel {
  header: PackedHeader;
  tensors: Map<string, TensorData>;
  /** Total file size in bytes. */
  fileBytes: number;
  /** What a run needs by input size (from the validated program). */
  bounds: ProgramBounds;
}

function expectedBytes(entry: Pick<TensorEntry, 'dtype' | 'count' | 'bits'>): number {
  return entry.dtype === 'codes' ? packedBytes(entry.count, entry.bits!) : entry.count * 4;
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** Writes a packed model; tensors are laid out in the order given. */
export function writePackedModel(program: ProgramHeader, tensors: Map<string, TensorData>, source: Record<string, unknown>): Uint8Array {
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const [name, data] of tensors) {
    const count = data.dtype === 'codes' ? data.count : data.values.length;
    const entry: TensorEntry = { name, dtype: data.dtype, count, offset, bytes: 0 };
    if (data.dtype === 'codes') entry.bits = data.bits;
    entry.bytes = expectedBytes(entry);
    entries.push(entry);
    offset = align8(offset + entry.bytes);
  }
  const payloadBytes = offset;
  const header: PackedHeader = { format: 'bitpoint-packed', version: FORMAT_VERSION, ...program, tensors: entries, source };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = align8(json.length);
  const file = new Uint8Array(PREAMBLE_BYTES + headerBytes + payloadBytes);
  file.set(new TextEncoder().encode(MAGIC), 0);
  file.set(json, PREAMBLE_BYTES);
  file.fill(0x20, PREAMBLE_BYTES + json.length, PREAMBLE_BYTES + headerBytes);
  const payload = PREAMBLE_BYTES + headerBytes;
  entries.forEach((entry) => {
    const data = tensors.get(entry.name)!;
    const bytes = data.dtype === 'codes' ? data.bytes.subarray(0, entry.bytes) : new Uint8Array(data.values.buffer, data.values.byteOffset, entry.bytes);
    file.set(bytes, payload + entry.offset);
  });
  const view = new DataView(file.buffer);
  view.setUint32(8, FORMAT_VERSION, true);
  view.setUint32(12, headerBytes, true);
  view.setUint32(16, payloadBytes, true);
  view.setUint32(20, crc32(file.subarray(PREAMBLE_BYTES)), true);
  return file;
}

/** Reads and validates a packed model; `file` names it in errors. */
export function readPackedModel(bytes: Uint8Array, file = 'model.bitpoint'): PackedModel {
  const fail = (message: string): never => {
    throw new PackedFormatError(file, message);
  };
  if (bytes.length < PREAMBLE_BYTES) fail(`${bytes.length} bytes is too short for a packed model (the preamble alone is ${PREAMBLE_BYTES})`);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== MAGIC) fail(`not a bitpoint packed model (magic ${JSON.stringify(magic)}, expected "${MAGIC}")`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== FORMAT_VERSION) fail(`format version ${version} is not supported (this bitpoint reads version ${FORMAT_VERSION})`);
  const headerBytes = view.getUint32(12, true);
  const payloadBytes = view.getUint32(16, true);
  if (headerBytes > MAX_HEADER_BYTES) fail(`header of ${headerBytes} bytes is implausibly large`);
  const expectedLength = PREAMBLE_BYTES + headerBytes + payloadBytes;
  if (bytes.length < expectedLength) fail(`truncated: the preamble announces ${expectedLength} bytes (header ${headerBytes}, payload ${payloadBytes}), the file has ${bytes.length}`);
  if (bytes.length > expectedLength) fail(`${bytes.length - expectedLength} unexpected bytes after the payload (expected ${expectedLength} bytes in all)`);
  const storedCrc = view.getUint32(20, true);
  const actualCrc = crc32(bytes.subarray(PREAMBLE_BYTES, expectedLength));
  if (storedCrc !== actualCrc) fail(`checksum mismatch (stored ${hex(storedCrc)}, computed ${hex(actualCrc)}): the file was altered or damaged`);

  let header: PackedHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerBytes))) as PackedHeader;
  } catch (error) {
    return fail(`header is not valid JSON: ${(error as Error).message}`);
  }
  validateHeaderShape(header, fail);

  // Every entry and the whole program are checked before any tensor is copied out of the file.
  const entries = new Map<string, TensorEntry>();
  const spans: Array<[number, number, string]> = [];
  for (const [i, entry] of header.tensors.entries()) {
    const where = `tensors[${i}] (${JSON.stringify(entry?.name)})`;
    if (typeof entry !== 'object' || entry === null || typeof entry.name !== 'string') fail(`${where} is not a tensor entry`);
    if (entries.has(entry.name)) fail(`${where}: duplicate tensor name`);
    if (!['float32', 'int32', 'codes'].includes(entry.dtype)) fail(`${where}: unknown dtype ${JSON.stringify(entry.dtype)}`);
    for (const key of ['count', 'offset', 'bytes'] as const) {
      if (!Number.isSafeInteger(entry[key]) || entry[key] < 0) fail(`${where}: ${key} must be a non-negative integer, got ${JSON.stringify(entry[key])}`);
    }
    if (entry.dtype === 'codes' && !(Number.isInteger(entry.bits) && entry.bits! >= 1 && entry.bits! <= 32)) fail(`${where}: bits must be an integer in [1, 32], got ${JSON.stringify(entry.bits)}`);
    const expected = expectedBytes(entry);
    if (entry.bytes !== expected) fail(`${where}: ${entry.bytes} bytes recorded, but ${entry.count} ${entry.dtype === 'codes' ? `codes of ${entry.bits} bits` : `${entry.dtype} values`} take ${expected}`);
    if (entry.dtype !== 'codes' && entry.offset % 4 !== 0) fail(`${where}: offset ${entry.offset} is not 4-byte aligned`);
    if (entry.offset + entry.bytes > payloadBytes) fail(`${where}: bytes [${entry.offset}, ${entry.offset + entry.bytes}) lie outside the ${payloadBytes}-byte payload`);
    spans.push([entry.offset, entry.offset + entry.bytes, entry.name]);
    entries.set(entry.name, entry);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]![0] < spans[i - 1]![1]) fail(`tensors ${JSON.stringify(spans[i - 1]![2])} and ${JSON.stringify(spans[i]![2])} overlap in the payload`);
  }
  const bounds = validateProgram(header as unknown as Record<string, unknown>, entries, fail);

  const payloadStart = PREAMBLE_BYTES + headerBytes;
  const tensors = new Map<string, TensorData>();
  for (const entry of entries.values()) {
    const start = payloadStart + entry.offset;
    // A copy into its own buffer: aligned, and independent of the file's (Node's Buffer.slice
    // would share a pooled buffer).
    const raw = new Uint8Array(entry.bytes);
    raw.set(bytes.subarray(start, start + entry.bytes));
    if (entry.dtype === 'float32') tensors.set(entry.name, { dtype: 'float32', values: new Float32Array(raw.buffer) });
    else if (entry.dtype === 'int32') tensors.set(entry.name, { dtype: 'int32', values: new Int32Array(raw.buffer) });
    else tensors.set(entry.name, { dtype: 'codes', bits: entry.bits!, count: entry.count, bytes: raw });
  }
  return { header, tensors, fileBytes: bytes.length, bounds };
}

function validateHeaderShape(header: PackedHeader, fail: (message: string) => never): void {
  if (typeof header !== 'object' || header === null) fail('header is not a JSON object');
  if (header.format !== 'bitpoint-packed') fail(`header.format is ${JSON.stringify(header.format)}, expected "bitpoint-packed"`);
  if (header.version !== FORMAT_VERSION) fail(`header.version ${JSON.stringify(header.version)} does not match the preamble's ${FORMAT_VERSION}`);
  if (!Array.isArray(header.tensors)) fail('header.tensors is not a list');
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
