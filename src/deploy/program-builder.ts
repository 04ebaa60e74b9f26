/**
 * What a model writes its packed program to. Each model and block lowers itself next to its
 * `forward` (a `lower` method in src/models): it calls `dense` for its quantized layers and `push`
 * for the parameter-free ops, and its sub-blocks' `lower`. `lowerModel` (lower-models.ts) starts
 * the walk at the model and then fuses sign thresholds over the whole program, so a new block is
 * a change in one place: its own file.
 */
import type { QuantizedLayer } from '../nn/layers/quantized-layer.ts';
import { ExportError, lowerDense, signThresholds, TensorTable, type DenseOptions, type LoweredDense } from './lower-layer.ts';
import type { ActivationName, DenseOp, Op, ProgramHeader } from './program.ts';

/** What a model's `lower` returns: the buffer holding the logits, and its input when not a cloud. */
export interface ModelLowering {
  output: string;
  /** Default: points with the model's input channels. */
  input?: ProgramHeader['input'];
  /** Object categories of the one-hot `category` input (part segmentation); default 0. */
  numCategories?: number;
}

export class ProgramBuilder {
  readonly table = new TensorTable();
  readonly ops: Op[] = [];
  private readonly lowered = new Map<DenseOp, LoweredDense>();

  /** Appends the `dense` op of a quantized layer; returns its output buffer. */
  dense(name: string, layer: QuantizedLayer, options: DenseOptions): string {
    this.ops.push(this.denseOp(name, layer, options));
    return options.output;
  }

  /** The `dense` op of a layer without appending it (for ops that embed one: edge_max, conv2d). */
  denseOp(name: string, layer: QuantizedLayer, options: DenseOptions): DenseOp {
    const lowered = lowerDense(this.table, name, layer, options);
    this.lowered.set(lowered.op, lowered);
    return lowered.op;
  }

  push(op: Op): void {
    this.ops.push(op);
  }

  /** A model or block that cannot be written as program ops: the export stops with this message. */
  fail(message: string): never {
    throw new ExportError(message);
  }

  /** An activation the engine knows, by the name blocks use. */
  activation(activation: string): ActivationName {
    if (activation === 'relu' || activation === 'leaky_relu' || activation === 'none') return activation;
    return this.fail(`activation '${activation}' cannot be exported`);
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
