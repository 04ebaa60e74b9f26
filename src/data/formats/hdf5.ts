import type { Dataset, File as H5File } from 'h5wasm';
import { FormatError } from '../../util/errors.ts';
import type { PointCloud } from './point-cloud.ts';

/**
 * Point sets in HDF5, as in `modelnet40_ply_hdf5_2048` and ShapeNetPart's HDF5 release:
 *
 *   data    [S, N, 3]  positions (any float type)
 *   label   [S, 1] or [S]  class of each shape
 *   normal  [S, N, 3]  optional
 *   pid     [S, N]     optional per-point part labels (`seg` in some copies)
 *
 * Read through h5wasm's ESM build, which keeps files in an in-memory file system and so works
 * the same in Node and the browser: the bytes are written there, opened, read and removed. (The
 * `h5wasm/node` build reads the host disk directly, which a parser taking bytes cannot use.)
 * h5wasm (4 MB of wasm) is loaded on the first HDF5 file, not when this module is imported.
 */
export interface Hdf5PointSets {
  shapeCount: number;
  pointsPerShape: number;
  /** S×N×3 positions. */
  points: Float32Array;
  /** S×N×3 normals. */
  normals?: Float32Array;
  /** S class labels. */
  labels?: Int32Array;
  /** S×N per-point labels. */
  pointLabels?: Int32Array;
  /** Every dataset at the root, for inspection. */
  datasets: Hdf5DatasetInfo[];
}

export interface Hdf5DatasetInfo {
  name: string;
  shape: number[];
  /** e.g. float32, int64, uint8; `other` for strings, compounds and the like. */
  type: string;
}

/** The 8-byte signature; HDF5 allows a user block before it, so it may sit at 0, 512, 1024, 2048, … */
const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function hasHdf5Signature(bytes: Uint8Array): boolean {
  for (let offset = 0; offset + 8 <= bytes.length; offset = offset === 0 ? 512 : offset * 2) {
    if (SIGNATURE.every((byte, i) => bytes[offset + i] === byte)) return true;
  }
  return false;
}

/** Reads the point sets of an HDF5 file; FormatError for anything that is not one. */
export async function parseHdf5PointSets(input: Uint8Array | ArrayBuffer, fileName: string): Promise<Hdf5PointSets> {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length === 0) throw new FormatError(fileName, 'empty file', { byte: 0 });
  if (!hasHdf5Signature(bytes)) throw new FormatError(fileName, 'not an HDF5 file: no HDF5 signature', { byte: 0 });
  return withHdf5File(bytes, fileName, (file, h5wasm) => readPointSets(file, h5wasm.Dataset, bytes.length, fileName));
}

/** One shape of a point-set file as a point cloud, with its class label. */
export function hdf5Shape(sets: Hdf5PointSets, index: number): { cloud: PointCloud; label?: number } {
  if (!Number.isInteger(index) || index < 0 || index >= sets.shapeCount) throw new RangeError(`shape ${index} of ${sets.shapeCount}`);
  const n = sets.pointsPerShape;
  const cloud: PointCloud = { points: sets.points.slice(index * n * 3, (index + 1) * n * 3) };
  if (sets.normals) cloud.normals = sets.normals.slice(index * n * 3, (index + 1) * n * 3);
  if (sets.pointLabels) cloud.labels = sets.pointLabels.slice(index * n, (index + 1) * n);
  return sets.labels ? { cloud, label: sets.labels[index]! } : { cloud };
}

type H5wasm = (typeof import('h5wasm'))['default'];

let hdf5Messages = '';
let library: Promise<H5wasm> | undefined;
let nextFileId = 0;

/**
 * Loads and prepares the shared h5wasm instance once. HDF5 reports a bad file by printing its
 * error stack to stderr and returning an error code. h5wasm can instead throw from inside HDF5's
 * error callback, but that unwinds HDF5's C stack without its cleanup: after a few thousand bad
 * files the library's state is corrupt. So the default handler stays, and the wasm instance's
 * stderr (file descriptor 2 of its own file system, not the process's) goes to a buffer that
 * becomes the FormatError's message.
 */
function loadH5wasm(): Promise<H5wasm> {
  library ??= import('h5wasm').then(async ({ default: h5wasm }) => {
    const module = await h5wasm.ready;
    module.deactivate_throwing_error_handler();
    const FS = module.FS as unknown as DeviceFileSystem;
    FS.createDevice('/dev', 'bitpoint-hdf5-errors', null, (code: number | null | undefined) => {
      if (typeof code === 'number' && hdf5Messages.length < 65536) hdf5Messages += String.fromCharCode(code);
    });
    FS.close(FS.getStream(2));
    FS.open('/dev/bitpoint-hdf5-errors', 'w'); // takes the lowest free descriptor: 2
    return h5wasm;
  });
  return library;
}

/** The parts of Emscripten's FS API used here, which h5wasm's types do not declare. */
interface DeviceFileSystem {
  createDevice(parent: string, name: string, input: (() => number | null) | null, output: (code: number | null | undefined) => void): unknown;
  getStream(fd: number): unknown;
  close(stream: unknown): void;
  open(path: string, flags: string): unknown;
}

async function withHdf5File<T>(bytes: Uint8Array, fileName: string, read: (file: H5File, h5wasm: H5wasm) => T): Promise<T> {
  const h5wasm = await loadH5wasm();
  const { FS } = await h5wasm.ready;
  const path = `/bitpoint-read-${nextFileId++}.h5`;
  FS.writeFile(path, bytes);
  hdf5Messages = '';
  let file: H5File | undefined;
  try {
    file = new h5wasm.File(path, 'r');
    if (file.file_id < 0n) throw new FormatError(fileName, `cannot read HDF5 file: ${hdf5Problem('cannot open it')}`);
    const result = read(file, h5wasm);
    // HDF5 may have failed somewhere without h5wasm noticing (a read that returned nothing).
    if (hdf5Messages) throw new FormatError(fileName, `cannot read HDF5 file: ${hdf5Problem('unknown error')}`);
    return result;
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(fileName, `cannot read HDF5 file: ${hdf5Problem(error instanceof Error ? error.message : String(error))}`);
  } finally {
    if (file && file.file_id >= 0n) file.close();
    FS.unlink(path);
    hdf5Messages = '';
  }
}

function readPointSets(file: H5File, DatasetClass: typeof Dataset, fileBytes: number, fileName: string): Hdf5PointSets {
  const dataset = (name: string) => datasetNamed(file, DatasetClass, name, fileName);
  const datasets: Hdf5DatasetInfo[] = [];
  for (const name of file.keys()) {
    const entity = file.get(name);
    if (entity instanceof DatasetClass) datasets.push({ name, shape: entity.shape ?? [], type: typeName(entity) });
  }
  const data = dataset('data');
  if (!data) throw new FormatError(fileName, "HDF5 file has no 'data' dataset (expected [shapes, points, 3] positions)");
  const shape = data.shape ?? [];
  if (shape.length !== 3 || shape[2] !== 3) throw new FormatError(fileName, `HDF5 'data' has shape [${shape.join(', ')}]; expected [shapes, points, 3]`);
  const [shapeCount, pointsPerShape] = shape as [number, number, number];
  const sets: Hdf5PointSets = {
    shapeCount,
    pointsPerShape,
    points: readFloats(data, 'data', fileBytes, fileName),
    datasets,
  };

  const normal = dataset('normal');
  if (normal) {
    expectShape(normal, 'normal', [shapeCount, pointsPerShape, 3], fileName);
    sets.normals = readFloats(normal, 'normal', fileBytes, fileName);
  }
  const label = dataset('label');
  if (label) {
    const labelShape = label.shape ?? [];
    const ok = labelShape[0] === shapeCount && (labelShape.length === 1 || (labelShape.length === 2 && labelShape[1] === 1));
    if (!ok) throw new FormatError(fileName, `HDF5 'label' has shape [${labelShape.join(', ')}]; expected [${shapeCount}] or [${shapeCount}, 1]`);
    sets.labels = readIntegers(label, 'label', fileBytes, fileName);
  }
  const pid = dataset('pid') ?? dataset('seg');
  if (pid) {
    expectShape(pid, 'pid', [shapeCount, pointsPerShape], fileName);
    sets.pointLabels = readIntegers(pid, 'pid', fileBytes, fileName);
  }
  return sets;
}

function datasetNamed(file: H5File, DatasetClass: typeof Dataset, name: string, fileName: string): Dataset | undefined {
  if (!file.keys().includes(name)) return undefined;
  const entity = file.get(name);
  if (!(entity instanceof DatasetClass)) throw new FormatError(fileName, `HDF5 '${name}' is not a dataset`);
  return entity;
}

function expectShape(data: Dataset, name: string, expected: number[], fileName: string): void {
  const shape = data.shape ?? [];
  if (shape.length !== expected.length || shape.some((dim, i) => dim !== expected[i])) {
    throw new FormatError(fileName, `HDF5 '${name}' has shape [${shape.join(', ')}]; expected [${expected.join(', ')}]`);
  }
}

/** Nothing larger is read, whatever the file: a damaged or hostile header could claim terabytes. */
export const HDF5_DATASET_LIMIT = 2 ** 30;
/** Point data compresses 1–3× with gzip; a dataset declaring 1000× its file's size is not data. */
export const HDF5_MAX_COMPRESSION = 1000;

/**
 * The dataset's values, after checking the size its shape declares before reading it (issue 28:
 * a 3.6 KB chunked file declaring 1 GiB made `inspect` allocate 2.5 GB): at most 1 GiB, at most
 * the file's size when stored plainly, at most 1000× the file's size when compressed.
 */
function readValues(data: Dataset, name: string, fileBytes: number, fileName: string): ArrayLike<number | bigint> {
  const metadata = data.metadata;
  const shape = data.shape ?? [];
  const valueCount = shape.reduce((product, dim) => product * dim, 1);
  const byteCount = valueCount * metadata.size;
  const compressed = data.filters.length > 0;
  const declared = `HDF5 '${name}' declares [${shape.join(', ')}] ${typeName(data)} = ${byteCount} bytes`;
  if (byteCount > HDF5_DATASET_LIMIT) throw new FormatError(fileName, `${declared}, more than the limit of ${HDF5_DATASET_LIMIT} bytes`);
  if (compressed && byteCount > fileBytes * HDF5_MAX_COMPRESSION) {
    throw new FormatError(fileName, `${declared} in a ${fileBytes}-byte file: more than ${HDF5_MAX_COMPRESSION}× the file, not plausible even compressed`);
  }
  if (!compressed && byteCount > fileBytes) throw new FormatError(fileName, `${declared} uncompressed in a ${fileBytes}-byte file`);
  const values = data.value;
  if (!ArrayBuffer.isView(values) || (values as ArrayLike<number>).length !== valueCount) {
    throw new FormatError(fileName, `HDF5 '${name}' is not a numeric array (type ${typeName(data)})`);
  }
  return values as unknown as ArrayLike<number | bigint>;
}

function readFloats(data: Dataset, name: string, fileBytes: number, fileName: string): Float32Array {
  const values = readValues(data, name, fileBytes, fileName);
  if (values instanceof Float32Array) return values;
  const out = new Float32Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(values[i]);
  return out;
}

function readIntegers(data: Dataset, name: string, fileBytes: number, fileName: string): Int32Array {
  const values = readValues(data, name, fileBytes, fileName);
  const out = new Int32Array(values.length);
  for (let i = 0; i < out.length; i++) {
    const value = Number(values[i]);
    if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
      throw new FormatError(fileName, `HDF5 '${name}' value ${value} at index ${i} is not an integer label`);
    }
    out[i] = value;
  }
  return out;
}

function typeName(data: Dataset): string {
  const { type, size, signed } = data.metadata;
  if (type === 0) return `${signed ? 'int' : 'uint'}${size * 8}`;
  if (type === 1) return `float${size * 8}`;
  return 'other';
}

/**
 * The innermost entry of HDF5's error stack (`#00n: <source> line N in fn(): problem`), which
 * says what is wrong with the file; `fallback` when HDF5 printed nothing.
 */
function hdf5Problem(fallback: string): string {
  const entries = hdf5Messages.split('\n').filter((line) => line.includes('(): '));
  const innermost = entries.pop();
  const problem = innermost ? innermost.slice(innermost.lastIndexOf('(): ') + 4).trim() : fallback.split('\n')[0]!;
  return problem.length > 200 ? `${problem.slice(0, 200)}…` : problem;
}
