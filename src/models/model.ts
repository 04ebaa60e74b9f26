import type * as tf from '@tensorflow/tfjs-core';
import { Module } from '../nn/module.ts';
import { QuantizedLayer } from '../nn/layers/quantized-layer.ts';
import type { ModelLowering, ProgramBuilder } from '../deploy/program-builder.ts';

export type Task = 'classification' | 'segmentation';

export interface ModelInput {
  /** [B, N, C] point features (xyz, optionally normals) or [B, H, W, 1] images. */
  inputs: tf.Tensor;
  /** [B] object category, for part segmentation with ShapeNetPart's one-hot category input. */
  categories?: tf.Tensor1D;
}

export interface ModelOutput {
  /** [B, K] class logits or [B, N, K] per-point part logits. */
  logits: tf.Tensor;
  /** Extra loss terms the model asks for (PointNet's feature-transform regularizer), already weighted. */
  auxiliaryLoss?: tf.Scalar;
}

/**
 * A network bitpoint can train and compress. `firstLayer` and `lastLayer` name the layers that
 * compression policies usually keep at full precision; `inputLayers` extends the first to every
 * layer that reads the raw input (with PointNet's input T-Net, `encoder1.0` reads the transformed
 * coordinates too), which policies select as "first" as well. `pooledLayers` are the layers whose
 * input is a feature pooled over all points, one vector per cloud (policies select them as
 * "pooled"); `transformLayers` output a transform matrix (PointNet's T-Nets; "transforms").
 */
export abstract class Model extends Module {
  abstract readonly task: Task;
  abstract readonly numClasses: number;
  abstract readonly firstLayer: string;
  abstract readonly lastLayer: string;
  get inputLayers(): readonly string[] {
    return [this.firstLayer];
  }
  readonly pooledLayers: readonly string[] = [];
  get transformLayers(): readonly string[] {
    return [];
  }
  abstract forward(input: ModelInput): ModelOutput;

  /**
   * Writes `forward` in evaluation mode as ops of the packed program (src/deploy), next to it so
   * that the two change together; null for a model that cannot be packed.
   */
  lower(_b: ProgramBuilder): ModelLowering | null {
    return null;
  }

  /** Channels per point of the input (xyz = 3, with normals 6); set by the registry. */
  inputChannels = 3;

  /** Shape of one example without the batch axis, e.g. for tracing MACs: [points, channels]. */
  exampleShape(points: number): number[] {
    return [points, this.inputChannels];
  }

  /** All weight layers with their hierarchical names, in definition order. */
  weightLayers(): Array<[string, QuantizedLayer]> {
    return this.namedModules().filter((entry): entry is [string, QuantizedLayer] => entry[1] instanceof QuantizedLayer);
  }
}
