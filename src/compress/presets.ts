/**
 * Compression presets by name, for `bitpoint train --compress NAME` and `bitpoint summary`.
 * Every preset except `fp` and the pruning ones keeps the first and the last layer at full
 * precision (weights and inputs), as BiPointNet, XNOR-Net, TWN, TTQ and LSQ do.
 *
 *   fp                  nothing changes
 *   binary              ste_sign weights (±1) and ste_sign activations; hidden ReLUs removed
 *   bipointnet          binary + LSR on every binarized layer + EMA max pooling, weights centred
 *                       before the sign (sign(w − mean w), as BiPointNet's reference code does)
 *   bipointnet-dither   bipointnet + dithered thresholds after the first layer (thresholdSpread 1.5:
 *                       the first BatchNorm's shifts start uniform in ±1.5). Without them the signs
 *                       of the first layer's outputs are planes through each cloud's centre and keep
 *                       only point directions; on synth-cls this lifted binarized vanilla PointNet
 *                       from 0.35 to 0.54 test accuracy after 7 epochs (256 points, seed 1).
 *   bipointnet-shortcut bipointnet-dither + a real-valued shortcut around every binarized block
 *                       (Bi-Real Net, ReActNet: the 1-bit products are unchanged, the block's float
 *                       input is added to its output; the packed engine adds it in float). Blocks
 *                       whose widths do not divide one another (PointNet's 3→64 after an input
 *                       T-Net) keep none, with a warning.
 *   xnor                ste_sign weights × mean|W| per output channel, ste_sign activations
 *   binary-ema, xnor-ema  the two baselines with EMA max pooling (no LSR)
 *
 * With T-Nets (model `pointnet`), `binary` and `binary-ema` give the transform layers LSR: their
 * weights start at zero so that each T-Net starts as the identity, and sign(0) = +1 would turn
 * them into all-ones matrices that add the sum of 256 signs to every entry. LSR's scale starts at
 * 0 there (std of a zero output), so the identity start survives. XNOR's mean|W| is 0 there too,
 * which keeps its T-Nets at the identity (their weights get no gradient through a zero scale).
 *
 * `binary` and `xnor` are the baselines BiPointNet improves on, and on PointNet they do not learn:
 * the max over N points of BatchNorm'd features is positive with probability 1 − 2^−N, so
 * sign(max) is +1 for every channel of every cloud, the next BatchNorm outputs 0 and no gradient
 * flows (the loss stays at ln K). That is the aggregation-induced homogenization EMA removes; use
 * `binary-ema` / `xnor-ema` for baselines that train, `bipointnet` for the full method.
 *   ternary-twn         TWN weights (Δ = 0.7·mean|W|), float activations
 *   ternary-ttq         TTQ weights (Δ = 0.05·max|W|, learned Wp, Wn), float activations
 *   ternary-sparsity-S  ternary weights with S% zeros (S = 50, 75, 90), float activations
 *   intK                LSQ, K = 8, 4, 3, 2: weights signed per output channel, activations per
 *                       layer with the range picked from the first batch ('auto': unsigned after
 *                       a ReLU). LSQ rather than DoReFa: it learns the clipping range, which
 *                       matters most at 2–4 bits, and needs no [0, 1] activation clip.
 *   intK-weights        the same weights, float activations (WK/A32: the k-bit counterpart of
 *                       TWN, which quantizes weights only), K = 8, 4, 3, 2
 *   prune-S             gradual magnitude pruning to S% (50, 80, 90, 95), layer-wise, every layer
 *                       but the first; Zhu & Gupta's cubic schedule from 10% to 60% of training
 *                       in 20 steps, float weights
 */
import type { CompressionPolicy, PolicyRule } from './policy.ts';

const FIRST_LAST_FP: PolicyRule = { match: ['first', 'last'], weights: 'fp', activations: 'fp', outputScale: 'none' };

// extra.layers: the first rule's keys go into the '*' rule, the others follow the first/last rule
const binaryPolicy = (name: string, description: string, weights: PolicyRule['weights'], extra: Partial<CompressionPolicy> = {}): CompressionPolicy => ({
  name,
  description,
  layers: [{ match: '*', weights, activations: 'ste_sign', ...(extra.layers?.[0] ?? {}) }, FIRST_LAST_FP, ...(extra.layers?.slice(1) ?? [])],
  model: { hiddenActivation: 'none', ...extra.model },
});

/** Keeps the T-Nets' identity start under unscaled binary weights (see the comment above). */
const TRANSFORMS_LSR: PolicyRule = { match: 'transforms', outputScale: 'lsr' };

const PRESETS: Record<string, () => CompressionPolicy> = {
  fp: () => ({ name: 'fp', description: 'full precision', layers: [] }),
  binary: () =>
    binaryPolicy('binary', 'binary weights and activations (sign, clipped STE), first and last layer full precision', 'ste_sign', {
      layers: [{ match: '*' }, TRANSFORMS_LSR],
    }),
  bipointnet: () =>
    binaryPolicy('bipointnet', 'BiPointNet: binary weights and activations with layer-wise scale recovery and entropy-maximizing max pooling', { name: 'ste_sign', center: true }, {
      layers: [{ match: '*', outputScale: 'lsr' }],
      model: { entropyMaximizingPool: true },
    }),
  'bipointnet-dither': () => {
    const policy = PRESETS['bipointnet']!();
    policy.name = 'bipointnet-dither';
    policy.description = 'BiPointNet with dithered sign thresholds after the first layer (its BatchNorm shifts start uniform in ±1.5)';
    policy.layers!.push({ match: 'first', thresholdSpread: 1.5 });
    return policy;
  },
  'bipointnet-shortcut': () => {
    const policy = PRESETS['bipointnet-dither']!();
    policy.name = 'bipointnet-shortcut';
    policy.description = 'BiPointNet with dithered first-layer thresholds and a real-valued shortcut around every binarized block (Bi-Real Net)';
    policy.model = { ...policy.model, realShortcuts: true };
    return policy;
  },
  xnor: () =>
    binaryPolicy('xnor', 'XNOR-Net: binary weights scaled by mean|W| per output channel, binary activations', { name: 'ste_sign', scaling: 'channel' }),
  'binary-ema': () =>
    binaryPolicy('binary-ema', 'binary weights and activations with entropy-maximizing max pooling (no LSR but on T-Net transforms)', 'ste_sign', {
      layers: [{ match: '*' }, TRANSFORMS_LSR],
      model: { entropyMaximizingPool: true },
    }),
  'xnor-ema': () =>
    binaryPolicy('xnor-ema', 'XNOR-Net weights (mean|W| per output channel), binary activations, entropy-maximizing max pooling', {
      name: 'ste_sign',
      scaling: 'channel',
    }, { model: { entropyMaximizingPool: true } }),
  'ternary-twn': () => ({
    name: 'ternary-twn',
    description: 'ternary weight networks (Δ = 0.7·mean|W|), float activations',
    layers: [{ match: '*', weights: 'twn' }, FIRST_LAST_FP],
  }),
  'ternary-ttq': () => ({
    name: 'ternary-ttq',
    description: 'trained ternary quantization (learned Wp, Wn; Δ = 0.05·max|W|), float activations',
    layers: [{ match: '*', weights: { name: 'ttq', threshold: 0.05 } }, FIRST_LAST_FP],
  }),
};

for (const percent of [50, 75, 90]) {
  PRESETS[`ternary-sparsity-${percent}`] = () => ({
    name: `ternary-sparsity-${percent}`,
    description: `ternary weights with ${percent}% zeros (threshold = quantile of |W|), float activations`,
    layers: [{ match: '*', weights: { name: 'ternary_sparsity', sparsity: percent / 100 } }, FIRST_LAST_FP],
  });
}

// The pooled input (PointNet's and DGCNN's global feature) gets its activation step initialized
// at the first batch's range instead of LSQ's 2·mean|x|/√Q_P: the per-channel maxima over the
// points lie far from zero with a small spread, and the paper's step is ~3× too coarse for them
// (4 bits: 3.5 of 16 codes used per channel, −2.4 points against fp over three seeds; with
// this rule +0.3. See experiments/int4-activation-ablation.json and `bitpoint activations`.)
for (const bits of [8, 4, 3, 2]) {
  PRESETS[`int${bits}`] = () => ({
    name: `int${bits}`,
    description: `${bits}-bit LSQ weights (per output channel) and activations (the pooled global feature's step initialized at its range), first and last layer full precision`,
    layers: [
      { match: '*', weights: { name: 'lsq', bits, perChannel: true, range: 'signed' }, activations: { name: 'lsq', bits, range: 'auto' } },
      { match: 'pooled', activations: { name: 'lsq', bits, range: 'auto', init: 'max' } },
      FIRST_LAST_FP,
    ],
  });
}

for (const bits of [8, 4, 3, 2]) {
  PRESETS[`int${bits}-weights`] = () => ({
    name: `int${bits}-weights`,
    description: `${bits}-bit LSQ weights (per output channel), float activations, first and last layer full precision`,
    layers: [{ match: '*', weights: { name: 'lsq', bits, perChannel: true, range: 'signed' } }, FIRST_LAST_FP],
  });
}

for (const percent of [50, 80, 90, 95]) {
  PRESETS[`prune-${percent}`] = () => ({
    name: `prune-${percent}`,
    description: `gradual magnitude pruning to ${percent}% (Zhu & Gupta), every layer but the first`,
    layers: [
      {
        match: '*',
        prune: {
          method: 'magnitude',
          scope: 'layer',
          sparsity: percent / 100,
          schedule: { kind: 'gradual', begin: 0.1, end: 0.6, updates: 20, initialSparsity: 0 },
        },
      },
      { match: 'first', prune: null },
    ],
  });
}

export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

/** A fresh copy of a preset policy, or undefined for an unknown name. */
export function presetPolicy(name: string): CompressionPolicy | undefined {
  return Object.hasOwn(PRESETS, name) ? PRESETS[name]!() : undefined;
}
