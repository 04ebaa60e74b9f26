import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm } from '../nn/layers/batch-norm.ts';
import { Conv2d } from '../nn/layers/conv2d.ts';
import { Dropout } from '../nn/layers/dropout.ts';
import { Linear } from '../nn/layers/linear.ts';
import { Module } from '../nn/module.ts';
import type { InitializerSpec } from '../nn/init/index.ts';
import type { Rng } from '../util/rng.ts';
import { LinearBnAct } from './blocks/shared-mlp.ts';
import { Model, type ModelInput, type ModelOutput } from './model.ts';
import type { ModelLowering, ProgramBuilder } from '../deploy/program-builder.ts';

/** The packed program's input: one 28×28 grey image as 784 rows of one channel. */
const IMAGE_INPUT = { kind: 'image', height: 28, width: 28, channels: 1 } as const;

/**
 * Image baselines on MNIST (inputs [B, 28, 28, 1]), a sanity check for a compression method before
 * it meets point clouds: BinaryConnect and BNN report an MLP on MNIST, TWN a LeNet-5 variant.
 */
export interface MnistOptions {
  rng: Rng;
  numClasses: number;
  /** Dropout before the class layer (0 by default). */
  dropout?: number;
  init?: InitializerSpec;
}

/** Grey-scale 28×28 images. (`inputChannels` of the registry's options, meant for points, is ignored.) */
const IMAGE_SIZE = 28;

function checkImages(inputs: tf.Tensor): tf.Tensor4D {
  const [, height, width, depth] = inputs.shape;
  if (inputs.rank !== 4 || height !== IMAGE_SIZE || width !== IMAGE_SIZE || depth !== 1) {
    throw new Error(`expected images [B, ${IMAGE_SIZE}, ${IMAGE_SIZE}, 1], got [${inputs.shape}]`);
  }
  return inputs as tf.Tensor4D;
}

/**
 * MLP 784-256-128-10 with BatchNorm and ReLU after each hidden layer. Layers `fc1.linear`
 * (first), `fc2.linear`, `classifier` (last).
 */
export class MnistMlp extends Model {
  /** Images, whatever the number of points asked for. */
  override exampleShape(): number[] {
    return [28, 28, 1];
  }

  readonly task = 'classification' as const;
  readonly numClasses: number;
  readonly firstLayer = 'fc1.linear';
  readonly lastLayer = 'classifier';
  readonly fc1: LinearBnAct;
  readonly fc2: LinearBnAct;
  readonly dropout: Dropout;
  readonly classifier: Linear;

  constructor(options: MnistOptions) {
    super();
    const common = { rng: options.rng, init: options.init };
    this.numClasses = options.numClasses;
    this.fc1 = this.addModule('fc1', new LinearBnAct(IMAGE_SIZE * IMAGE_SIZE, 256, common));
    this.fc2 = this.addModule('fc2', new LinearBnAct(256, 128, common));
    this.dropout = this.addModule('dropout', new Dropout(options.dropout ?? 0, options.rng.fork('dropout')));
    this.classifier = this.addModule('classifier', new Linear(128, options.numClasses, common));
  }

  forward({ inputs }: ModelInput): ModelOutput {
    const images = checkImages(inputs);
    const logits = tf.tidy(() => {
      const flat = tf.reshape(images, [images.shape[0], -1]);
      return this.classifier.forward(this.dropout.forward(this.fc2.forward(this.fc1.forward(flat))));
    });
    return { logits };
  }

  override lower(b: ProgramBuilder): ModelLowering {
    b.push({ op: 'flatten', input: 'image', output: 'flat' });
    const h = this.fc2.lower(b, 'fc2', this.fc1.lower(b, 'fc1', 'flat'));
    return { output: b.dense('classifier', this.classifier, { input: h, output: 'logits' }), input: { ...IMAGE_INPUT } };
  }
}

/**
 * Conv2d (no bias) → BatchNorm → ReLU (one fused kernel) → 2×2 max pool. `activation` 'none' drops
 * the ReLU (as a compression policy does before binarized activations: sign(ReLU(x)) is all +1).
 */
export class ConvBnReluPool extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;
  readonly activation: 'relu' | 'none' = 'relu';

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: { rng: Rng; init?: InitializerSpec }) {
    super();
    this.conv = this.addModule('conv', new Conv2d(inChannels, outChannels, { ...options, kernelSize, bias: false }));
    this.bn = this.addModule('bn', new BatchNorm(outChannels));
    this.conv.outputNorm = this.bn;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const y = this.bn.forward(this.conv.forward(x), { relu: this.activation === 'relu' }) as tf.Tensor4D;
      return tf.maxPool(y, 2, 2, 'valid');
    });
  }

  /** The convolution as an im2col dense op on a size×size image, then the pool; returns the pooled size. */
  lower(b: ProgramBuilder, name: string, input: string, size: number): { output: string; size: number } {
    const conv = this.conv;
    if (conv.stride !== 1 || conv.padding !== 'valid') b.fail(`${name}.conv: only stride 1, 'valid' convolutions are exported`);
    const dense = b.denseOp(`${name}.conv`, conv, { input, output: `${name}.conv`, batchNorm: this.bn, activation: b.activation(this.activation) });
    b.push({ op: 'conv2d', height: size, width: size, kernelSize: conv.kernelSize, dense });
    const convSize = size - conv.kernelSize + 1;
    b.push({ op: 'max_pool2d', input: `${name}.conv`, output: name, height: convSize, width: convSize });
    return { output: name, size: Math.floor(convSize / 2) };
  }
}

/**
 * LeNet-style CNN (the LeNet-5 variant of the TWN paper): conv 5×5 32 → BN → ReLU → max pool 2 →
 * conv 5×5 64 → BN → ReLU → max pool 2 → FC 512 with BN and ReLU → classes. Layers `conv1.conv`
 * (first), `conv2.conv`, `fc.linear`, `classifier` (last).
 */
export class MnistCnn extends Model {
  override exampleShape(): number[] {
    return [28, 28, 1];
  }

  readonly task = 'classification' as const;
  readonly numClasses: number;
  readonly firstLayer = 'conv1.conv';
  readonly lastLayer = 'classifier';
  readonly conv1: ConvBnReluPool;
  readonly conv2: ConvBnReluPool;
  readonly fc: LinearBnAct;
  readonly dropout: Dropout;
  readonly classifier: Linear;

  constructor(options: MnistOptions) {
    super();
    const common = { rng: options.rng, init: options.init };
    this.numClasses = options.numClasses;
    this.conv1 = this.addModule('conv1', new ConvBnReluPool(1, 32, 5, common));
    this.conv2 = this.addModule('conv2', new ConvBnReluPool(32, 64, 5, common));
    // 28 → conv 24 → pool 12 → conv 8 → pool 4
    this.fc = this.addModule('fc', new LinearBnAct(4 * 4 * 64, 512, common));
    this.dropout = this.addModule('dropout', new Dropout(options.dropout ?? 0, options.rng.fork('dropout')));
    this.classifier = this.addModule('classifier', new Linear(512, options.numClasses, common));
  }

  forward({ inputs }: ModelInput): ModelOutput {
    const images = checkImages(inputs);
    const logits = tf.tidy(() => {
      const features = this.conv2.forward(this.conv1.forward(images));
      const flat = tf.reshape(features, [features.shape[0], -1]);
      return this.classifier.forward(this.dropout.forward(this.fc.forward(flat)));
    });
    return { logits };
  }

  override lower(b: ProgramBuilder): ModelLowering {
    let x: { output: string; size: number } = { output: 'image', size: IMAGE_INPUT.height };
    x = this.conv1.lower(b, 'conv1', x.output, x.size);
    x = this.conv2.lower(b, 'conv2', x.output, x.size);
    b.push({ op: 'flatten', input: x.output, output: 'flat' });
    const h = this.fc.lower(b, 'fc', 'flat');
    return { output: b.dense('classifier', this.classifier, { input: h, output: 'logits' }), input: { ...IMAGE_INPUT } };
  }
}
