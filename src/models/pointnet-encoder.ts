import * as tf from '@tensorflow/tfjs-core';
import { GlobalMaxPool } from '../nn/layers/global-max-pool.ts';
import type { InitializerSpec } from '../nn/init/index.ts';
import type { Rng } from '../util/rng.ts';
import { SharedMlp } from './blocks/shared-mlp.ts';
import { orthogonalityLoss, TNet } from './blocks/tnet.ts';
import { Model } from './model.ts';
import type { ProgramBuilder } from '../deploy/program-builder.ts';

/**
 * Output widths of `encoder1` (before the feature T-Net) and `encoder2` (after it, ending in the
 * global feature). Qi et al.: [[64, 64], [64, 128, 1024]]. BiPointNet's vanilla network has
 * [[64], [128, 1024]]: two binarized layers in the encoder instead of four.
 */
export type PointNetEncoderWidths = readonly [readonly number[], readonly number[]];
export const QI_ENCODER: PointNetEncoderWidths = [[64, 64], [64, 128, 1024]];

export interface PointNetEncoderOptions {
  rng: Rng;
  /** Input channels per point: 3 (xyz) or 6 (xyz + normals). */
  inputChannels?: number;
  /** Input (3×3) and feature (C×C) transform networks; false for both gives the vanilla network. */
  inputTransform?: boolean;
  featureTransform?: boolean;
  /** Weight of the feature-transform orthogonality regularizer (0.001 in the paper). */
  regularizerWeight?: number;
  /** Widths of the shared MLPs before and after the feature T-Net; default Qi et al.'s. */
  encoder?: PointNetEncoderWidths;
  init?: InitializerSpec;
}

/** Per-point features of the encoder: after `encoder1` (and the feature T-Net), after `encoder2`. */
export interface PointFeatures {
  /** [B, N, Cᵢ] per shared-MLP layer, in order (`encoder1.0` …, `encoder2.0` …; encoder1's before the feature T-Net). */
  layers: tf.Tensor3D[];
  /** [B, N, C₁]: the local features segmentation concatenates with the global one. */
  local: tf.Tensor3D;
  /** [B, N, C₂]: what the max over points aggregates into the global feature. */
  features: tf.Tensor3D;
  /** [B, C₁, C₁] feature transform, or null without a feature T-Net. */
  featureMatrix: tf.Tensor3D | null;
}

/**
 * The encoder PointNet's classifier and its segmentation network share (Qi et al. 2017): input
 * T-Net, shared MLP `encoder1`, feature T-Net, shared MLP `encoder2`, max over points. The modules
 * keep the same names in both, so a policy or a checkpoint written for one encoder addresses the
 * other's layers. First weight layer: `inputTnet.mlp.0.linear`, or `encoder1.0.linear` without
 * T-Nets. Subclasses add their head after calling this constructor.
 */
export abstract class PointNetEncoderModel extends Model {
  readonly firstLayer: string;
  readonly inputTnet: TNet | null;
  readonly encoder1: SharedMlp;
  readonly featureTnet: TNet | null;
  readonly encoder2: SharedMlp;
  readonly pool: GlobalMaxPool;
  private readonly regularizerWeight: number;

  constructor(options: PointNetEncoderOptions) {
    super();
    const common = { rng: options.rng, init: options.init };
    const channels = options.inputChannels ?? 3;
    const [widths1, widths2] = checkedWidths(options.encoder ?? QI_ENCODER);
    this.regularizerWeight = options.regularizerWeight ?? 0.001;
    this.inputTnet = options.inputTransform ? this.addModule('inputTnet', new TNet(channels, common)) : null;
    this.encoder1 = this.addModule('encoder1', new SharedMlp([channels, ...widths1], common));
    this.featureTnet = options.featureTransform ? this.addModule('featureTnet', new TNet(this.encoder1.outFeatures, common)) : null;
    this.encoder2 = this.addModule('encoder2', new SharedMlp([this.encoder1.outFeatures, ...widths2], common));
    this.pool = this.addModule('pool', new GlobalMaxPool());
    this.firstLayer = this.inputTnet ? 'inputTnet.mlp.0.linear' : 'encoder1.0.linear';
  }

  /** With an input T-Net, `encoder1.0` reads the (transformed) coordinates as well. */
  override get inputLayers(): readonly string[] {
    return this.inputTnet ? [this.firstLayer, 'encoder1.0.linear'] : [this.firstLayer];
  }

  /** The T-Nets' last layers, whose outputs are the transform matrices. */
  override get transformLayers(): readonly string[] {
    return [...(this.inputTnet ? ['inputTnet.transform'] : []), ...(this.featureTnet ? ['featureTnet.transform'] : [])];
  }

  /** Channels of the local features (`encoder1`'s output). */
  get localChannels(): number {
    return this.encoder1.outFeatures;
  }

  /** Channels of the global feature (`encoder2`'s output, before the max). */
  get globalChannels(): number {
    return this.encoder2.outFeatures;
  }

  /** `pointFeatures` as program ops: the local features, and the pooled global feature. */
  protected lowerEncoder(b: ProgramBuilder): { local: string; global: string } {
    let x = 'points';
    if (this.inputTnet) x = this.inputTnet.lower(b, 'inputTnet', x);
    let local = this.encoder1.lower(b, 'encoder1', x);
    if (this.featureTnet) local = this.featureTnet.lower(b, 'featureTnet', local);
    const global = this.encoder2.lower(b, 'encoder2', local, { entropyMaximizing: this.pool.entropyMaximizing });
    return { local, global };
  }

  /** The encoder's per-point features of a batch of clouds [B, N, C]. */
  pointFeatures(points: tf.Tensor3D): PointFeatures {
    let x: tf.Tensor3D = points;
    if (this.inputTnet) x = this.inputTnet.forward(x).output;
    const layers1 = this.encoder1.layerOutputs(x) as tf.Tensor3D[];
    let local = layers1.at(-1)!;
    let featureMatrix: tf.Tensor3D | null = null;
    if (this.featureTnet) ({ output: local, matrix: featureMatrix } = this.featureTnet.forward(local));
    const layers2 = this.encoder2.layerOutputs(local) as tf.Tensor3D[];
    return { layers: [...layers1, ...layers2], local, features: layers2.at(-1)!, featureMatrix };
  }

  /** The weighted orthogonality regularizer of the feature transform, if there is one to add. */
  protected regularizer(featureMatrix: tf.Tensor3D | null): tf.Scalar | undefined {
    if (!featureMatrix || this.regularizerWeight <= 0) return undefined;
    return tf.mul(orthogonalityLoss(featureMatrix), this.regularizerWeight) as tf.Scalar;
  }
}

/** Widths as the constructor needs them: two non-empty lists of positive integers. */
function checkedWidths(widths: PointNetEncoderWidths): PointNetEncoderWidths {
  const valid = (list: readonly number[]) => Array.isArray(list) && list.length > 0 && list.every((w) => Number.isInteger(w) && w >= 1);
  if (!Array.isArray(widths) || widths.length !== 2 || !valid(widths[0]) || !valid(widths[1])) {
    throw new RangeError(`PointNet encoder widths must be two non-empty lists of positive integers (before and after the feature T-Net), e.g. [[64, 64], [64, 128, 1024]]; got ${JSON.stringify(widths)}`);
  }
  return widths;
}
