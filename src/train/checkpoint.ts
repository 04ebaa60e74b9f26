/**
 * Checkpoints: one file with everything a run needs to resume exactly — the model's tensors by
 * hierarchical path (trainable weights and state such as BatchNorm statistics and pruning masks),
 * the optimizer state, epoch and step, the RNG state, and free JSON metadata (config, metrics).
 *
 *   await saveCheckpoint('runs/x/last.safetensors', { tensors: captureModelState(model), optimizer: opt.getState(),
 *                                                    epoch, step, rngState: rng.getState(), metadata: { config } });
 *   const checkpoint = await loadCheckpoint('runs/x/last.safetensors');
 *   restoreModelState(model, checkpoint.tensors, 'runs/x/last.safetensors');
 *
 * The layout is safetensors (https://github.com/huggingface/safetensors), so Python and other
 * tools open it as is:
 *
 *   u64 little-endian N | N bytes of JSON header, space-padded to a multiple of 8 | raw tensor bytes
 *   header = { "<name>": { "dtype": "F32" | "I32", "shape": [...], "data_offsets": [begin, end] }, ...,
 *              "__metadata__": { string: string } }
 *
 * Model tensors are stored under their paths (`encoder.mlp.0.weight`), optimizer slots under
 * `optimizer/<slot>/<path>` (paths never contain '/'). `__metadata__` values must be strings in
 * safetensors, so the structured parts are JSON strings; `data_sha256` guards the tensor bytes.
 *
 * A save is atomic: it writes a temporary file in the same directory, fsyncs it and renames it
 * over the target, so a crash or a kill mid-write leaves the previous checkpoint intact (and at
 * worst a stray `.<name>.<pid>.<random>.tmp` file). A load checks the header against the file
 * size before allocating anything, and reports a truncated or altered file as a FormatError.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../nn/module.ts';
import { FormatError } from '../util/errors.ts';
import type { RngState } from '../util/rng.ts';
import type { OptimizerState, ParameterOptimizerState } from './optimizers/optimizer.ts';

export interface TensorData {
  shape: number[];
  data: Float32Array | Int32Array;
}

export type NamedTensors = Map<string, TensorData>;

export interface Checkpoint {
  /** Model parameters and state by hierarchical path. */
  tensors: NamedTensors;
  /** Present when training can be resumed. */
  optimizer?: OptimizerState;
  /** Epochs completed. */
  epoch?: number;
  /** Optimizer updates done (the global step). */
  step?: number;
  rngState?: RngState;
  /** Any JSON-serializable object: config, metrics, backend... */
  metadata?: Record<string, unknown>;
}

const FORMAT = 'bitpoint-checkpoint';
const FORMAT_VERSION = 1;
const OPTIMIZER_PREFIX = 'optimizer/';
const HEADER_LENGTH_BYTES = 8;
/** A header is a few kB per hundred tensors; anything this large is a damaged length field. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
const WRITE_CHUNK_BYTES = 1024 * 1024;
/**
 * Test hook: a delay (ms) after each written chunk, so a test can kill a save mid-write and check
 * that the previous checkpoint survives. Never set outside tests.
 */
const TEST_WRITE_DELAY_ENV = 'BITPOINT_CHECKPOINT_TEST_WRITE_DELAY_MS';

type SafetensorsDtype = 'F32' | 'I32';

interface HeaderEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  data_offsets: [number, number];
}

/** Writes `checkpoint` to `file` atomically (temp file, fsync, rename). */
export async function saveCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  assertLittleEndianHost();
  const entries = collectTensors(checkpoint);
  const header: Record<string, HeaderEntry | Record<string, string>> = {};
  const hash = createHash('sha256');
  let offset = 0;
  for (const [name, tensor] of entries) {
    checkTensor(name, tensor);
    const byteLength = tensor.data.byteLength;
    header[name] = { dtype: tensor.data instanceof Float32Array ? 'F32' : 'I32', shape: [...tensor.shape], data_offsets: [offset, offset + byteLength] };
    hash.update(bytesOf(tensor.data));
    offset += byteLength;
  }
  header['__metadata__'] = metadataStrings(checkpoint, hash.digest('hex'));
  const headerBytes = encodeHeader(header);

  const directory = dirname(file);
  const temporary = join(directory, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx');
  try {
    const delayMs = Number(process.env[TEST_WRITE_DELAY_ENV] ?? 0);
    await writeAll(handle, headerBytes);
    for (const [, tensor] of entries) {
      const bytes = bytesOf(tensor.data);
      for (let start = 0; start < bytes.length; start += WRITE_CHUNK_BYTES) {
        await writeAll(handle, bytes.subarray(start, start + WRITE_CHUNK_BYTES));
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
    await handle.sync();
    await handle.close();
    await rename(temporary, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(directory);
}

/** Reads and validates a checkpoint; any inconsistency is a FormatError naming `file`. */
export async function loadCheckpoint(file: string): Promise<Checkpoint> {
  assertLittleEndianHost();
  const handle = await open(file, 'r');
  try {
    const fileBytes = (await handle.stat()).size;
    if (fileBytes < HEADER_LENGTH_BYTES) throw new FormatError(file, `${fileBytes} bytes is too short for a checkpoint (truncated?)`, { byte: 0 });
    const lengthField = await readExactly(file, handle, 0, HEADER_LENGTH_BYTES);
    const headerLength = new DataView(lengthField.buffer).getBigUint64(0, true);
    if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, fileBytes - HEADER_LENGTH_BYTES))) {
      throw new FormatError(file, `header length ${headerLength} does not fit in a ${fileBytes}-byte file (truncated or not a checkpoint)`, { byte: 0 });
    }
    const headerBytes = Number(headerLength);
    const header = parseHeader(file, await readExactly(file, handle, HEADER_LENGTH_BYTES, headerBytes));
    const dataStart = HEADER_LENGTH_BYTES + headerBytes;
    const dataBytes = fileBytes - dataStart;
    const { entries, metadata } = validateHeader(file, header, dataBytes, dataStart);

    const data = await readExactly(file, handle, dataStart, dataBytes);
    const expectedHash = metadata['data_sha256'];
    if (expectedHash !== undefined && createHash('sha256').update(data).digest('hex') !== expectedHash) {
      throw new FormatError(file, 'tensor data does not match its checksum (the file was altered or damaged)', { byte: dataStart });
    }
    return assembleCheckpoint(file, entries, metadata, data);
  } finally {
    await handle.close();
  }
}

/** A copy of every parameter of `module` (trainable and state) by hierarchical path. */
export function captureModelState(module: Module): NamedTensors {
  const tensors: NamedTensors = new Map();
  for (const [path, parameter] of module.namedParameters()) {
    const values = parameter.variable.dataSync();
    // dataSync may return the backend's own buffer (cpu does): copy so the capture is a snapshot.
    if (values instanceof Float32Array || values instanceof Int32Array) tensors.set(path, { shape: [...parameter.shape], data: values.slice() });
    else throw new RangeError(`cannot checkpoint ${path}: dtype ${parameter.variable.dtype} is not float32 or int32`);
  }
  return tensors;
}

export interface RestoreOptions {
  /**
   * true (default): the tensors must be exactly the module's parameters. false: load what matches
   * by name and report the rest (e.g. a full-precision model into one with extra quantizer
   * parameters). Shapes and dtypes must match either way.
   */
  strict?: boolean;
}

export interface RestoreReport {
  restored: string[];
  /** Parameters of the module not in the tensors (left as they were). */
  missing: string[];
  /** Tensors that are not parameters of the module (ignored). */
  unexpected: string[];
}

/**
 * Assigns `tensors` to the module's parameters by path. Everything is checked before anything is
 * assigned, so a mismatch leaves the module untouched; it is a FormatError naming `source`
 * (usually the checkpoint file) and listing what differs.
 */
export function restoreModelState(module: Module, tensors: NamedTensors, source = 'checkpoint', options: RestoreOptions = {}): RestoreReport {
  const strict = options.strict ?? true;
  const parameters = new Map(module.namedParameters());
  const missing = [...parameters.keys()].filter((path) => !tensors.has(path));
  const unexpected = [...tensors.keys()].filter((path) => !parameters.has(path));
  const problems: string[] = [];
  if (strict && missing.length > 0) problems.push(`missing ${listed(missing)}`);
  if (strict && unexpected.length > 0) problems.push(`unexpected ${listed(unexpected)}`);
  for (const [path, parameter] of parameters) {
    const saved = tensors.get(path);
    if (!saved) continue;
    if (saved.shape.join() !== parameter.shape.join()) problems.push(`${path} has shape [${saved.shape}] in the checkpoint, [${parameter.shape}] in the model`);
    const savedDtype = saved.data instanceof Int32Array ? 'int32' : 'float32';
    if (savedDtype !== parameter.variable.dtype) problems.push(`${path} is ${savedDtype} in the checkpoint, ${parameter.variable.dtype} in the model`);
  }
  if (problems.length > 0) throw new FormatError(source, `does not match the model: ${problems.join('; ')}`);

  const restored: string[] = [];
  for (const [path, parameter] of parameters) {
    const saved = tensors.get(path);
    if (!saved) continue;
    tf.tidy(() => parameter.assign(tf.tensor(saved.data, saved.shape, parameter.variable.dtype)));
    restored.push(path);
  }
  return { restored, missing, unexpected };
}

/** Up to five names, then how many more (for error messages and logs). */
export function listed(names: string[]): string {
  const shown = names.slice(0, 5).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}

// --- writing -------------------------------------------------------------------------------------

/** Model tensors under their paths, then optimizer slots under optimizer/<slot>/<path>. */
function collectTensors(checkpoint: Checkpoint): Array<[string, TensorData]> {
  const entries: Array<[string, TensorData]> = [];
  for (const [path, tensor] of checkpoint.tensors) {
    if (path === '__metadata__' || path.includes('/')) throw new RangeError(`checkpoint tensor name '${path}' is reserved or contains '/'`);
    entries.push([path, tensor]);
  }
  for (const [path, state] of checkpoint.optimizer?.parameters ?? []) {
    for (const [slot, values] of Object.entries(state.slots)) entries.push([`${OPTIMIZER_PREFIX}${slot}/${path}`, values]);
  }
  return entries;
}

function checkTensor(name: string, tensor: TensorData): void {
  const count = tensor.shape.reduce((product, size) => product * size, 1);
  if (!tensor.shape.every((size) => Number.isInteger(size) && size >= 0) || count !== tensor.data.length) {
    throw new RangeError(`checkpoint tensor ${name}: ${tensor.data.length} values for shape [${tensor.shape}]`);
  }
  if (!(tensor.data instanceof Float32Array) && !(tensor.data instanceof Int32Array)) {
    throw new RangeError(`checkpoint tensor ${name}: only Float32Array and Int32Array are supported`);
  }
}

function metadataStrings(checkpoint: Checkpoint, dataSha256: string): Record<string, string> {
  const strings: Record<string, string> = { format: FORMAT, version: String(FORMAT_VERSION), data_sha256: dataSha256 };
  if (checkpoint.epoch !== undefined) strings['epoch'] = String(checkpoint.epoch);
  if (checkpoint.step !== undefined) strings['step'] = String(checkpoint.step);
  if (checkpoint.rngState) strings['rng_state'] = JSON.stringify(checkpoint.rngState);
  if (checkpoint.optimizer) {
    const scalars = Object.fromEntries([...checkpoint.optimizer.parameters].map(([path, state]) => [path, state.scalars]));
    strings['optimizer'] = JSON.stringify({ name: checkpoint.optimizer.name, scalars, parameters: [...checkpoint.optimizer.parameters.keys()] });
  }
  if (checkpoint.metadata) strings['metadata'] = JSON.stringify(checkpoint.metadata);
  return strings;
}

/** JSON padded with spaces so the data starts 8-byte aligned (as safetensors writers do). */
function encodeHeader(header: object): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(HEADER_LENGTH_BYTES + padded).fill(0x20);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, HEADER_LENGTH_BYTES);
  return bytes;
}

function bytesOf(data: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += (await handle.write(bytes, written, bytes.length - written)).bytesWritten;
}

/** Makes the rename durable; not every platform can open a directory, which is then fine to skip. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // e.g. Windows: directories cannot be opened for fsync
  }
}

// --- reading -------------------------------------------------------------------------------------

async function readExactly(file: string, handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  // A fresh ArrayBuffer at offset 0, so 4-byte tensors at 4-byte offsets can be viewed in place.
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(bytes, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  // Only if the file shrank while being read: the sizes were checked against stat() before.
  if (done < length) throw new FormatError(file, `file ended after ${position + done} bytes while reading`, { byte: position + done });
  return bytes;
}

function parseHeader(file: string, bytes: Uint8Array): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw new FormatError(file, `header is not valid JSON (${(error as Error).message})`, { byte: HEADER_LENGTH_BYTES });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new FormatError(file, 'header is not a JSON object', { byte: HEADER_LENGTH_BYTES });
  return header as Record<string, unknown>;
}

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, I32: 4 };

/**
 * Checks every entry against the data section: known dtype, a shape that matches its byte range,
 * and ranges that tile the data exactly (no gaps, no overlaps, nothing past the end).
 */
function validateHeader(
  file: string,
  header: Record<string, unknown>,
  dataBytes: number,
  dataStart: number,
): { entries: Array<[string, HeaderEntry]>; metadata: Record<string, string> } {
  const fail: (problem: string) => never = (problem) => {
    throw new FormatError(file, problem, { byte: HEADER_LENGTH_BYTES });
  };
  const metadata: Record<string, string> = {};
  const rawMetadata = header['__metadata__'];
  if (rawMetadata !== undefined) {
    if (typeof rawMetadata !== 'object' || rawMetadata === null || Array.isArray(rawMetadata)) fail('__metadata__ is not an object');
    for (const [key, value] of Object.entries(rawMetadata as Record<string, unknown>)) {
      if (typeof value !== 'string') fail(`__metadata__.${key} is not a string`);
      metadata[key] = value as string;
    }
  }
  if (metadata['format'] !== undefined && metadata['format'] !== FORMAT) fail(`written as '${metadata['format']}', not a ${FORMAT}`);
  if (metadata['version'] !== undefined && Number(metadata['version']) > FORMAT_VERSION) {
    fail(`checkpoint format version ${metadata['version']} is newer than this bitpoint reads (${FORMAT_VERSION})`);
  }

  const entries: Array<[string, HeaderEntry]> = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = raw as Partial<Record<keyof HeaderEntry, unknown>> | null;
    if (typeof entry !== 'object' || entry === null) fail(`tensor ${name}: entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (dtype !== 'F32' && dtype !== 'I32') fail(`tensor ${name}: dtype ${JSON.stringify(dtype)} is not supported (F32, I32)`);
    if (!Array.isArray(shape) || !shape.every((size) => Number.isSafeInteger(size) && size >= 0)) fail(`tensor ${name}: bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      fail(`tensor ${name}: bad data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((product, size) => product * size, 1);
    if (end - begin !== count * DTYPE_BYTES[dtype as SafetensorsDtype]) fail(`tensor ${name}: ${end - begin} bytes for shape [${shape}] of ${dtype}`);
    if (begin % 4 !== 0) fail(`tensor ${name}: data offset ${begin} is not 4-byte aligned`);
    entries.push([name, { dtype: dtype as SafetensorsDtype, shape: shape as number[], data_offsets: [begin, end] }]);
  }

  const byOffset = [...entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  let expectedBegin = 0;
  for (const [name, entry] of byOffset) {
    if (entry.data_offsets[0] !== expectedBegin) fail(`tensor ${name}: data starts at ${entry.data_offsets[0]}, expected ${expectedBegin} (gap or overlap)`);
    expectedBegin = entry.data_offsets[1];
  }
  if (expectedBegin > dataBytes) {
    throw new FormatError(file, `truncated: the header describes ${expectedBegin} bytes of tensor data, the file has ${dataBytes}`, {
      byte: dataStart + dataBytes,
    });
  }
  if (expectedBegin < dataBytes) fail(`${dataBytes - expectedBegin} bytes after the last tensor (damaged or not a checkpoint)`);
  return { entries, metadata };
}

function assembleCheckpoint(file: string, entries: Array<[string, HeaderEntry]>, metadata: Record<string, string>, data: Uint8Array): Checkpoint {
  const viewOf = (entry: HeaderEntry): TensorData => {
    const [begin, end] = entry.data_offsets;
    const count = (end - begin) / 4;
    const values = entry.dtype === 'F32' ? new Float32Array(data.buffer, begin, count) : new Int32Array(data.buffer, begin, count);
    return { shape: entry.shape, data: values };
  };
  const jsonField = (key: string): unknown => {
    const text = metadata[key];
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new FormatError(file, `__metadata__.${key} is not valid JSON`, { byte: HEADER_LENGTH_BYTES });
    }
  };
  const integerField = (key: string): number | undefined => {
    if (metadata[key] === undefined) return undefined;
    const value = Number(metadata[key]);
    if (!Number.isSafeInteger(value) || value < 0) throw new FormatError(file, `__metadata__.${key} is not a count: ${metadata[key]}`, { byte: HEADER_LENGTH_BYTES });
    return value;
  };

  const checkpoint: Checkpoint = { tensors: new Map() };
  const slotsByPath = new Map<string, ParameterOptimizerState>();
  for (const [name, entry] of entries) {
    if (!name.startsWith(OPTIMIZER_PREFIX)) {
      checkpoint.tensors.set(name, viewOf(entry));
      continue;
    }
    const rest = name.slice(OPTIMIZER_PREFIX.length);
    const slash = rest.indexOf('/');
    const values = viewOf(entry);
    if (slash <= 0 || !(values.data instanceof Float32Array)) throw new FormatError(file, `bad optimizer tensor ${name}`, { byte: HEADER_LENGTH_BYTES });
    const path = rest.slice(slash + 1);
    const state = slotsByPath.get(path) ?? { scalars: {}, slots: {} };
    state.slots[rest.slice(0, slash)] = { shape: values.shape, data: values.data };
    slotsByPath.set(path, state);
  }

  const optimizer = jsonField('optimizer') as { name?: unknown; scalars?: Record<string, Record<string, number>>; parameters?: unknown } | undefined;
  if (optimizer !== undefined) {
    if (typeof optimizer !== 'object' || optimizer === null || typeof optimizer.name !== 'string') {
      throw new FormatError(file, '__metadata__.optimizer has no name', { byte: HEADER_LENGTH_BYTES });
    }
    const paths = Array.isArray(optimizer.parameters) ? (optimizer.parameters as string[]) : [...slotsByPath.keys()];
    const parameters = new Map<string, ParameterOptimizerState>();
    for (const path of paths) {
      const state = slotsByPath.get(path) ?? { scalars: {}, slots: {} };
      state.scalars = { ...optimizer.scalars?.[path] };
      parameters.set(path, state);
    }
    checkpoint.optimizer = { name: optimizer.name, parameters };
  } else if (slotsByPath.size > 0) {
    throw new FormatError(file, 'optimizer tensors without __metadata__.optimizer', { byte: HEADER_LENGTH_BYTES });
  }

  const epoch = integerField('epoch');
  if (epoch !== undefined) checkpoint.epoch = epoch;
  const step = integerField('step');
  if (step !== undefined) checkpoint.step = step;
  const rngState = jsonField('rng_state');
  if (rngState !== undefined) {
    if (!Array.isArray(rngState) || rngState.length !== 4 || !rngState.every((word) => Number.isInteger(word) && word >= 0 && word <= 0xffffffff)) {
      throw new FormatError(file, '__metadata__.rng_state is not four 32-bit words', { byte: HEADER_LENGTH_BYTES });
    }
    checkpoint.rngState = rngState as RngState;
  }
  const userMetadata = jsonField('metadata');
  if (userMetadata !== undefined) {
    if (typeof userMetadata !== 'object' || userMetadata === null || Array.isArray(userMetadata)) {
      throw new FormatError(file, '__metadata__.metadata is not a JSON object', { byte: HEADER_LENGTH_BYTES });
    }
    checkpoint.metadata = userMetadata as Record<string, unknown>;
  }
  return checkpoint;
}

function assertLittleEndianHost(): void {
  // Tensor bytes are written and viewed in the host's order; safetensors is little-endian.
  if (endianness() !== 'LE') throw new Error('checkpoints need a little-endian host');
}
