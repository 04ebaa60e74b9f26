/**
 * What a packed model runs: a straight-line program over named buffers, written by the exporter
 * (`export.ts`) and interpreted by the engine (`engine/engine.ts`). The program is in the file's
 * header, so the engine needs no knowledge of architectures: any model the exporter can lower runs.
 *
 * A buffer holds one cloud's (or image's) values as rows × channels: per-point features are
 * [points, C], per-cloud features [1, C]. Three inputs exist before the first op: `points`
 * [points, inputChannels] (or `image` [28·28, 1]), and for part segmentation `category` (one row,
 * the one-hot object category).
 */

/**
 * How a weight tensor is stored (see `codes.ts` for the bit codes). The engine multiplies by weight
 * *units*; the weight's scale (binary α, ternary α, k-bit step) is folded into the op's `scale`.
 */
export type WeightEncoding =
  /** float32 values (units = values) */
  | { kind: 'float32' }
  /** 1-bit codes, units ±1 */
  | { kind: 'binary' }
  /** 2-bit codes, units +1, 0 and −negativeRatio[o] (TTQ's asymmetric scales; null: −1) */
  | { kind: 'ternary'; negativeRatio: string | null }
  /** `bits`-bit unsigned codes c, units c − zero */
  | { kind: 'uint'; bits: number; zero: number };

export interface WeightRef {
  /** Codes, in [inChannels, outChannels] order (output channels last, as tfjs stores them). */
  codes: string;
  encoding: WeightEncoding;
  /** With pruning: a bitmap of kept weights; `codes` then holds only the kept ones, in order. */
  bitmap: string | null;
}

/** How a layer sees its input: as is, as signs (binary activations), or on a uniform grid. */
export type InputQuantization =
  | { kind: 'float' }
  | { kind: 'sign' }
  /** value = step · round_half_even(clip(x / step, min, max)) */
  | { kind: 'uniform'; step: number; min: number; max: number };

export type ActivationName = 'none' | 'relu' | 'leaky_relu';

/**
 * y = act(scale[o] · Σ_c q(x)[c]·w[c, o] + shift[o] (+ addRow[o])), with the weights' and inputs'
 * scales, the output scale, the bias and an inference BatchNorm folded into scale and shift.
 * `result` says what is kept: the float rows; their signs (for a following binary-input layer:
 * BatchNorm + sign become one integer threshold per channel); or the max over rows (+ offset,
 * BiPointNet's entropy-maximizing shift δ(rows)), computed without materializing the rows.
 */
export interface DenseOp {
  op: 'dense';
  /** The model's layer name, for messages and the summary. */
  layer: string;
  input: string;
  output: string;
  inChannels: number;
  outChannels: number;
  weights: WeightRef;
  inputQuantization: InputQuantization;
  /** The float post-map y = scale·dot + shift; null where `result` is 'sign' (the thresholds replace it). */
  scale: string | null;
  shift: string | null;
  activation: ActivationName;
  slope: number;
  /** A per-cloud row [1, outChannels] added before the activation (split concatenations). */
  addRow: string | null;
  result:
    | { kind: 'float' }
    /** bit = direction·dot ≥ threshold; exact for integer dots (binary × binary layers) */
    | { kind: 'sign'; direction: string; threshold: string }
    /** entropyMaximizing: add BiPointNet's δ(rows) after the max */
    | { kind: 'max'; entropyMaximizing: boolean };
}

/** Max (+ BiPointNet's offset δ(rows) if entropyMaximizing) or mean over rows: [rows, C] → [1, C]. */
export interface PoolOp {
  op: 'max_rows' | 'mean_rows';
  input: string;
  output: string;
  entropyMaximizing: boolean;
}

/** Channel-wise concatenation of buffers with the same rows. */
export interface ConcatOp {
  op: 'concat';
  inputs: string[];
  output: string;
}

/** x [rows, k] times the k×k matrix held row-major in `matrix` [1, k·k] (PointNet's T-Net). */
export interface TransformOp {
  op: 'transform';
  input: string;
  matrix: string;
  k: number;
  output: string;
}

/** Indices of the k nearest rows of every row (DGCNN's graph in feature space). */
export interface KnnOp {
  op: 'knn';
  input: string;
  k: number;
  output: string;
}

/**
 * DGCNN's EdgeConv layer on [xᵢ, xⱼ − xᵢ] followed by the max over each point's k edges, for a
 * one-layer edge MLP with float inputs: [xᵢ, xⱼ − xᵢ]·[Wa; Wb] = xᵢ·(Wa − Wb) + xⱼ·Wb, and a
 * per-channel monotone map commutes with the max, so no edge is materialized. `dense` describes the
 * [2C, out] layer; its `input`/`output` are this op's.
 */
export interface EdgeMaxOp {
  op: 'edge_max';
  neighbours: string;
  k: number;
  dense: DenseOp;
}

/** The edge features [xᵢ, xⱼ − xᵢ] of every point's k neighbours: [points·k, 2C] (general EdgeConv). */
export interface EdgeFeaturesOp {
  op: 'edge_features';
  input: string;
  neighbours: string;
  k: number;
  output: string;
}

/** Max over each group of `group` consecutive rows: [points·k, C] → [points, C]. */
export interface GroupMaxOp {
  op: 'group_max';
  input: string;
  group: number;
  output: string;
}

/** 2-D convolution (valid, stride 1) on an image buffer [H·W, C] as an im2col dense layer. */
export interface Conv2dOp {
  op: 'conv2d';
  height: number;
  width: number;
  kernelSize: number;
  dense: DenseOp;
}

/** 2×2 max pooling, stride 2, on an image buffer [H·W, C] → [(H/2)·(W/2), C]. */
export interface MaxPool2dOp {
  op: 'max_pool2d';
  input: string;
  output: string;
  height: number;
  width: number;
}

/** Rows [rows, C] viewed as one row [1, rows·C] (row-major, as tfjs's reshape). */
export interface FlattenOp {
  op: 'flatten';
  input: string;
  output: string;
}

/**
 * Bi-Real Net's real-valued shortcut: output = input + the block's own input `source` mapped to
 * the output's channels without parameters (as `channelShortcut` in src/models/blocks): the same
 * channels; repeated (output channel j reads source channel j mod C); or the mean of the source
 * channels ≡ j (mod out). Both buffers are float and have the same rows.
 */
export interface ShortcutOp {
  op: 'shortcut';
  input: string;
  source: string;
  output: string;
}

export type Op = ShortcutOp | DenseOp | PoolOp | ConcatOp | TransformOp | KnnOp | EdgeMaxOp | EdgeFeaturesOp | GroupMaxOp | Conv2dOp | MaxPool2dOp | FlattenOp;

export interface ProgramHeader {
  /** The registry name and what the model's task is. */
  model: string;
  task: 'classification' | 'segmentation';
  numClasses: number;
  /** 'points': input [points, inputChannels]; 'image': [28, 28, 1]. */
  input: { kind: 'points'; channels: number } | { kind: 'image'; height: number; width: number; channels: number };
  /** For part segmentation with the one-hot category input. */
  numCategories: number;
  program: Op[];
  /** The buffer holding the logits: [1, classes] or [points, parts]. */
  output: string;
}
