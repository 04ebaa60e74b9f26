/**
 * A compression policy says, per layer, which weight quantizer, activation (input) quantizer,
 * output scale and pruning the layer gets, plus model-level switches. It is plain JSON:
 *
 *   {
 *     "name": "bipointnet",
 *     "layers": [
 *       { "match": "*", "weights": "ste_sign", "activations": "ste_sign", "outputScale": "lsr" },
 *       { "match": ["first", "last"], "weights": "fp", "activations": "fp", "outputScale": "none" }
 *     ],
 *     "model": { "entropyMaximizingPool": true, "hiddenActivation": "none" }
 *   }
 *
 *   const report = applyPolicy(model, resolvePolicy('bipointnet'), { rng });   // before building the Trainer
 *
 * Rules apply in order; a later rule overrides only the keys it sets. `match` is a glob or a list
 * of globs over hierarchical layer names (see glob.ts), plus `first` for the model's `inputLayers`
 * (its first layer, and with an input T-Net also `encoder1.0`, which reads the transformed
 * coordinates: three signs per point would be all it saw), `last` for its `lastLayer`, and
 * `pooled` for its `pooledLayers` (the classifier heads' first layer, fed by the max over points),
 * and `transforms` for its `transformLayers` (the layers that output PointNet's T-Net matrices);
 * a rule matching only `pooled` and `transforms` may match nothing without a warning. Quantizer specs are names
 * or objects (quantizers/registry.ts); null or "fp" is full precision. `prune` is null (none) or
 *
 *   { "method": "magnitude" | "random" | "channel", "scope": "layer" | "global", "sparsity": 0.9,
 *     "schedule": "one-shot" | { "kind": "one-shot", "at": 0.5 } |
 *                 { "kind": "gradual", "begin": 0.1, "end": 0.6, "updates": 20, "initialSparsity": 0 } }
 *
 * (`begin`/`end`/`at` are fractions of training, or use `beginStep`/`endStep`/`atStep`). One-shot
 * pruning without a step happens in `applyPolicy`; anything later is done by the returned
 * `pruningSchedule` from the Trainer's `afterUpdate`. Layers with any pruning get their mask at
 * once (all ones until pruned), so a checkpoint always has the same tensors.
 *
 * Model switches:
 *   entropyMaximizingPool  BiPointNet's EMA on every GlobalMaxPool module (T-Nets' pools included:
 *                          without it their binarized global features are the same for every cloud).
 *   hiddenActivation       "none" removes the ReLU after BatchNorm in Linear–BN–activation blocks.
 *                          Needed with binary activations: sign(ReLU(x)) is +1 everywhere.
 *                          BiPointNet uses hardtanh there; before sign() hardtanh is the identity in
 *                          the forward pass and gives the same clipped straight-through gradient,
 *                          so "none" is equivalent for every block whose output is binarized.
 *   realShortcuts          adds each Linear–BN block's real-valued input to its output wherever the
 *                          block's input is quantized (Bi-Real Net; ReActNet's channel repeat for a
 *                          wider output, a mean over channel groups for a narrower one; a block
 *                          whose widths do not divide one another keeps none, with a warning).
 *                          The 1-bit products stay 1-bit; the sum is a float addition per value.
 *
 * `extends: "<preset>"` starts from a preset's rules and switches (own rules come after).
 * `applyPolicy` expects a freshly built model and must run before the Trainer is constructed
 * (the Trainer collects trainable parameters once; LSQ steps, TTQ scales and LSR scales are new ones).
 */
import * as tf from '@tensorflow/tfjs-core';
import { GlobalMaxPool } from '../nn/layers/global-max-pool.ts';
import type { BatchNorm } from '../nn/layers/batch-norm.ts';
import type { QuantizedLayer } from '../nn/layers/quantized-layer.ts';
import type { Module } from '../nn/module.ts';
import { ConfigReader } from '../util/config-reader.ts';
import { ConfigError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';
import { globToRegExp } from './glob.ts';
import { PRESET_NAMES, presetPolicy } from './presets.ts';
import { createOutputScale, OUTPUT_SCALE_NAMES, type OutputScaleName } from './output-scale.ts';
import { pruneLayers, PRUNING_METHODS, type PruningMethod } from './prune/masks.ts';
import { PruningSchedule, type PruningGroup, type PruningTiming } from './prune/schedule.ts';
import { CompressQuantizer } from './quantizers/base.ts';
import { buildQuantizer, parseQuantizerSpec, type QuantizerConfig, type QuantizerSpec } from './quantizers/registry.ts';

export interface PruneSpec {
  method?: PruningMethod;
  scope?: 'layer' | 'global';
  sparsity: number;
  schedule?: 'one-shot' | 'gradual' | Partial<PruningTiming> & { kind: PruningTiming['kind'] };
}

export interface PolicyRule {
  match: string | string[];
  weights?: QuantizerSpec;
  activations?: QuantizerSpec;
  prune?: PruneSpec | null;
  outputScale?: OutputScaleName;
  /**
   * Initialize the shifts (β) of the BatchNorm after the layer uniformly in ±spread (in units of
   * the normalized output), so that the signs the next layer takes cut each channel at a
   * different level: dithered one-bit quantization. Without it every BN'd channel is cut at its
   * mean; after PointNet's first layer (xyz → 64, no bias) that makes every cut a plane through
   * the cloud's centre, and the binary code keeps only the direction of each point, not its
   * distance (sphere, box and blob look alike). 0 (the default) leaves β at zero.
   */
  thresholdSpread?: number;
}

export interface ModelSwitches {
  entropyMaximizingPool?: boolean;
  hiddenActivation?: 'keep' | 'none';
  realShortcuts?: boolean;
}

/** A policy as written in JSON. */
export interface CompressionPolicy {
  name?: string;
  description?: string;
  extends?: string;
  layers?: PolicyRule[];
  model?: ModelSwitches;
}

/** The validated, normalized form: every quantizer and schedule spelled out, no `extends`. */
export interface ResolvedRule {
  match: string[];
  weights?: QuantizerConfig;
  activations?: QuantizerConfig;
  prune?: ResolvedPrune | null;
  outputScale?: OutputScaleName;
  thresholdSpread?: number;
}

export interface ResolvedPrune {
  method: PruningMethod;
  scope: 'layer' | 'global';
  sparsity: number;
  schedule: PruningTiming;
}

export interface ResolvedPolicy {
  name: string;
  description: string;
  layers: ResolvedRule[];
  model: Required<Omit<ModelSwitches, 'realShortcuts'>> & { realShortcuts?: true };
}

const RULE_KEYS = ['weights', 'activations', 'prune', 'outputScale', 'thresholdSpread'] as const;

/** Validates a policy object; errors are ConfigErrors naming the key path under `path`. */
export function parsePolicy(raw: unknown, path = 'compress'): ResolvedPolicy {
  const reader = new ConfigReader(raw, path);
  const at = (key: string) => (path ? `${path}.${key}` : key);
  let base: ResolvedPolicy | null = null;
  if (reader.has('extends')) {
    const parent = reader.string('extends');
    const preset = presetPolicy(parent);
    if (!preset) throw new ConfigError(at('extends'), `unknown preset '${parent}': choose one of ${PRESET_NAMES.join(', ')}`);
    base = parsePolicy(preset, `preset ${parent}`);
  } else {
    reader.raw('extends');
  }
  const name = reader.string('name', { default: base ? `${base.name}+custom` : 'custom' });
  const descriptionRaw = reader.raw('description');
  if (descriptionRaw !== undefined && typeof descriptionRaw !== 'string') throw new ConfigError(at('description'), 'must be a string');
  const description = descriptionRaw ?? base?.description ?? '';
  const rulesRaw = reader.raw('layers') ?? [];
  if (!Array.isArray(rulesRaw)) throw new ConfigError(at('layers'), 'must be a list of rules');
  const rules = rulesRaw.map((rule, i) => parseRule(rule, at(`layers.${i}`)));
  const modelReader = reader.child('model', { optional: true });
  const model: ResolvedPolicy['model'] = {
    entropyMaximizingPool: modelReader?.boolean('entropyMaximizingPool', { default: base?.model.entropyMaximizingPool ?? false }) ?? base?.model.entropyMaximizingPool ?? false,
    hiddenActivation:
      modelReader?.oneOf('hiddenActivation', ['keep', 'none'] as const, { default: base?.model.hiddenActivation ?? 'keep' }) ?? base?.model.hiddenActivation ?? 'keep',
  };
  // Only when on, so that policies without it keep their resolved form (and run config hashes).
  if (modelReader?.boolean('realShortcuts', { default: base?.model.realShortcuts ?? false }) ?? base?.model.realShortcuts) model.realShortcuts = true;
  modelReader?.done();
  reader.done();
  return { name, description, layers: [...(base?.layers ?? []), ...rules], model };
}

function parseRule(raw: unknown, path: string): ResolvedRule {
  const reader = new ConfigReader(raw, path);
  const matchRaw = reader.raw('match');
  const match = typeof matchRaw === 'string' ? [matchRaw] : matchRaw;
  if (!Array.isArray(match) || match.length === 0 || !match.every((m) => typeof m === 'string' && m !== '')) {
    throw new ConfigError(`${path}.match`, 'must be a layer-name pattern or a non-empty list of them (e.g. "*", "encoder*.linear", "first", "last", "pooled", "transforms")');
  }
  const rule: ResolvedRule = { match: match as string[] };
  // has() is true for an explicit null too (null = full precision)
  if (reader.has('weights')) rule.weights = parseQuantizerSpec(reader.raw('weights'), 'weights', `${path}.weights`);
  if (reader.has('activations')) rule.activations = parseQuantizerSpec(reader.raw('activations'), 'activations', `${path}.activations`);
  if (reader.raw('prune') === null) rule.prune = null;
  else if (reader.has('prune')) rule.prune = parsePrune(reader.raw('prune'), `${path}.prune`);
  if (reader.has('outputScale')) rule.outputScale = reader.oneOf('outputScale', OUTPUT_SCALE_NAMES);
  if (reader.has('thresholdSpread')) rule.thresholdSpread = reader.number('thresholdSpread', { min: 0 });
  reader.done();
  if (!RULE_KEYS.some((key) => key in rule)) {
    throw new ConfigError(path, `rule sets nothing: give at least one of ${RULE_KEYS.join(', ')}`);
  }
  return rule;
}

function parsePrune(raw: unknown, path: string): ResolvedPrune {
  const reader = new ConfigReader(raw, path);
  const method = reader.oneOf('method', PRUNING_METHODS, { default: 'magnitude' });
  const scope = reader.oneOf('scope', ['layer', 'global'] as const, { default: 'layer' });
  if (scope === 'global' && method !== 'magnitude') throw new ConfigError(`${path}.scope`, `'global' applies to magnitude pruning only, not '${method}'`);
  const sparsity = reader.number('sparsity', { min: 0, max: 0.999 });
  const schedule = parseTiming(reader.raw('schedule') ?? 'one-shot', `${path}.schedule`);
  reader.done();
  return { method, scope, sparsity, schedule };
}

function parseTiming(raw: unknown, path: string): PruningTiming {
  const reader = new ConfigReader(typeof raw === 'string' ? { kind: raw } : raw, path);
  const kind = reader.oneOf('kind', ['one-shot', 'gradual'] as const);
  const fraction = (key: string) => reader.optionalNumber(key, { min: 0, max: 1 });
  const step = (key: string) => {
    const value = reader.optionalNumber(key, { min: 0 });
    if (value !== undefined && !Number.isInteger(value)) throw new ConfigError(`${path}.${key}`, `must be an integer, got ${value}`);
    return value;
  };
  let timing: PruningTiming;
  if (kind === 'one-shot') {
    const at = fraction('at');
    const atStep = step('atStep');
    if (at !== undefined && atStep !== undefined) throw new ConfigError(`${path}.at`, 'give at (fraction of training) or atStep, not both');
    timing = { kind, ...(at !== undefined ? { at } : {}), ...(atStep !== undefined ? { atStep } : {}) };
  } else {
    const begin = fraction('begin');
    const end = fraction('end');
    const beginStep = step('beginStep');
    const endStep = step('endStep');
    if ((begin !== undefined || end !== undefined) && (beginStep !== undefined || endStep !== undefined)) {
      throw new ConfigError(`${path}.begin`, 'give begin/end (fractions of training) or beginStep/endStep, not a mix');
    }
    const usesSteps = beginStep !== undefined || endStep !== undefined;
    const first = usesSteps ? (beginStep ?? 0) : (begin ?? 0);
    const last = usesSteps ? endStep : end;
    if (last === undefined) throw new ConfigError(`${path}.${usesSteps ? 'endStep' : 'end'}`, 'is required for a gradual schedule');
    if (last < first) throw new ConfigError(`${path}.${usesSteps ? 'endStep' : 'end'}`, `must not come before the beginning (${first})`);
    timing = {
      kind,
      initialSparsity: reader.number('initialSparsity', { min: 0, max: 0.999, default: 0 }),
      ...(usesSteps ? { beginStep: first, endStep: last } : { begin: first, end: last }),
      updates: reader.integer('updates', { min: 1, default: 20 }),
    };
  }
  reader.done();
  return timing;
}

/** What one layer ended up with. */
export interface LayerAssignment {
  name: string;
  weights: Record<string, unknown>;
  activations: Record<string, unknown>;
  outputScale: OutputScaleName;
  prune: ResolvedPrune | null;
  /** Indices of the rules that matched this layer, in order. */
  rules: number[];
}

export interface PolicyReport {
  policy: string;
  layers: LayerAssignment[];
  model: {
    entropyMaximizingPool: string[];
    /** Blocks whose activation was removed (hiddenActivation: none). */
    hiddenActivationRemoved: string[];
    /** Blocks given a real-valued shortcut (realShortcuts). */
    shortcuts: string[];
  };
  /** E.g. rules that matched no layer. */
  warnings: string[];
  /** Drives pruning that happens during training (call `afterUpdate` from the Trainer); null if none. */
  pruningSchedule: PruningSchedule | null;
}

/** The model surface a policy needs (Model from src/models satisfies it). */
export interface CompressibleModel extends Module {
  readonly firstLayer: string;
  readonly lastLayer: string;
  /** Layers whose input is pooled over all points (none when absent). */
  readonly pooledLayers?: readonly string[];
  /** Every layer "first" selects (default: firstLayer alone). */
  readonly inputLayers?: readonly string[];
  /** Layers whose output is a T-Net's transform matrix (none when absent). */
  readonly transformLayers?: readonly string[];
  weightLayers(): Array<[string, QuantizedLayer]>;
}

export interface ApplyPolicyOptions {
  /** For random pruning. */
  rng?: Rng;
  /** Total optimizer steps of the run, for schedules given as fractions of training. */
  totalSteps?: number;
}

function ruleMatches(rule: ResolvedRule, name: string, model: CompressibleModel): boolean {
  return rule.match.some((pattern) => {
    if (pattern === 'first') return name === model.firstLayer || (model.inputLayers ?? []).includes(name);
    if (pattern === 'last') return name === model.lastLayer;
    if (pattern === 'pooled') return (model.pooledLayers ?? []).includes(name);
    if (pattern === 'transforms') return (model.transformLayers ?? []).includes(name);
    return globToRegExp(pattern).test(name);
  });
}

/**
 * Sets quantizers, output scales, masks and model switches as the policy says; returns what each
 * layer got. Accepts a policy as written (it is validated here) or an already resolved one.
 */
export function applyPolicy(model: CompressibleModel, policy: CompressionPolicy | ResolvedPolicy, options: ApplyPolicyOptions = {}): PolicyReport {
  const resolved = parsePolicy(policy);
  const layers = model.weightLayers();
  const warnings: string[] = [];
  resolved.layers.forEach((rule, i) => {
    // "pooled" and "transforms" may match nothing (segmentation and image models pool no input of
    // a layer; only PointNet with T-Nets has transform layers), so presets can name them for all
    const onlyOptional = rule.match.every((pattern) => pattern === 'pooled' || pattern === 'transforms');
    if (!onlyOptional && !layers.some(([name]) => ruleMatches(rule, name, model))) {
      warnings.push(`rule ${i} (match ${JSON.stringify(rule.match)}) matches no layer of this model`);
    }
  });

  const assignments: LayerAssignment[] = [];
  /** Pruning groups keyed by the rule that set the pruning spec. */
  const groups = new Map<number, PruningGroup>();
  for (const [name, layer] of layers) {
    let weights: QuantizerConfig = { name: 'fp' };
    let activations: QuantizerConfig = { name: 'fp' };
    let outputScale: OutputScaleName = 'none';
    let thresholdSpread = 0;
    let prune: ResolvedPrune | null = null;
    let pruneRule = -1;
    const matched: number[] = [];
    resolved.layers.forEach((rule, i) => {
      if (!ruleMatches(rule, name, model)) return;
      matched.push(i);
      if (rule.weights) weights = rule.weights;
      if (rule.activations) activations = rule.activations;
      if (rule.outputScale) outputScale = rule.outputScale;
      if (rule.thresholdSpread !== undefined) thresholdSpread = rule.thresholdSpread;
      if (rule.prune !== undefined) {
        prune = rule.prune;
        pruneRule = i;
      }
    });
    const shape = layer.weight.shape;
    layer.setWeightQuantizer(buildQuantizer(weights, 'weights', { channels: shape[shape.length - 1]! }));
    // weights are [..., in, out] (Linear, Conv2d): the input's last axis has `in` channels
    layer.setInputQuantizer(buildQuantizer(activations, 'activations', { channels: shape[shape.length - 2]! }));
    layer.setOutputScale(createOutputScale(outputScale, { learned: layer.outputNorm === null }));
    if (thresholdSpread > 0) {
      if (!layer.outputNorm) warnings.push(`${name}: thresholdSpread needs a BatchNorm after the layer; it has none`);
      else if (!options.rng) throw new ConfigError('compress', 'thresholdSpread needs an rng: pass { rng } to applyPolicy');
      else spreadShifts(layer.outputNorm, thresholdSpread, options.rng.fork(`thresholds:${name}`));
    }
    const spec = prune as ResolvedPrune | null;
    if (spec && spec.sparsity > 0) {
      const group = groups.get(pruneRule) ?? { layers: [], method: spec.method, scope: spec.scope, sparsity: spec.sparsity, timing: spec.schedule };
      group.layers.push([name, layer]);
      groups.set(pruneRule, group);
    }
    assignments.push({
      name,
      weights: layer.weightQuantizer.describe(),
      activations: layer.inputQuantizer.describe(),
      outputScale,
      prune: spec,
      rules: matched,
    });
  }

  // Pruning: right away for one-shot without a step, later through the schedule otherwise.
  const scheduled: PruningGroup[] = [];
  for (const group of groups.values()) {
    const immediate = group.timing.kind === 'one-shot' && group.timing.at === undefined && group.timing.atStep === undefined;
    if (immediate) {
      pruneLayers(
        group.layers.map(([, layer]) => layer),
        group.sparsity,
        { method: group.method, scope: group.scope, rng: options.rng },
      );
    } else {
      for (const [, layer] of group.layers) {
        if (!layer.mask) tf.tidy(() => layer.setMask(tf.onesLike(layer.weight.variable)));
      }
      scheduled.push(group);
    }
  }
  if (scheduled.some((group) => group.method === 'random') && !options.rng) {
    throw new ConfigError('compress', 'random pruning needs an rng: pass { rng } to applyPolicy');
  }
  const pruningSchedule = scheduled.length > 0 ? new PruningSchedule(scheduled, options.rng) : null;
  if (pruningSchedule && options.totalSteps !== undefined) pruningSchedule.setTotalSteps(options.totalSteps);

  // Data-dependent quantizer state (LSQ steps, TTQ scales) from the final (masked) weights.
  for (const [, layer] of layers) {
    const quantizer = layer.weightQuantizer;
    if (quantizer instanceof CompressQuantizer) tf.tidy(() => quantizer.initialize(layer.maskedWeight()));
  }

  const pools: string[] = [];
  const removed: string[] = [];
  const shortcuts: string[] = [];
  const misfits: string[] = [];
  for (const [path, module] of model.namedModules()) {
    if (module instanceof GlobalMaxPool) {
      module.entropyMaximizing = resolved.model.entropyMaximizingPool;
      if (resolved.model.entropyMaximizingPool) pools.push(path);
    }
    if (resolved.model.hiddenActivation === 'none' && removeActivation(module)) removed.push(path);
    if (resolved.model.realShortcuts && addShortcut(module, path, misfits)) shortcuts.push(path);
  }
  if (misfits.length > 0) warnings.push(`realShortcuts: no shortcut for ${misfits.join(', ')}: neither width divides the other`);
  if (resolved.model.entropyMaximizingPool && pools.length === 0) warnings.push('entropyMaximizingPool: the model has no GlobalMaxPool');
  if (resolved.model.realShortcuts && shortcuts.length === 0) warnings.push('realShortcuts: no Linear–BN block of the model has a quantized input');

  return {
    policy: resolved.name,
    layers: assignments,
    model: { entropyMaximizingPool: pools, hiddenActivationRemoved: removed, shortcuts },
    warnings,
    pruningSchedule,
  };
}

/** β ← uniform in ±spread, one value per channel. */
function spreadShifts(bn: BatchNorm, spread: number, rng: Rng): void {
  const shifts = Float32Array.from({ length: bn.beta.size }, () => (2 * rng.uniform() - 1) * spread);
  tf.tidy(() => bn.beta.assign(tf.tensor(shifts, bn.beta.shape)));
}

/**
 * Linear–BN–activation blocks (src/models/blocks) expose `activation` ('relu' | 'leaky_relu' |
 * 'none') and read it on every forward pass; 'none' skips the activation. Returns true if changed.
 */
function removeActivation(module: Module): boolean {
  const block = module as unknown as { activation?: unknown };
  if (block.activation !== 'relu' && block.activation !== 'leaky_relu') return false;
  block.activation = 'none';
  return true;
}

/**
 * Linear–BN–activation blocks also expose `shortcut` and their `linear`. A block whose input is
 * quantized gets the real-valued shortcut if one width divides the other; otherwise it is noted
 * in `misfits`. Returns true if set.
 */
function addShortcut(module: Module, path: string, misfits: string[]): boolean {
  const block = module as unknown as { shortcut?: unknown; linear?: QuantizedLayer & { inFeatures: number; outFeatures: number } };
  if (typeof block.shortcut !== 'boolean' || !block.linear || block.linear.inputQuantizer.kind === 'identity') return false;
  const { inFeatures, outFeatures } = block.linear;
  if (outFeatures % inFeatures !== 0 && inFeatures % outFeatures !== 0) {
    misfits.push(`${path} (${inFeatures}→${outFeatures})`);
    return false;
  }
  block.shortcut = true;
  return true;
}
