/**
 * A study: the question it answers, a base run config and the axes to grid over. Each point of the
 * grid (task × method × initializer × seed) is one full `RunConfig`.
 *
 *   {
 *     "name": "bit-width",
 *     "question": "How much accuracy does each bit width cost, per model and task?",
 *     "description": "…",
 *     "base":    { "points": 1024, "epochs": 40, "batchSize": 32, "workers": "auto" },
 *     "tasks":   [ { "label": "pointnet-cls", "model": "pointnet-vanilla", "dataset": "synth-cls" },
 *                  { "label": "mnist-cnn", "model": "mnist-cnn", "dataset": "mnist", "config": { "epochs": 10 } } ],
 *     "methods": [ { "label": "fp", "compress": "fp", "bits": 32 },
 *                  { "label": "ternary", "compress": "ternary-twn", "bits": 2, "activationBits": 32 },
 *                  { "label": "ternary-ft", "compress": "ternary-twn", "bits": 2, "from": "fp" },
 *                  { "label": "prune-90", "compress": "prune-90", "sparsity": 0.9, "tasks": ["pointnet-cls"] } ],
 *     "initializers": [ "he_normal", { "label": "laplace", "init": { "name": "laplace" } } ],
 *     "seeds": [1, 2, 3],
 *     "reference": "fp",
 *     "quick": { "base": { "points": 256, "epochs": 2 }, "methods": ["fp", "ternary"], "seeds": [1] }
 *   }
 *
 * Resolution order of a run's config (later wins, objects merged key by key): `base`, the task's
 * `config`, the method's `config`, `quick.base`, the task's `quick`, then the grid's own keys (model, dataset, compress,
 * seed, modelOptions.init, name). A cosine schedule without `epochs` follows the run's epochs (as in
 * every run config).
 *
 * A method with `from` fine-tunes: each of its runs starts from the last checkpoint of the `from`
 * method's run with the same task, initializer and seed (quantizing a trained full-precision or
 * pruned network). The source method must be listed earlier, so its runs come first.
 * A method with `teacher` distills (src/train/distillation.ts) from the `teacher` method's run
 * with the same task, initializer and seed, under the same rule; `config.distill` may set its
 * weight and temperature (the run folder is filled in when the teacher has completed).
 */
import { createHash } from 'node:crypto';
import { resolvePolicy } from '../compress/resolve.ts';
import { modelRevision } from '../models/revisions.ts';
import { parseInitializer, type InitializerSpec } from '../nn/init/index.ts';
import { parseRunConfig, type RunConfig } from '../train/run-config.ts';
import { ConfigReader } from '../util/config-reader.ts';
import { readJsonFile } from '../util/json-file.ts';
import { checkAgainst, withoutSchemaKey } from '../util/schema.ts';
import { StudySchema } from './study-schema.ts';
import { ConfigError } from '../util/errors.ts';
import type { StudyInfo } from './store.ts';

export type JsonObject = Record<string, unknown>;

export interface StudyTask {
  label: string;
  model: string;
  dataset: string;
  /** Run-config keys for this task only (epochs, batch size, …). */
  config: JsonObject;
  /** Run-config keys for this task in the quick variant. */
  quick: JsonObject;
}

/**
 * How a method is carried out. `train`: one training run with the method's compression policy.
 * `lottery-rewind` / `lottery-reinit`: lottery-ticket retraining, dispatched by the sweep runner
 * (see `lottery.ts`): train dense, prune by magnitude to `sparsity`, then retrain the sparse
 * network from its initial weights (rewind) or from a fresh random initialization (reinit).
 */
export const PROCEDURES = ['train', 'lottery-rewind', 'lottery-reinit'] as const;
export type Procedure = (typeof PROCEDURES)[number];

export interface StudyMethod {
  label: string;
  /** A compression preset name or policy object, as a run config's `compress` takes it. */
  compress: unknown;
  /** Weight bits as the study reports them (32 full precision, 1.58 ternary, 1 binary). */
  bits: number;
  activationBits: number;
  /** Target fraction of weights pruned (0 for none). */
  sparsity: number;
  procedure: Procedure;
  /** Task labels this method runs on (all when absent). */
  tasks: string[] | null;
  /** Label of an earlier method whose trained runs this one starts from (null: from scratch). */
  from: string | null;
  /** Label of an earlier method whose trained runs this one distills from (null: labels only). */
  teacher: string | null;
  /** Run-config keys for this method only (e.g. fewer epochs when fine-tuning). */
  config: JsonObject;
  /** The method the report compares this one with, if not the study's `reference` (e.g. fp at the same schedule). */
  reference: string | null;
}

export interface StudyInitializer {
  label: string;
  /** null: the model's own default. */
  init: InitializerSpec | null;
}

export interface QuickVariant {
  base: JsonObject;
  tasks: string[] | null;
  methods: string[] | null;
  initializers: string[] | null;
  seeds: number[] | null;
}

export interface Study {
  name: string;
  question: string;
  description: string;
  base: JsonObject;
  tasks: StudyTask[];
  methods: StudyMethod[];
  initializers: StudyInitializer[];
  seeds: number[];
  /** The method label every task's results are compared against (accuracy retained). */
  reference: string;
  quick: QuickVariant;
}

/** One point of the grid, ready to run. */
export interface PlannedRun {
  /** Stable id: sha256 over the resolved config (without its name) and the procedure. */
  configHash: string;
  /** The sweep's name: the study's, with `-quick` for the quick variant. */
  study: string;
  name: string;
  task: StudyTask;
  method: StudyMethod;
  initializer: StudyInitializer;
  seed: number;
  config: RunConfig;
  /** The run this one starts from (its method's `from`), or null. */
  source: { name: string; configHash: string } | null;
  /** The run this one distills from (its method's `teacher`), or null. */
  teacher: { name: string; configHash: string } | null;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Keys the grid sets itself; a base or task config may not set them. */
const GRID_KEYS = ['model', 'dataset', 'compress', 'seed', 'name', 'initFrom'];

export function readStudyFile(file: string): Study {
  const raw = readJsonFile(file);
  try {
    return parseStudy(raw);
  } catch (error) {
    // the file is part of the message: "study experiments/x.json: config methods.2.bits: …"
    if (error instanceof ConfigError) throw new ConfigError(error.path, error.problem, file);
    throw error;
  }
}

/** What the report says of a study (its question, references), as the sweep records it in the store. */
export function studyInfoOf(study: Study, quick: boolean): StudyInfo {
  return { name: sweepName(study, quick), question: study.question, description: study.description, reference: study.reference, references: methodReferences(study), quick };
}

/** The methods with their own reference (method → reference), for the report; undefined when none has one. */
export function methodReferences(study: Pick<Study, 'methods'>): Record<string, string> | undefined {
  const own = study.methods.filter((m) => m.reference !== null).map((m) => [m.label, m.reference!] as const);
  return own.length ? Object.fromEntries(own) : undefined;
}

/** Validates a study; every error names the key path (`methods.2.bits`). */
export function parseStudy(raw: unknown): Study {
  raw = withoutSchemaKey(raw);
  checkAgainst(StudySchema, raw, '');
  const r = new ConfigReader(raw, '');
  const name = label(r.string('name'), 'name');
  const question = r.string('question');
  const description = r.string('description', { default: question });
  r.raw('$comment');
  const base = runConfigFragment(r.raw('base') ?? {}, 'base');
  const tasks = arrayOf(r.raw('tasks'), 'tasks', parseTask, { nonEmpty: true });
  unique(tasks.map((t) => t.label), 'tasks');
  const methods = arrayOf(r.raw('methods'), 'methods', parseMethod, { nonEmpty: true });
  unique(methods.map((m) => m.label), 'methods');
  const taskLabels = tasks.map((t) => t.label);
  methods.forEach((m, i) => m.tasks?.forEach((t, j) => known(t, taskLabels, `methods.${i}.tasks.${j}`)));
  methods.forEach((m, i) => checkSource(m, m.from, methods.slice(0, i), `methods.${i}.from`));
  methods.forEach((m, i) => checkSource(m, m.teacher, methods.slice(0, i), `methods.${i}.teacher`));
  const initializers = r.has('initializers') ? arrayOf(r.raw('initializers'), 'initializers', parseInitializerEntry, { nonEmpty: true }) : [{ label: 'default', init: null }];
  unique(initializers.map((i) => i.label), 'initializers');
  const seeds = seedList(r.raw('seeds') ?? [1], 'seeds');
  const reference = r.string('reference', { default: methods[0]!.label });
  known(reference, methods.map((m) => m.label), 'reference');
  methods.forEach((m, i) => m.reference !== null && known(m.reference, methods.map((other) => other.label), `methods.${i}.reference`));
  const quick = parseQuick(r.raw('quick') ?? {}, { tasks: taskLabels, methods: methods.map((m) => m.label), initializers: initializers.map((i) => i.label) });
  r.done();
  return { name, question, description, base, tasks, methods, initializers, seeds, reference, quick };
}

function parseTask(raw: unknown, path: string): StudyTask {
  const r = new ConfigReader(raw, path);
  const model = r.string('model');
  const task: StudyTask = {
    label: label(r.string('label', { default: model }), `${path}.label`),
    model,
    dataset: r.string('dataset', { default: model.startsWith('mnist') ? 'mnist' : model.endsWith('-seg') ? 'synth-seg' : 'synth-cls' }),
    config: runConfigFragment(r.raw('config') ?? {}, `${path}.config`),
    quick: runConfigFragment(r.raw('quick') ?? {}, `${path}.quick`),
  };
  r.done();
  return task;
}

function parseMethod(raw: unknown, path: string): StudyMethod {
  if (typeof raw === 'string') raw = { label: raw, compress: raw };
  const r = new ConfigReader(raw, path);
  const compress = r.raw('compress') ?? 'fp';
  resolvePolicy(compress, `${path}.compress`);
  const method: StudyMethod = {
    label: label(r.string('label', { default: typeof compress === 'string' ? compress : undefined }), `${path}.label`),
    compress,
    bits: r.number('bits', { min: 0, max: 32, default: 32 }),
    activationBits: r.number('activationBits', { min: 0, max: 32, default: 32 }),
    sparsity: r.number('sparsity', { min: 0, max: 0.9999, default: 0 }),
    procedure: r.oneOf('procedure', PROCEDURES, { default: 'train' }),
    tasks: r.has('tasks') ? stringList(r.raw('tasks'), `${path}.tasks`) : (r.raw('tasks'), null),
    from: r.has('from') ? r.string('from') : (r.raw('from'), null),
    teacher: r.has('teacher') ? r.string('teacher') : (r.raw('teacher'), null),
    config: runConfigFragment(r.raw('config') ?? {}, `${path}.config`),
    reference: r.has('reference') ? r.string('reference') : (r.raw('reference'), null),
  };
  if (method.from !== null && method.procedure !== 'train') throw new ConfigError(`${path}.from`, `a ${method.procedure} method trains from scratch; 'from' needs procedure 'train'`);
  if (method.teacher !== null && method.procedure !== 'train') throw new ConfigError(`${path}.teacher`, `a ${method.procedure} method does not distill; 'teacher' needs procedure 'train'`);
  if (method.procedure !== 'train' && method.sparsity === 0) throw new ConfigError(`${path}.sparsity`, `a ${method.procedure} method needs a target sparsity > 0`);
  r.done();
  return method;
}

/** `from` and `teacher` name an earlier method that runs on every task this one does. */
function checkSource(method: StudyMethod, wanted: string | null, earlier: StudyMethod[], path: string): void {
  if (wanted === null) return;
  const source = earlier.find((m) => m.label === wanted);
  if (!source) throw new ConfigError(path, `'${wanted}' is not a method listed before '${method.label}' (the source's runs must come first)`);
  const uncovered = source.tasks === null ? [] : (method.tasks ?? ['every task']).filter((t) => !source.tasks!.includes(t));
  if (uncovered.length > 0) throw new ConfigError(path, `'${wanted}' does not run on ${uncovered.join(', ')}`);
}

function parseInitializerEntry(raw: unknown, path: string): StudyInitializer {
  if (typeof raw === 'string') return { label: label(raw, path), init: parseInitializer(raw, path) };
  const r = new ConfigReader(raw, path);
  const init = r.raw('init');
  const entry: StudyInitializer = {
    label: label(r.string('label'), `${path}.label`),
    init: init === null || init === undefined || init === 'default' ? null : parseInitializer(init, `${path}.init`),
  };
  r.done();
  return entry;
}

function parseQuick(raw: unknown, labels: { tasks: string[]; methods: string[]; initializers: string[] }): QuickVariant {
  const r = new ConfigReader(raw, 'quick');
  const subset = (key: 'tasks' | 'methods' | 'initializers'): string[] | null => {
    if (!r.has(key)) return (r.raw(key), null);
    const list = stringList(r.raw(key), `quick.${key}`);
    list.forEach((value, i) => known(value, labels[key], `quick.${key}.${i}`));
    return list;
  };
  const quick: QuickVariant = {
    base: runConfigFragment(r.raw('base') ?? {}, 'quick.base'),
    tasks: subset('tasks'),
    methods: subset('methods'),
    initializers: subset('initializers'),
    seeds: r.has('seeds') ? seedList(r.raw('seeds'), 'quick.seeds') : (r.raw('seeds'), null),
  };
  r.done();
  return quick;
}

export interface ExpandOptions {
  quick?: boolean;
  /** Keep only these task / method / initializer labels and seeds (e.g. the demo's subset). */
  only?: { tasks?: string[]; methods?: string[]; initializers?: string[]; seeds?: number[]; pairs?: Array<{ task: string; methods: string[] }> };
  /** Run-config keys applied last of all (e.g. `{ backend: 'wasm', workers: 0 }` from flags). */
  override?: JsonObject;
}

/** The grid as full run configs, in a stable order (task, method, initializer, seed). */
export function expandStudy(study: Study, options: ExpandOptions = {}): PlannedRun[] {
  const quick = options.quick ?? false;
  const keep = <T extends { label: string }>(items: T[], quickLabels: string[] | null, onlyLabels: string[] | undefined) =>
    items.filter((item) => (!quick || !quickLabels || quickLabels.includes(item.label)) && (!onlyLabels || onlyLabels.includes(item.label)));
  const tasks = keep(study.tasks, study.quick.tasks, options.only?.tasks);
  const methods = keep(study.methods, study.quick.methods, options.only?.methods);
  const initializers = keep(study.initializers, study.quick.initializers, options.only?.initializers);
  const seeds = (quick && study.quick.seeds ? study.quick.seeds : study.seeds).filter((s) => !options.only?.seeds || options.only.seeds.includes(s));
  const sweep = sweepName(study, quick);
  const runs: PlannedRun[] = [];
  // Every run by task, method, initializer and seed, including sources the filters left out.
  const planned = new Map<string, PlannedRun>();
  const plan = (task: StudyTask, method: StudyMethod, initializer: StudyInitializer, seed: number): PlannedRun => {
    const key = JSON.stringify([task.label, method.label, initializer.label, seed]);
    const known = planned.get(key);
    if (known) return known;
    const planSource = (label: string | null) => {
      const sourceMethod = label === null ? null : study.methods.find((m) => m.label === label)!;
      const sourceRun = sourceMethod ? plan(task, sourceMethod, initializer, seed) : null;
      return sourceRun ? { name: sourceRun.name, configHash: sourceRun.configHash } : null;
    };
    const source = planSource(method.from);
    const teacher = planSource(method.teacher);
    const name = runName(task, method, initializer, seed, study.initializers.length > 1);
    const raw = resolveRaw(study, task, method, initializer, seed, name, quick, options.override ?? {});
    // The teacher's folder is known once it has run (see the runner); until then, its name.
    if (teacher) raw['distill'] = { ...((raw['distill'] as JsonObject | undefined) ?? {}), run: teacher.name };
    const config = parseRunConfig(raw, `run ${name}`);
    const hash = configHash(config, method, source?.configHash, teacher?.configHash);
    const run: PlannedRun = { configHash: hash, study: sweep, name, task, method, initializer, seed, config, source, teacher };
    planned.set(key, run);
    return run;
  };
  for (const task of tasks) {
    const pair = options.only?.pairs?.find((p) => p.task === task.label);
    if (options.only?.pairs && !pair) continue;
    for (const method of methods) {
      if (method.tasks && !method.tasks.includes(task.label)) continue;
      if (pair && !pair.methods.includes(method.label)) continue;
      for (const initializer of initializers) {
        for (const seed of seeds) runs.push(plan(task, method, initializer, seed));
      }
    }
  }
  const byHash = new Map<string, string>();
  for (const run of runs) {
    const other = byHash.get(run.configHash);
    if (other) throw new ConfigError('methods', `runs ${other} and ${run.name} resolve to the same config (hash ${run.configHash.slice(0, 12)}): give them different settings`);
    byHash.set(run.configHash, run.name);
  }
  return runs;
}

export function sweepName(study: Study, quick: boolean): string {
  return quick ? `${study.name}-quick` : study.name;
}

function runName(task: StudyTask, method: StudyMethod, initializer: StudyInitializer, seed: number, withInitializer: boolean): string {
  return [task.label, method.label, ...(withInitializer ? [initializer.label] : []), `s${seed}`].join('__');
}

function resolveRaw(
  study: Study,
  task: StudyTask,
  method: StudyMethod,
  initializer: StudyInitializer,
  seed: number,
  name: string,
  quick: boolean,
  override: JsonObject,
): JsonObject {
  let raw: JsonObject = deepMerge(deepMerge(study.base, task.config), method.config);
  if (quick) raw = deepMerge(deepMerge(raw, study.quick.base), task.quick);
  raw = deepMerge(raw, override);
  raw = { ...raw, name, model: task.model, dataset: task.dataset, compress: method.compress, seed };
  if (initializer.init !== null) raw['modelOptions'] = { ...((raw['modelOptions'] as JsonObject | undefined) ?? {}), init: initializer.init };
  return raw;
}

/**
 * The stable identity of a run: sha256 of the resolved config in canonical JSON (keys sorted),
 * without its name (a label) but with how the method is carried out and, for a fine-tuning run,
 * the identity of the run it starts from (instead of that run's folder, which `initFrom` names).
 * The compression policy enters as what it resolves to (its rules and model switches), not as
 * a preset name or file path, so editing a preset or a policy file makes a new run.
 */
export function configHash(config: RunConfig, method: Pick<StudyMethod, 'procedure' | 'sparsity'>, sourceHash?: string, teacherHash?: string): string {
  const { name: _name, initFrom: _initFrom, distill, ...rest } = config;
  const { layers, model } = resolvePolicy(rest.compress);
  const identity: JsonObject = { config: { ...rest, compress: { layers, model } } };
  const revision = modelRevision(config.model);
  if (revision > 1) identity['modelRevision'] = revision;
  // A teacher enters by its identity and its loss settings, not by its folder.
  if (distill) {
    const { run, ...settings } = distill;
    identity['distill'] = { ...settings, teacher: teacherHash ?? run };
  }
  if (method.procedure !== 'train') identity['procedure'] = { name: method.procedure, sparsity: method.sparsity };
  if (sourceHash) identity['from'] = sourceHash;
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

/** JSON with object keys sorted at every level (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as JsonObject)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Objects merge key by key (recursively); anything else in `over` replaces. */
export function deepMerge(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const previous = out[key];
    out[key] = isPlainObject(previous) && isPlainObject(value) ? deepMerge(previous, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function runConfigFragment(raw: unknown, path: string): JsonObject {
  if (!isPlainObject(raw)) throw new ConfigError(path, 'must be an object of run-config keys');
  for (const key of Object.keys(raw)) {
    if (GRID_KEYS.includes(key)) throw new ConfigError(`${path}.${key}`, `is set by the study's grid (tasks, methods, seeds), not in a config block`);
  }
  return raw;
}

function arrayOf<T>(raw: unknown, path: string, parse: (value: unknown, path: string) => T, options: { nonEmpty?: boolean } = {}): T[] {
  if (!Array.isArray(raw)) throw new ConfigError(path, raw === undefined ? 'is required (a list)' : 'must be a list');
  if (options.nonEmpty && raw.length === 0) throw new ConfigError(path, 'must not be empty');
  return raw.map((value, i) => parse(value, `${path}.${i}`));
}

function stringList(raw: unknown, path: string): string[] {
  if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string' || v === '')) throw new ConfigError(path, 'must be a list of names');
  return raw as string[];
}

function seedList(raw: unknown, path: string): number[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((v) => !Number.isInteger(v) || (v as number) < 0)) {
    throw new ConfigError(path, 'must be a non-empty list of integer seeds ≥ 0');
  }
  unique((raw as number[]).map(String), path);
  return raw as number[];
}

function label(value: string, path: string): string {
  if (!NAME_PATTERN.test(value) || value.includes('__')) {
    throw new ConfigError(path, `'${value}' must be letters, digits, '.', '_' or '-' (no '__'), as it names run folders`);
  }
  return value;
}

function unique(values: string[], path: string): void {
  const seen = new Set<string>();
  values.forEach((value, i) => {
    if (seen.has(value)) throw new ConfigError(`${path}.${i}`, `'${value}' appears twice`);
    seen.add(value);
  });
}

function known(value: string, choices: string[], path: string): void {
  if (!choices.includes(value)) throw new ConfigError(path, `unknown label '${value}' (known: ${choices.join(', ')})`);
}
