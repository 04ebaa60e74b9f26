/**
 * Lowers each registry model to a packed program: the same computation as the model's `forward`
 * in evaluation mode (dropout off, BatchNorm on running statistics), written as program ops. A model
 * class added to the registry needs a case here before it can be exported.
 */
import type { GlobalMaxPool } from '../nn/layers/global-max-pool.ts';
import type { QuantizedLayer } from '../nn/layers/quantized-layer.ts';
import { Dgcnn } from '../models/dgcnn.ts';
import { DgcnnSeg } from '../models/dgcnn-seg.ts';
import { DGCNN_NEGATIVE_SLOPE, type EdgeConv } from '../models/blocks/edge-conv.ts';
import type { LinearBnAct, SharedMlp } from '../models/blocks/shared-mlp.ts';
import type { TNet } from '../models/blocks/tnet.ts';
import type { SegmentationHead } from '../models/blocks/segmentation-head.ts';
import { MnistCnn, MnistMlp, type ConvBnReluPool } from '../models/mnist.ts';
import type { Model } from '../models/model.ts';
import { PointNet } from '../models/pointnet.ts';
import { PointNetSeg } from '../models/pointnet-seg.ts';
import { ExportError, lowerDense, signThresholds, TensorTable, type DenseOptions, type LoweredDense } from './lower-layer.ts';
import type { ActivationName, DenseOp, Op, ProgramHeader } from './program.ts';

export interface LoweredModel {
  program: ProgramHeader;
  table: TensorTable;
}

class ProgramBuilder {
  readonly table = new TensorTable();
  readonly ops: Op[] = [];
  private readonly lowered = new Map<DenseOp, LoweredDense>();

  dense(name: string, layer: QuantizedLayer, options: DenseOptions): string {
    const lowered = lowerDense(this.table, name, layer, options);
    this.lowered.set(lowered.op, lowered);
    this.ops.push(lowered.op);
    return options.output;
  }

  /** Linear → BatchNorm → activation, as `LinearBnAct` computes it. */
  block(name: string, block: LinearBnAct, input: string, result?: DenseOp['result']): string {
    const activation = activationOf(block.activation);
    const options = { batchNorm: block.bn, activation, slope: DGCNN_NEGATIVE_SLOPE };
    if (!block.shortcut) return this.dense(`${name}.linear`, block.linear, { ...options, input, output: name, result });
    // The sum is taken before any max over rows, so the max cannot be fused into the layer.
    const body = this.dense(`${name}.linear`, block.linear, { ...options, input, output: `${name}.body` });
    const sum = result?.kind === 'max' ? `${name}.sum` : name;
    this.ops.push({ op: 'shortcut', input: body, source: input, output: sum });
    if (result?.kind === 'max') this.ops.push({ op: 'max_rows', input: sum, output: name, entropyMaximizing: result.entropyMaximizing });
    return name;
  }

  /** A shared MLP; with `pool`, the last layer's output is max-pooled over rows. */
  sharedMlp(name: string, mlp: SharedMlp, input: string, pool?: { entropyMaximizing: boolean }): string {
    let x = input;
    mlp.layers.forEach((layer, i) => {
      const last = i === mlp.layers.length - 1;
      x = this.block(`${name}.${i}`, layer, x, last && pool ? { kind: 'max', entropyMaximizing: pool.entropyMaximizing } : undefined);
    });
    return x;
  }

  push(op: Op): void {
    this.ops.push(op);
  }

  /**
   * Turns a float result into signs where its only reader binarizes it and the dot is an integer:
   * BatchNorm + sign become the integer threshold the engine compares the popcount dot against.
   */
  fuseSigns(): void {
    const readers = new Map<string, Op[]>();
    const note = (buffer: string, op: Op) => readers.set(buffer, [...(readers.get(buffer) ?? []), op]);
    for (const op of this.ops) {
      for (const buffer of inputsOf(op)) note(buffer, op);
    }
    for (const [op, lowered] of this.lowered) {
      if (op.result.kind !== 'float' || !lowered.integerDot || op.addRow) continue;
      const users = readers.get(op.output) ?? [];
      // every reader binarizes it and multiplies by bits (an XNOR layer)
      const onlySign =
        users.length > 0 &&
        users.every((user) => user.op === 'dense' && user.input === op.output && user.addRow !== op.output && user.inputQuantization.kind === 'sign' && this.lowered.get(user)?.integerDot === true);
      if (!onlySign) continue;
      const { direction, threshold } = signThresholds(lowered.recipe, op.inChannels, op.activation);
      op.result = { kind: 'sign', direction: this.table.int32(`${op.layer}.signDirection`, direction), threshold: this.table.int32(`${op.layer}.signThreshold`, threshold) };
      // the thresholds replace the float post-map, so its tables would be dead bytes in the file
      this.table.remove(op.scale!);
      this.table.remove(op.shift!);
      op.scale = null;
      op.shift = null;
    }
  }
}

function inputsOf(op: Op): string[] {
  switch (op.op) {
    case 'dense':
      return op.addRow ? [op.input, op.addRow] : [op.input];
    case 'concat':
      return op.inputs;
    case 'transform':
      return [op.input, op.matrix];
    case 'edge_max':
      return [op.dense.input, op.neighbours];
    case 'edge_features':
      return [op.input, op.neighbours];
    case 'conv2d':
      return [op.dense.input];
    case 'shortcut':
      return [op.input, op.source];
    default:
      return [op.input];
  }
}

function activationOf(activation: string): ActivationName {
  if (activation === 'relu' || activation === 'leaky_relu' || activation === 'none') return activation;
  throw new ExportError(`activation '${activation}' cannot be exported`);
}

/** TNet: shared MLP, max over points, FC, FC, the k×k matrix; then x·matrix. */
function lowerTnet(b: ProgramBuilder, name: string, tnet: TNet, input: string): string {
  const pooled = b.sharedMlp(`${name}.mlp`, tnet.mlp, input, { entropyMaximizing: tnet.pool.entropyMaximizing });
  const features = b.block(`${name}.fc2`, tnet.fc2, b.block(`${name}.fc1`, tnet.fc1, pooled));
  const matrix = b.dense(`${name}.transform`, tnet.transform, { input: features, output: `${name}.matrix` });
  b.push({ op: 'transform', input, matrix, k: tnet.k, output: `${name}.output` });
  return `${name}.output`;
}

/** PointNet's encoder up to the pooled global feature; returns the local 64-channel features too. */
function lowerPointNetEncoder(b: ProgramBuilder, model: PointNet | PointNetSeg): { local: string; global: string } {
  let x = 'points';
  if (model.inputTnet) x = lowerTnet(b, 'inputTnet', model.inputTnet, x);
  let local = b.sharedMlp('encoder1', model.encoder1, x);
  if (model.featureTnet) local = lowerTnet(b, 'featureTnet', model.featureTnet, local);
  const global = b.sharedMlp('encoder2', model.encoder2, local, { entropyMaximizing: poolEma(model.pool) });
  return { local, global };
}

/** `poolFrom: 'all'`: the max of every shared-MLP layer's output (the last one's is `last`), concatenated in layer order. */
function lowerEveryLayerPool(b: ProgramBuilder, model: PointNet, last: string): string {
  const names = [...model.encoder1.layers.map((_, i) => `encoder1.${i}`), ...model.encoder2.layers.map((_, i) => `encoder2.${i}`)];
  const pooled = names.slice(0, -1).map((name) => {
    b.push({ op: 'max_rows', input: name, output: `${name}.max`, entropyMaximizing: poolEma(model.pool) });
    return `${name}.max`;
  });
  b.push({ op: 'concat', inputs: [...pooled, last], output: 'pooled' });
  return 'pooled';
}

function poolEma(pool: GlobalMaxPool): boolean {
  return pool.entropyMaximizing;
}

/** The segmentation head: its first layer split into a per-point and a per-cloud product. */
function lowerSegmentationHead(b: ProgramBuilder, head: SegmentationHead, local: string, global: string, localChannels: number): string {
  const first = head.first;
  const activation = activationOf(first.activation);
  const globalPart = b.dense('head.0.linear', first.linear, {
    input: global,
    output: 'head.0.global',
    batchNorm: first.bn,
    rows: [localChannels, first.linear.inFeatures],
    part: 'global',
    withoutShift: true,
  });
  let x = b.dense('head.0.linear', first.linear, {
    input: local,
    output: 'head.0',
    batchNorm: first.bn,
    activation,
    slope: DGCNN_NEGATIVE_SLOPE,
    rows: [0, localChannels],
    part: 'local',
    addRow: globalPart,
  });
  head.layers.forEach((layer, i) => {
    x = b.block(`head.${i + 1}`, layer, x);
  });
  return b.dense('head.classifier', head.classifier, { input: x, output: 'logits' });
}

/** An EdgeConv block: kNN in the input's feature space, the edge MLP, max over each point's edges. */
function lowerEdgeConv(b: ProgramBuilder, name: string, block: EdgeConv, input: string): string {
  const neighbours = `${name}.neighbours`;
  b.push({ op: 'knn', input, k: block.k, output: neighbours });
  const activation = activationOf(block.activation);
  const edge = block.edgeLayer;
  if (block.layers.some((layer) => layer.shortcut)) {
    throw new ExportError(`${name}: real-valued shortcuts inside an EdgeConv block (the policy's realShortcuts) are not in the packed format`);
  }
  const floatInput = edge.linear.inputQuantizer.kind === 'identity';
  if (block.layers.length === 0 && floatInput && !edge.linear.mask) {
    const before = b.ops.length;
    b.dense(`${name}.0.linear`, edge.linear, { input, output: name, batchNorm: edge.bn, activation, slope: DGCNN_NEGATIVE_SLOPE });
    const dense = b.ops.splice(before, 1)[0] as DenseOp;
    b.push({ op: 'edge_max', neighbours, k: block.k, dense });
    return name;
  }
  b.push({ op: 'edge_features', input, neighbours, k: block.k, output: `${name}.edges` });
  let x = b.dense(`${name}.0.linear`, edge.linear, { input: `${name}.edges`, output: `${name}.0`, batchNorm: edge.bn, activation, slope: DGCNN_NEGATIVE_SLOPE });
  block.layers.forEach((layer, i) => {
    x = b.dense(`${name}.${i + 1}.linear`, layer.linear, { input: x, output: `${name}.${i + 1}`, batchNorm: layer.bn, activation, slope: DGCNN_NEGATIVE_SLOPE });
  });
  b.push({ op: 'group_max', input: x, group: block.k, output: name });
  return name;
}

function lowerDgcnnFeatures(b: ProgramBuilder, model: Dgcnn | DgcnnSeg): string {
  let x = 'points';
  const features: string[] = [];
  model.edgeConvs.forEach((block, i) => {
    x = lowerEdgeConv(b, `edgeconv${i + 1}`, block, x);
    features.push(x);
  });
  b.push({ op: 'concat', inputs: features, output: 'local' });
  return 'local';
}

function lowerConvBlock(b: ProgramBuilder, name: string, block: ConvBnReluPool, input: string, size: number): { output: string; size: number } {
  const conv = block.conv;
  if (conv.stride !== 1 || conv.padding !== 'valid') throw new ExportError(`${name}.conv: only stride 1, 'valid' convolutions are exported`);
  const before = b.ops.length;
  b.dense(`${name}.conv`, conv, { input, output: `${name}.conv`, batchNorm: block.bn, activation: activationOf(block.activation) });
  const dense = b.ops.splice(before, 1)[0] as DenseOp;
  b.push({ op: 'conv2d', height: size, width: size, kernelSize: conv.kernelSize, dense });
  const convSize = size - conv.kernelSize + 1;
  b.push({ op: 'max_pool2d', input: `${name}.conv`, output: name, height: convSize, width: convSize });
  return { output: name, size: Math.floor(convSize / 2) };
}

/** The packed program of a model (its weights as they are now, in evaluation mode). */
export function lowerModel(model: Model, modelName: string): LoweredModel {
  const b = new ProgramBuilder();
  let input: ProgramHeader['input'] = { kind: 'points', channels: model.inputChannels };
  let numCategories = 0;
  let output: string;
  if (model instanceof PointNet) {
    let { global } = lowerPointNetEncoder(b, model);
    if (model.poolFrom === 'all') global = lowerEveryLayerPool(b, model, global);
    const h = b.block('head.fc2', model.fc2, b.block('head.fc1', model.fc1, global));
    output = b.dense('head.classifier', model.classifier, { input: h, output: 'logits' });
  } else if (model instanceof PointNetSeg) {
    const { local, global } = lowerPointNetEncoder(b, model);
    numCategories = model.numCategories;
    let perCloud = global;
    if (numCategories > 0) {
      b.push({ op: 'concat', inputs: [global, 'category'], output: 'global' });
      perCloud = 'global';
    }
    output = lowerSegmentationHead(b, model.head, local, perCloud, model.encoder1.outFeatures);
  } else if (model instanceof Dgcnn) {
    const local = lowerDgcnnFeatures(b, model);
    const embedded = b.block('embedding', model.embedding, local);
    b.push({ op: 'max_rows', input: embedded, output: 'pooled.max', entropyMaximizing: model.pool.entropyMaximizing });
    b.push({ op: 'mean_rows', input: embedded, output: 'pooled.mean', entropyMaximizing: false });
    b.push({ op: 'concat', inputs: ['pooled.max', 'pooled.mean'], output: 'pooled' });
    const h = b.block('head.fc2', model.head.fc2, b.block('head.fc1', model.head.fc1, 'pooled'));
    output = b.dense('head.classifier', model.head.classifier, { input: h, output: 'logits' });
  } else if (model instanceof DgcnnSeg) {
    const local = lowerDgcnnFeatures(b, model);
    numCategories = model.numCategories;
    // the embedding's activation runs after the max (the same values: it is increasing)
    const embedding = model.embedding;
    const global = b.dense('embedding.linear', embedding.linear, {
      input: local,
      output: 'embedding',
      batchNorm: embedding.bn,
      activation: activationOf(embedding.activation),
      slope: DGCNN_NEGATIVE_SLOPE,
      result: { kind: 'max', entropyMaximizing: model.pool.entropyMaximizing },
    });
    let perCloud = global;
    if (model.categoryMlp) {
      const category = b.block('categoryMlp', model.categoryMlp, 'category');
      b.push({ op: 'concat', inputs: [global, category], output: 'global' });
      perCloud = 'global';
    }
    output = lowerSegmentationHead(b, model.head, local, perCloud, 192);
  } else if (model instanceof MnistMlp) {
    input = { kind: 'image', height: 28, width: 28, channels: 1 };
    b.push({ op: 'flatten', input: 'image', output: 'flat' });
    const h = b.block('fc2', model.fc2, b.block('fc1', model.fc1, 'flat'));
    output = b.dense('classifier', model.classifier, { input: h, output: 'logits' });
  } else if (model instanceof MnistCnn) {
    input = { kind: 'image', height: 28, width: 28, channels: 1 };
    let x = { output: 'image', size: 28 };
    x = lowerConvBlock(b, 'conv1', model.conv1, x.output, x.size);
    x = lowerConvBlock(b, 'conv2', model.conv2, x.output, x.size);
    b.push({ op: 'flatten', input: x.output, output: 'flat' });
    const h = b.block('fc', model.fc, 'flat');
    output = b.dense('classifier', model.classifier, { input: h, output: 'logits' });
  } else {
    throw new ExportError(`model '${modelName}' (${model.constructor.name}) has no packed lowering`);
  }
  b.fuseSigns();
  return {
    program: { model: modelName, task: model.task, numClasses: model.numClasses, input, numCategories, program: b.ops, output },
    table: b.table,
  };
}
