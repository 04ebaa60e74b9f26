/**
 * A packed file is untrusted input: its header decides what the engine allocates and how long it
 * loops. Before anything is allocated, this walks the whole program as the engine will run it and
 * checks that every op is known, every buffer is written before it is read (and written once),
 * every size agrees with the tensors that exist, every `k` and group is within the rows it acts
 * on, and what a run allocates stays within a sane limit. A file that fails is refused in one line
 * naming the op and the problem; a file that passes cannot make the engine index out of bounds,
 * divide by zero, hang, or allocate more than `LIMITS.engineBytes` for `LIMITS.points` points.
 *
 *   const bounds = validateProgram(header, entries, fail);   // in readPackedModel
 *   checkRunSize(bounds, rows, fail);                        // in Engine.run, per input
 */
import type { TensorEntry } from './format.ts';

/** The sane limits; everything else is derived from the tensors in the file. */
export const LIMITS = {
  /**
   * Points per cloud. The data sets bitpoint reads have 10³–10⁴ points per cloud and a dense
   * scan 10⁵–10⁶; more is a mistake or an attack (a model card's `points` decides how many
   * points a mesh is sampled to before anything checks the model).
   */
  points: 1_000_000,
  /**
   * Bytes one run may allocate (every buffer, the scratch of each op, the weights copied into the
   * arena) at a given number of points. The arena is one WebAssembly memory, which a wasm32
   * module can grow to 4 GiB at most; half leaves room for the module and the host.
   */
  engineBytes: 2 ** 31,
  /** Ops per program: registry models have fewer than 100; bounds the time of validation itself. */
  ops: 10_000,
  /** Channels of any buffer, in addition to ≤ the largest tensor's count (see `validateProgram`). */
  channels: 1 << 24,
} as const;

/** What a run needs, as a function of its input rows N (points, or pixels for an image). */
export interface ProgramBounds {
  /** Fewest input rows the program accepts (the largest kNN `k` on per-point rows, at least 1). */
  minRows: number;
  /** 4-byte values allocated per input row, and regardless of the rows. */
  valuesPerRow: number;
  fixedValues: number;
  /** An image model takes exactly this many rows; null for point clouds. */
  fixedRows: number | null;
}

/** Bytes a run of `rows` input rows allocates (an upper bound). */
export function runBytes(bounds: ProgramBounds, rows: number): number {
  return 4 * (bounds.valuesPerRow * rows + bounds.fixedValues);
}

/** Refuses an input size the program cannot run on, or that would allocate past the limit. */
export function checkRunSize(bounds: ProgramBounds, rows: number, fail: (problem: string) => never): void {
  if (rows > LIMITS.points) fail(`an input of ${rows} points is more than the engine runs (at most ${LIMITS.points})`);
  if (rows < bounds.minRows) fail(`an input of ${rows} points is fewer than the model's ${bounds.minRows} nearest neighbours`);
  const bytes = runBytes(bounds, rows);
  if (bytes > LIMITS.engineBytes) fail(`running on ${rows} points would take ${mib(bytes)}, more than the engine's limit of ${mib(LIMITS.engineBytes)}`);
}

/** Rows of a buffer: `count` per input row (per point) or a fixed number. */
interface Rows {
  perInputRow: boolean;
  count: number;
}

interface Shape {
  rows: Rows;
  channels: number;
  /** Sign bits (a dense op's sign result), readable only by an XNOR layer. */
  bits: boolean;
  /** Set for a kNN result: its k and the rows its indices point into. */
  neighbours: { k: number; rows: Rows } | null;
}

type Fail = (problem: string) => never;
type Json = Record<string, unknown>;

const KNOWN_OPS = ['dense', 'shortcut', 'max_rows', 'mean_rows', 'concat', 'transform', 'knn', 'edge_max', 'edge_features', 'group_max', 'conv2d', 'max_pool2d', 'flatten'];
const ACTIVATIONS = ['none', 'relu', 'leaky_relu'];

const sameRows = (a: Rows, b: Rows) => a.perInputRow === b.perInputRow && a.count === b.count;
const showRows = (r: Rows) => (r.perInputRow ? (r.count === 1 ? 'N' : `${r.count}·N`) : `${r.count}`);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Typed access to one JSON object of the header, failing with its place in the file. */
class Fields {
  constructor(
    readonly json: Json,
    readonly where: string,
    readonly fail: Fail,
  ) {}

  problem(message: string): never {
    return this.fail(`${this.where}: ${message}`);
  }

  integer(key: string, min: number, max: number): number {
    const v = this.json[key];
    if (!(Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max)) this.problem(`${key} must be an integer in [${min}, ${max}], got ${show(v)}`);
    return v as number;
  }

  finite(key: string): number {
    const v = this.json[key];
    if (!(typeof v === 'number' && Number.isFinite(v))) this.problem(`${key} must be a finite number, got ${show(v)}`);
    return v as number;
  }

  string(key: string): string {
    const v = this.json[key];
    if (typeof v !== 'string' || v.length === 0) this.problem(`${key} must be a name, got ${show(v)}`);
    return v as string;
  }

  optionalString(key: string): string | null {
    return this.json[key] === null ? null : this.string(key);
  }

  boolean(key: string): boolean {
    const v = this.json[key];
    if (typeof v !== 'boolean') this.problem(`${key} must be true or false, got ${show(v)}`);
    return v as boolean;
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T {
    const v = this.json[key];
    if (!values.includes(v as T)) this.problem(`${key} must be one of ${values.join(', ')}, got ${show(v)}`);
    return v as T;
  }

  object(key: string): Fields {
    const v = this.json[key];
    if (!isObject(v)) this.problem(`${key} must be an object, got ${show(v)}`);
    return new Fields(v as Json, `${this.where}.${key}`, this.fail);
  }
}

function show(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * Checks `header` (the parsed JSON: nothing in it is trusted) against the tensor entries already
 * checked by `readPackedModel`, and returns what a run needs. Calls `fail` on the first problem.
 */
export function validateProgram(header: Json, entries: ReadonlyMap<string, TensorEntry>, fail: Fail): ProgramBounds {
  const top = new Fields(header, 'header', fail);
  top.string('model');
  const task = top.oneOf('task', ['classification', 'segmentation'] as const);
  // a channel count larger than every tensor can feed no layer
  let largestTensor = 1;
  for (const entry of entries.values()) largestTensor = Math.max(largestTensor, entry.count);
  const maxChannels = Math.min(largestTensor, LIMITS.channels);
  const numClasses = top.integer('numClasses', 1, maxChannels);
  const numCategories = top.integer('numCategories', 0, maxChannels);

  const shapes = new Map<string, Shape>();
  const cost = { perRow: 0, fixed: 0 };
  const allocate = (rows: Rows, valuesPerRow: number) => {
    if (rows.perInputRow) cost.perRow += rows.count * valuesPerRow;
    else cost.fixed += rows.count * valuesPerRow;
  };
  const define = (name: string, shape: Shape, where: string) => {
    if (shapes.has(name)) fail(`${where}: buffer ${JSON.stringify(name)} is written twice`);
    shapes.set(name, shape);
    // sign bits take less, but a float upper bound is enough for a limit
    allocate(shape.rows, shape.channels);
  };

  const inputFields = top.object('input');
  const inputKind = inputFields.oneOf('kind', ['points', 'image'] as const);
  const inputChannels = inputFields.integer('channels', 1, maxChannels);
  let fixedRows: number | null = null;
  if (inputKind === 'points') {
    define('points', { rows: { perInputRow: true, count: 1 }, channels: inputChannels, bits: false, neighbours: null }, 'header.input');
  } else {
    const height = inputFields.integer('height', 1, LIMITS.points);
    const width = inputFields.integer('width', 1, LIMITS.points);
    if (height * width > LIMITS.points) inputFields.problem(`an image of ${height}×${width} pixels is more than ${LIMITS.points}`);
    fixedRows = height * width;
    define('image', { rows: { perInputRow: false, count: fixedRows }, channels: inputChannels, bits: false, neighbours: null }, 'header.input');
  }
  if (numCategories > 0) define('category', { rows: { perInputRow: false, count: 1 }, channels: numCategories, bits: false, neighbours: null }, 'header.numCategories');

  const program = header['program'];
  if (!Array.isArray(program) || program.length === 0) fail('header.program must be a non-empty list of ops');
  if (program.length > LIMITS.ops) fail(`header.program has ${program.length} ops, more than ${LIMITS.ops}`);
  let minRows = 1;

  const tensor = (fields: Fields, key: string, dtype: TensorEntry['dtype'], count: number, bits?: number) => {
    const name = fields.string(key);
    const entry = entries.get(name);
    const wanted = dtype === 'codes' ? `${count} codes of ${bits} bits` : `${count} ${dtype} values`;
    if (!entry) fail(`${fields.where}.${key}: tensor ${JSON.stringify(name)} is not in the file`);
    const held = entry.dtype === 'codes' ? `${entry.count} codes of ${entry.bits} bits` : `${entry.count} ${entry.dtype} values`;
    if (entry.dtype !== dtype || entry.count !== count || (dtype === 'codes' && entry.bits !== bits)) {
      fail(`${fields.where}.${key}: tensor ${JSON.stringify(name)} should hold ${wanted}, it holds ${held}`);
    }
    return entry;
  };
  const read = (fields: Fields, key: string) => {
    const name = fields.string(key);
    const shape = shapes.get(name);
    if (!shape) fields.problem(`reads buffer ${JSON.stringify(name)} before any op writes it`);
    return shape;
  };
  const readFloat = (fields: Fields, key: string) => {
    const shape = read(fields, key);
    if (shape.bits) fields.problem(`${key} ${JSON.stringify(fields.json[key])} holds sign bits, which only an XNOR layer reads`);
    return shape;
  };

  /** A dense layer reading `input`; returns its output shape (the caller defines it). */
  const dense = (d: Fields, input: Shape): Shape => {
    d.string('layer');
    const inC = d.integer('inChannels', 1, maxChannels);
    const outC = d.integer('outChannels', 1, maxChannels);
    if (input.channels !== inC) d.problem(`takes ${inC} channels, its input ${JSON.stringify(d.json['input'])} has ${input.channels}`);
    const weights = d.object('weights');
    const encoding = weights.object('encoding');
    const kind = encoding.oneOf('kind', ['float32', 'binary', 'ternary', 'uint'] as const);
    const quantization = d.object('inputQuantization');
    const qKind = quantization.oneOf('kind', ['float', 'sign', 'uniform'] as const);
    if (qKind === 'uniform') {
      const step = quantization.finite('step');
      if (!(step > 0)) quantization.problem(`step must be positive, got ${step}`);
      if (quantization.finite('min') > quantization.finite('max')) quantization.problem('min is above max');
    }
    const total = inC * outC;
    const bitmap = weights.optionalString('bitmap');
    // with a bitmap, the kept count is only known from the bitmap's bits (the engine checks it)
    if (bitmap !== null) tensor(weights, 'bitmap', 'codes', total, 1);
    const codeBits = kind === 'float32' ? null : kind === 'binary' ? 1 : kind === 'ternary' ? 2 : encoding.integer('bits', 1, 16);
    if (kind === 'uint') encoding.finite('zero');
    if (kind === 'ternary' && encoding.optionalString('negativeRatio') !== null) tensor(encoding, 'negativeRatio', 'float32', outC);
    const codesName = weights.string('codes');
    if (bitmap === null) {
      if (codeBits === null) tensor(weights, 'codes', 'float32', total);
      else tensor(weights, 'codes', 'codes', total, codeBits);
    } else {
      const entry = entries.get(codesName);
      const right = entry && (codeBits === null ? entry.dtype === 'float32' : entry.dtype === 'codes' && entry.bits === codeBits);
      if (!right || entry.count > total) fail(`${weights.where}.codes: tensor ${JSON.stringify(codesName)} should hold at most ${total} ${codeBits === null ? 'float32 values' : `codes of ${codeBits} bits`}`);
    }
    const xnor = kind === 'binary' && bitmap === null && qKind === 'sign';
    if (input.bits && !xnor) d.problem(`reads the sign bits of ${JSON.stringify(d.json['input'])} but is not an XNOR layer (binary weights, sign inputs, no pruning)`);
    d.oneOf('activation', ACTIVATIONS);
    d.finite('slope');
    const result = d.object('result');
    const resultKind = result.oneOf('kind', ['float', 'sign', 'max'] as const);
    if (resultKind === 'sign') {
      if (!xnor) result.problem('a sign result needs binary weights and sign inputs');
      tensor(result, 'direction', 'int32', outC);
      tensor(result, 'threshold', 'int32', outC);
    } else {
      if (d.json['scale'] === null || d.json['shift'] === null) d.problem(`a ${resultKind} result needs scale and shift tensors`);
      tensor(d, 'scale', 'float32', outC);
      tensor(d, 'shift', 'float32', outC);
    }
    if (resultKind === 'max') result.boolean('entropyMaximizing');
    const addRow = d.optionalString('addRow');
    if (addRow !== null) {
      const row = readFloat(d, 'addRow');
      if (!(sameRows(row.rows, { perInputRow: false, count: 1 }) && row.channels === outC)) d.problem(`addRow ${JSON.stringify(addRow)} is [${showRows(row.rows)}, ${row.channels}], not one row of ${outC}`);
      if (resultKind !== 'float') d.problem('addRow needs a float result');
    }
    // the weights copied into the arena, and the input as the kernels take it (units or bits)
    cost.fixed += total + 4 * outC;
    allocate(input.rows, xnor ? 2 * Math.ceil(inC / 64) : qKind === 'float' ? 0 : inC);
    if (resultKind === 'max') allocate(input.rows, outC);
    return { rows: resultKind === 'max' ? { perInputRow: false, count: 1 } : input.rows, channels: outC, bits: resultKind === 'sign', neighbours: null };
  };

  for (const [i, raw] of program.entries()) {
    if (!isObject(raw)) fail(`program[${i}] is not an op`);
    const label = typeof raw['op'] === 'string' ? raw['op'] : '?';
    const named = isObject(raw['dense']) ? raw['dense']['layer'] : (raw['layer'] ?? raw['output']);
    const op = new Fields(raw, `program[${i}] (${label}${typeof named === 'string' ? ` ${named}` : ''})`, fail);
    const kind = op.oneOf('op', KNOWN_OPS);
    switch (kind) {
      case 'dense': {
        const output = dense(op, read(op, 'input'));
        define(op.string('output'), output, op.where);
        break;
      }
      case 'shortcut': {
        const input = readFloat(op, 'input');
        const source = readFloat(op, 'source');
        const fits = input.channels % source.channels === 0 || source.channels % input.channels === 0;
        if (!sameRows(input.rows, source.rows) || !fits) op.problem(`cannot add ${JSON.stringify(raw['source'])} [${showRows(source.rows)}, ${source.channels}] to ${JSON.stringify(raw['input'])} [${showRows(input.rows)}, ${input.channels}]`);
        define(op.string('output'), { ...input, neighbours: null }, op.where);
        break;
      }
      case 'max_rows':
      case 'mean_rows': {
        const input = readFloat(op, 'input');
        op.boolean('entropyMaximizing');
        define(op.string('output'), { rows: { perInputRow: false, count: 1 }, channels: input.channels, bits: false, neighbours: null }, op.where);
        break;
      }
      case 'concat': {
        const list = raw['inputs'];
        if (!Array.isArray(list) || list.length === 0 || list.length > LIMITS.ops) op.problem('inputs must be a non-empty list of buffer names');
        const names = list as unknown[];
        const inputs = names.map((_, j) => readFloat(new Fields({ [`inputs[${j}]`]: names[j] }, op.where, fail), `inputs[${j}]`));
        if (!inputs.every((s) => sameRows(s.rows, inputs[0]!.rows))) op.problem(`inputs have different rows (${inputs.map((s) => showRows(s.rows)).join(', ')})`);
        const channels = inputs.reduce((sum, s) => sum + s.channels, 0);
        if (channels > maxChannels) op.problem(`${channels} channels is more than any tensor in the file (${maxChannels})`);
        define(op.string('output'), { rows: inputs[0]!.rows, channels, bits: false, neighbours: null }, op.where);
        break;
      }
      case 'transform': {
        const input = readFloat(op, 'input');
        const k = op.integer('k', 1, maxChannels);
        if (input.channels !== k) op.problem(`k ${k} differs from its input's ${input.channels} channels`);
        const matrix = readFloat(op, 'matrix');
        if (!(sameRows(matrix.rows, { perInputRow: false, count: 1 }) && matrix.channels === k * k)) op.problem(`matrix ${JSON.stringify(raw['matrix'])} is [${showRows(matrix.rows)}, ${matrix.channels}], not one row of ${k}·${k}`);
        define(op.string('output'), { ...input, neighbours: null }, op.where);
        break;
      }
      case 'knn': {
        const input = readFloat(op, 'input');
        const k = op.integer('k', 1, LIMITS.points);
        if (input.rows.perInputRow) {
          // k ≤ points: each run checks its input has at least k rows per input row
          minRows = Math.max(minRows, Math.ceil(k / input.rows.count));
        } else if (k > input.rows.count) op.problem(`k ${k} is more than the ${input.rows.count} rows of its input`);
        // the indices, and the kernel's scratch above the arena (kernels.ts: knnScratchBytes)
        allocate(input.rows, k + input.channels + 2);
        define(op.string('output'), { rows: input.rows, channels: k, bits: false, neighbours: { k, rows: input.rows } }, op.where);
        break;
      }
      case 'edge_features': {
        const input = readFloat(op, 'input');
        const k = neighboursOf(op, read(op, 'neighbours'), input.rows);
        define(op.string('output'), { rows: { perInputRow: input.rows.perInputRow, count: input.rows.count * k }, channels: 2 * input.channels, bits: false, neighbours: null }, op.where);
        break;
      }
      case 'edge_max': {
        const d = op.object('dense');
        const input = readFloat(d, 'input');
        neighboursOf(op, read(op, 'neighbours'), input.rows);
        const output = dense(d, { ...input, channels: 2 * input.channels });
        // it splits the weight into centre and neighbour halves of float units
        if ((d.json['inputQuantization'] as Json)['kind'] !== 'float') d.problem('edge_max needs float inputs');
        if ((d.json['result'] as Json)['kind'] !== 'float') d.problem('edge_max needs a float result');
        if (d.json['addRow'] !== null) d.problem('edge_max takes no addRow');
        // the centre and neighbour products, per point
        allocate(input.rows, 2 * output.channels);
        define(d.string('output'), output, op.where);
        break;
      }
      case 'group_max': {
        const input = readFloat(op, 'input');
        const group = op.integer('group', 1, LIMITS.points);
        if (input.rows.count % group !== 0) op.problem(`group ${group} does not divide its input's ${showRows(input.rows)} rows`);
        define(op.string('output'), { rows: { perInputRow: input.rows.perInputRow, count: input.rows.count / group }, channels: input.channels, bits: false, neighbours: null }, op.where);
        break;
      }
      case 'conv2d': {
        const height = op.integer('height', 1, LIMITS.points);
        const width = op.integer('width', 1, LIMITS.points);
        const size = op.integer('kernelSize', 1, Math.min(height, width));
        // the engine's im2col and its output buffer take the image as square
        if (height !== width) op.problem(`only square images are supported, got ${height}×${width}`);
        const d = op.object('dense');
        const input = readFloat(d, 'input');
        if (!sameRows(input.rows, { perInputRow: false, count: height * width })) d.problem(`input ${JSON.stringify(d.json['input'])} has ${showRows(input.rows)} rows, not the ${height}·${width} pixels of the image`);
        const out = height - size + 1;
        const patch = size * size * input.channels;
        const columns: Shape = { rows: { perInputRow: false, count: out * out }, channels: patch, bits: false, neighbours: null };
        allocate(columns.rows, patch);
        const output = dense(d, columns);
        if ((d.json['result'] as Json)['kind'] === 'max') d.problem('conv2d needs a per-pixel result');
        define(d.string('output'), output, op.where);
        break;
      }
      case 'max_pool2d': {
        const input = readFloat(op, 'input');
        const height = op.integer('height', 2, LIMITS.points);
        const width = op.integer('width', 2, LIMITS.points);
        if (!sameRows(input.rows, { perInputRow: false, count: height * width })) op.problem(`input has ${showRows(input.rows)} rows, not ${height}·${width}`);
        define(op.string('output'), { rows: { perInputRow: false, count: Math.floor(height / 2) * Math.floor(width / 2) }, channels: input.channels, bits: false, neighbours: null }, op.where);
        break;
      }
      case 'flatten': {
        const input = readFloat(op, 'input');
        if (input.rows.perInputRow) op.problem('flattens rows that depend on the number of points');
        const channels = input.rows.count * input.channels;
        if (channels > maxChannels) op.problem(`${channels} channels is more than any tensor in the file (${maxChannels})`);
        define(op.string('output'), { rows: { perInputRow: false, count: 1 }, channels, bits: false, neighbours: null }, op.where);
        break;
      }
    }
  }

  const outputName = top.string('output');
  const output = shapes.get(outputName);
  if (!output) fail(`header.output: the program never writes its output ${JSON.stringify(outputName)}`);
  if (output.bits) fail(`header.output ${JSON.stringify(outputName)} holds sign bits, not logits`);
  const wantedRows: Rows = task === 'classification' ? { perInputRow: false, count: 1 } : { perInputRow: true, count: 1 };
  if (!sameRows(output.rows, wantedRows) || output.channels !== numClasses) {
    fail(`header.output ${JSON.stringify(outputName)} is [${showRows(output.rows)}, ${output.channels}], but a ${task} model of ${numClasses} classes outputs [${showRows(wantedRows)}, ${numClasses}]`);
  }
  const bounds: ProgramBounds = { minRows, valuesPerRow: cost.perRow, fixedValues: cost.fixed, fixedRows };
  const smallest = fixedRows ?? minRows;
  if (runBytes(bounds, smallest) > LIMITS.engineBytes) fail(`the program would take ${mib(runBytes(bounds, smallest))} on ${smallest} ${fixedRows ? 'pixels' : 'points'}, more than the engine's limit of ${mib(LIMITS.engineBytes)}`);
  validateSource(header['source'], task, numClasses, numCategories, inputKind, inputChannels, bounds, fail);
  return bounds;

  function neighboursOf(op: Fields, shape: Shape, rows: Rows): number {
    const k = op.integer('k', 1, LIMITS.points);
    if (!shape.neighbours) op.problem(`neighbours ${JSON.stringify(op.json['neighbours'])} is not the result of a knn op`);
    if (shape.neighbours.k !== k) op.problem(`k ${k} differs from the ${shape.neighbours.k} neighbours of ${JSON.stringify(op.json['neighbours'])}`);
    if (!sameRows(shape.neighbours.rows, rows)) op.problem(`its neighbours index ${showRows(shape.neighbours.rows)} rows, its input has ${showRows(rows)}`);
    return k;
  }
}

/**
 * `source` is informative except for the model card, which `bitpoint predict` and the viewer act
 * on: how many points to sample a mesh to, whether normals are input channels, the class names.
 */
function validateSource(source: unknown, task: string, numClasses: number, numCategories: number, inputKind: string, inputChannels: number, bounds: ProgramBounds, fail: Fail): void {
  if (!isObject(source)) fail(`header.source must be an object, got ${show(source)}`);
  if (source['card'] === undefined) return;
  const card = new Fields(source, 'header.source', fail).object('card');
  const points = card.integer('points', bounds.minRows, LIMITS.points);
  if (runBytes(bounds, points) > LIMITS.engineBytes) card.problem(`running on its ${points} points would take ${mib(runBytes(bounds, points))}, more than the engine's limit of ${mib(LIMITS.engineBytes)}`);
  const normals = card.boolean('normals');
  if (card.json['task'] !== task) card.problem(`task ${show(card.json['task'])} differs from the program's ${JSON.stringify(task)}`);
  if (inputKind === 'points' && inputChannels !== (normals ? 6 : 3)) card.problem(`normals ${normals} means ${normals ? 6 : 3} input channels, the program takes ${inputChannels}`);
  const names = card.json['classNames'];
  if (names !== undefined && !(Array.isArray(names) && names.length === numClasses && names.every((n) => typeof n === 'string'))) {
    card.problem(`classNames must be ${numClasses} names, one per class`);
  }
  if (task === 'segmentation') {
    const table = card.object('partTable');
    table.integer('partCount', numClasses, numClasses);
    const categories = table.json['categories'];
    const valid =
      Array.isArray(categories) &&
      categories.length > 0 &&
      categories.every((c) => isObject(c) && typeof c['name'] === 'string' && Array.isArray(c['parts']) && c['parts'].length > 0 && c['parts'].every((p) => Number.isSafeInteger(p) && p >= 0 && p < numClasses));
    if (!valid) table.problem(`categories must list each category's name and parts (integers in [0, ${numClasses}))`);
    if (numCategories > 0 && (categories as unknown[]).length !== numCategories) table.problem(`lists ${(categories as unknown[]).length} categories, the program takes ${numCategories}`);
  }
}
