/**
 * The tiny models whose exported bytes `export-golden.test.ts` pins: every registry model kind,
 * under full precision and the compression presets and quantizer kinds the export knows, including
 * the paths with their own lowering (T-Nets, split segmentation heads, real shortcuts, poolFrom
 * 'all', fused EdgeConv, pruning bitmaps, sign thresholds, TTQ's asymmetric scales).
 */
const everywhere = (weights: unknown, activations: unknown = 'fp') => ({ name: 'all', layers: [{ match: '*', weights, activations }] });
const encoder = [[8], [16, 24]];

export interface GoldenCase {
  label: string;
  model: string;
  policy: unknown;
  seed: number;
  options: Record<string, unknown>;
}

const c = (label: string, model: string, policy: unknown, options: Record<string, unknown> = {}, seed = 1): GoldenCase => ({ label, model, policy, seed, options });

export const GOLDEN_CASES: GoldenCase[] = [
  ...['fp', 'bipointnet', 'xnor', 'ternary-twn', 'ternary-ttq', 'int4', 'int2', 'prune-90', 'bipointnet-shortcut'].map((policy) => c(`pointnet-vanilla ${policy}`, 'pointnet-vanilla', policy, { encoder })),
  c('pointnet-vanilla bipointnet-dither poolFrom all', 'pointnet-vanilla', 'bipointnet-dither', { encoder, poolFrom: 'all' }, 4),
  c('pointnet fp', 'pointnet', 'fp', { encoder }),
  c('pointnet bipointnet', 'pointnet', 'bipointnet', { encoder }),
  c('pointnet fp poolFrom all', 'pointnet', 'fp', { encoder, poolFrom: 'all' }, 4),
  c('pointnet-seg fp', 'pointnet-seg', 'fp', { encoder, numCategories: 2 }),
  c('pointnet-seg bipointnet', 'pointnet-seg', 'bipointnet', { encoder, numCategories: 2 }),
  c('pointnet-seg bipointnet-shortcut', 'pointnet-seg', 'bipointnet-shortcut', { numCategories: 2 }, 6),
  c('pointnet-seg-vanilla int4', 'pointnet-seg-vanilla', 'int4', { encoder }),
  c('dgcnn fp', 'dgcnn', 'fp', { k: 4, embeddingChannels: 32 }),
  c('dgcnn bipointnet', 'dgcnn', 'bipointnet', { k: 4, embeddingChannels: 32 }),
  c('dgcnn bipointnet-shortcut', 'dgcnn', 'bipointnet-shortcut', { k: 4, embeddingChannels: 32 }, 6),
  c('dgcnn ternary-twn', 'dgcnn', 'ternary-twn', { k: 4, embeddingChannels: 32 }),
  c('dgcnn-seg fp', 'dgcnn-seg', 'fp', { k: 4, numCategories: 2, embeddingChannels: 32 }),
  c('dgcnn-seg bipointnet', 'dgcnn-seg', 'bipointnet', { k: 4, numCategories: 2, embeddingChannels: 32 }),
  c('mnist-mlp ste_sign', 'mnist-mlp', everywhere('ste_sign', 'ste_sign'), {}, 4),
  c('mnist-mlp approx_sign per channel', 'mnist-mlp', everywhere({ name: 'approx_sign', scaling: 'channel' }, 'approx_sign'), {}, 4),
  c('mnist-mlp binary weights float inputs', 'mnist-mlp', everywhere('ste_sign'), {}, 4),
  c('mnist-mlp ternary_sparsity', 'mnist-mlp', everywhere({ name: 'ternary_sparsity', sparsity: 0.75 }), {}, 4),
  c('mnist-mlp twn per channel', 'mnist-mlp', everywhere({ name: 'twn', granularity: 'channel' }), {}, 4),
  c('mnist-mlp dorefa 3', 'mnist-mlp', everywhere({ name: 'dorefa', bits: 3 }, { name: 'dorefa', bits: 3 }), {}, 4),
  c('mnist-mlp lsq 5 per channel', 'mnist-mlp', everywhere({ name: 'lsq', bits: 5, perChannel: true }, { name: 'lsq', bits: 5 }), {}, 4),
  c('mnist-mlp magnitude pruning binary', 'mnist-mlp', { name: 'p', layers: [{ match: '*', weights: 'ste_sign', activations: 'ste_sign', prune: { method: 'magnitude', sparsity: 0.7 } }] }, {}, 4),
  c('mnist-cnn fp', 'mnist-cnn', 'fp'),
  c('mnist-cnn bipointnet', 'mnist-cnn', 'bipointnet'),
  c('mnist-cnn int4', 'mnist-cnn', 'int4'),
];
