/**
 * Quantizers by short name, as larq registers them: a policy (or any config) says `"ste_sign"` or
 * `{ "name": "lsq", "bits": 4, "perChannel": true }` and gets the same object as `new SteSign()` or
 * `new Lsq({...})`.
 *
 *   const q = createQuantizer({ name: 'twn' }, { role: 'weights' });
 *   const a = createQuantizer('ste_sign', { role: 'activations' });
 *
 * Names: fp (also identity, null), ste_sign, approx_sign, magnitude_aware_sign (ste_sign with
 * per-channel mean|W|, XNOR-Net), twn, ttq, ternary_sparsity, dorefa, lsq. Ternary quantizers and
 * scaled signs are for weights only.
 */
import { IdentityQuantizer, type Quantizer } from '../../nn/quantizer.ts';
import { ConfigReader } from '../../util/config-reader.ts';
import { ConfigError } from '../../util/errors.ts';
import { ApproxSign, SteSign, type BinaryScaling } from './binary.ts';
import { DoReFa, Lsq, MAX_BITS, MIN_BITS, type LsqRangeName } from './kbit.ts';
import { TernarySparsity, Ttq, Twn, type TernaryGranularity } from './ternary.ts';

export type QuantizerRole = 'weights' | 'activations';

/** What a config may say: a name, an object with `name` and options, or null (full precision). */
export type QuantizerSpec = string | null | { name: string; [option: string]: unknown };

/** A validated quantizer config with every option filled in (what reports show). */
export type QuantizerConfig =
  | { name: 'fp' }
  | { name: 'ste_sign'; clipValue: number; scaling: BinaryScaling; center: boolean }
  | { name: 'approx_sign'; scaling: BinaryScaling; center: boolean }
  | { name: 'twn'; granularity: TernaryGranularity; clipValue: number }
  | { name: 'ttq'; threshold: number }
  | { name: 'ternary_sparsity'; sparsity: number; clipValue: number }
  | { name: 'dorefa'; bits: number; perChannel: boolean }
  /** `init` is left out when it is the default 'mean', so existing configs keep their hashes. */
  | { name: 'lsq'; bits: number; range: LsqRangeName; perChannel: boolean; init?: 'max' | 'mse' };

export const QUANTIZER_NAMES = [
  'fp',
  'identity',
  'ste_sign',
  'approx_sign',
  'magnitude_aware_sign',
  'twn',
  'ttq',
  'ternary_sparsity',
  'dorefa',
  'lsq',
] as const;

const WEIGHTS_ONLY = new Set(['twn', 'ttq', 'ternary_sparsity', 'magnitude_aware_sign']);
const SCALINGS: readonly BinaryScaling[] = ['none', 'layer', 'channel'];

/** Validates a quantizer spec for a role; errors name the key path under `path`. */
export function parseQuantizerSpec(spec: unknown, role: QuantizerRole, path: string): QuantizerConfig {
  if (spec === null || spec === undefined) return { name: 'fp' };
  const isObject = typeof spec === 'object' && !Array.isArray(spec);
  if (typeof spec !== 'string' && !isObject) {
    throw new ConfigError(path, `must be a quantizer name or an object with "name", got ${JSON.stringify(spec)}`);
  }
  const reader = new ConfigReader(typeof spec === 'string' ? { name: spec } : spec, path);
  const name = reader.string('name');
  if (!(QUANTIZER_NAMES as readonly string[]).includes(name)) {
    throw new ConfigError(`${path}${isObject ? '.name' : ''}`, `unknown quantizer '${name}': choose one of ${QUANTIZER_NAMES.join(', ')}`);
  }
  if (role === 'activations' && WEIGHTS_ONLY.has(name)) {
    throw new ConfigError(path, `'${name}' quantizes weights only; activations take fp, ste_sign, approx_sign, dorefa or lsq`);
  }
  const bits = () => reader.integer('bits', { min: MIN_BITS, max: MAX_BITS });
  const perChannel = () => {
    const value = reader.boolean('perChannel', { default: false });
    if (value && role === 'activations' && name !== 'lsq') throw new ConfigError(`${path}.perChannel`, `per-channel activation quantization needs learned steps (lsq); '${name}' has none`);
    return value;
  };
  const scaling = (fallback: BinaryScaling) => {
    const value = reader.oneOf('scaling', SCALINGS, { default: fallback });
    if (value !== 'none' && role === 'activations') throw new ConfigError(`${path}.scaling`, 'activations are binarized without a scale');
    return value;
  };  // BiPointNet's weight centering: sign(w − mean w); weights only
  const center = () => {
    const value = reader.boolean('center', { default: false });
    if (value && role === 'activations') throw new ConfigError(`${path}.center`, 'only weights are centred before the sign');
    return value;
  };

  let config: QuantizerConfig;
  switch (name) {
    case 'fp':
    case 'identity':
      config = { name: 'fp' };
      break;
    case 'ste_sign':
      config = { name: 'ste_sign', clipValue: reader.number('clipValue', { default: 1 }), scaling: scaling('none'), center: center() };
      if (!(config.clipValue > 0)) throw new ConfigError(`${path}.clipValue`, `must be > 0, got ${config.clipValue}`);
      break;
    case 'magnitude_aware_sign':
      config = { name: 'ste_sign', clipValue: reader.number('clipValue', { default: 1 }), scaling: scaling('channel'), center: center() };
      if (!(config.clipValue > 0)) throw new ConfigError(`${path}.clipValue`, `must be > 0, got ${config.clipValue}`);
      break;
    case 'approx_sign':
      config = { name: 'approx_sign', scaling: scaling('none'), center: center() };
      break;
    case 'twn':
      config = {
        name: 'twn',
        granularity: reader.oneOf('granularity', ['layer', 'channel'] as const, { default: 'layer' }),
        clipValue: reader.number('clipValue', { default: 1 }),
      };
      break;
    case 'ttq':
      config = { name: 'ttq', threshold: reader.number('threshold', { min: 0, max: 0.99, default: 0.05 }) };
      break;
    case 'ternary_sparsity':
      config = { name: 'ternary_sparsity', sparsity: reader.number('sparsity', { min: 0, max: 0.999 }), clipValue: reader.number('clipValue', { default: 1 }) };
      break;
    case 'dorefa':
      config = { name: 'dorefa', bits: bits(), perChannel: perChannel() };
      break;
    case 'lsq': {
      const ranges = ['signed', 'symmetric', 'unsigned', 'auto'] as const;
      config = {
        name: 'lsq',
        bits: bits(),
        range: reader.oneOf('range', ranges, { default: role === 'weights' ? 'signed' : 'auto' }),
        perChannel: perChannel(),
      };
      const init = reader.oneOf('init', ['mean', 'max', 'mse'] as const, { default: 'mean' });
      if (init !== 'mean') config.init = init;
      break;
    }
    default:
      throw new ConfigError(path, `unknown quantizer '${name}'`);
  }
  reader.done();
  return config;
}

/** Builds the quantizer a validated config describes; `channels` = output channels (weights) or input channels (activations). */
export function buildQuantizer(config: QuantizerConfig, role: QuantizerRole, options: { channels?: number } = {}): Quantizer {
  switch (config.name) {
    case 'fp':
      return new IdentityQuantizer();
    case 'ste_sign':
      return new SteSign({ clipValue: config.clipValue, scaling: config.scaling, center: config.center });
    case 'approx_sign':
      return new ApproxSign({ scaling: config.scaling, center: config.center });
    case 'twn':
      return new Twn({ granularity: config.granularity, clipValue: config.clipValue });
    case 'ttq':
      return new Ttq({ threshold: config.threshold });
    case 'ternary_sparsity':
      return new TernarySparsity({ sparsity: config.sparsity, clipValue: config.clipValue });
    case 'dorefa':
      return new DoReFa({ bits: config.bits, mode: role, perChannel: config.perChannel });
    case 'lsq':
      return new Lsq({ bits: config.bits, role, range: config.range, perChannel: config.perChannel, channels: options.channels, init: config.init ?? 'mean' });
  }
}

/** Parses and builds in one go. */
export function createQuantizer(spec: QuantizerSpec, options: { role: QuantizerRole; channels?: number; path?: string }): Quantizer {
  return buildQuantizer(parseQuantizerSpec(spec, options.role, options.path ?? 'quantizer'), options.role, options);
}
