import * as tf from '@tensorflow/tfjs-core';
import { GlobalMaxPool } from '../nn/layers/global-max-pool.ts';
import type { InitializerSpec } from '../nn/init/index.ts';
import type { Rng } from '../util/rng.ts';
import { DGCNN_NEGATIVE_SLOPE, EdgeConv, lowerEdgeConvs } from './blocks/edge-conv.ts';
import { oneHotCategories, SegmentationHead } from './blocks/segmentation-head.ts';
import { LinearBnAct } from './blocks/shared-mlp.ts';
import { Model, type ModelInput, type ModelOutput } from './model.ts';
import type { ModelLowering, ProgramBuilder } from '../deploy/program-builder.ts';

export interface DgcnnSegOptions {
  rng: Rng;
  /** Number of part labels (50 for ShapeNetPart). */
  numClasses: number;
  /** Object categories (16 for ShapeNetPart); 0 or undefined: no category input. */
  numCategories?: number;
  inputChannels?: number;
  /** Neighbours per point (the paper's part-segmentation model uses 40; 20 here by default). */
  k?: number;
  /** Width of the per-point layer whose max over points is the global feature (1024). */
  embeddingChannels?: number;
  /** Dropout after the head's first two layers (0.5). */
  dropout?: number;
  init?: InitializerSpec;
}

/**
 * DGCNN part segmentation (Wang et al. 2019, Fig. 3; layout of the authors' PyTorch model):
 * EdgeConv blocks with two-layer edge MLPs (64, 64), (64, 64) and one (64), each on its own k-NN
 * graph; their outputs (192 per point) → Linear+BN+LeakyReLU to 1024 → max over points; the one-hot
 * category through Linear+BN+LeakyReLU to 64 joins the global feature (1088); every point's 192
 * local channels with the 1088 global ones → 256-256-128 (BN, LeakyReLU 0.2, dropout 0.5) → parts.
 * The paper's spatial transform network is left out. As in EdgeConv, the embedding's LeakyReLU is
 * applied after the max over points (`pool`): it is increasing, so values and gradients are the same.
 *
 * First weight layer: `edgeconv1.0.linear`; last: `head.classifier`.
 */
export class DgcnnSeg extends Model {
  readonly task = 'segmentation' as const;
  readonly numClasses: number;
  readonly numCategories: number;
  readonly firstLayer = 'edgeconv1.0.linear';
  readonly lastLayer = 'head.classifier';
  readonly k: number;
  readonly edgeConvs: EdgeConv[];
  readonly embedding: LinearBnAct;
  readonly pool: GlobalMaxPool;
  readonly categoryMlp: LinearBnAct | null;
  readonly head: SegmentationHead;

  constructor(options: DgcnnSegOptions) {
    super();
    const common = { rng: options.rng, init: options.init };
    this.numClasses = options.numClasses;
    this.numCategories = options.numCategories ?? 0;
    this.k = options.k ?? 20;
    const embeddingChannels = options.embeddingChannels ?? 1024;
    const blocks = [[64, 64], [64, 64], [64]];
    let channels = options.inputChannels ?? 3;
    this.edgeConvs = blocks.map((widths, i) => {
      const block = this.addModule(`edgeconv${i + 1}`, new EdgeConv(channels, widths, { ...common, k: this.k }));
      channels = block.outChannels;
      return block;
    });
    const local = this.edgeConvs.reduce((sum, block) => sum + block.outChannels, 0);
    this.embedding = this.addModule('embedding', new LinearBnAct(local, embeddingChannels, { ...common, activation: 'leaky_relu' }));
    this.pool = this.addModule('pool', new GlobalMaxPool());
    const categoryChannels = this.numCategories > 0 ? 64 : 0;
    this.categoryMlp =
      this.numCategories > 0 ? this.addModule('categoryMlp', new LinearBnAct(this.numCategories, categoryChannels, { ...common, activation: 'leaky_relu' })) : null;
    this.head = this.addModule(
      'head',
      new SegmentationHead({
        ...common,
        pointChannels: local,
        globalChannels: embeddingChannels + categoryChannels,
        widths: [256, 256, 128],
        numParts: options.numClasses,
        activation: 'leaky_relu',
        dropout: options.dropout ?? 0.5,
      }),
    );
  }

  forward({ inputs, categories }: ModelInput): ModelOutput {
    const logits = tf.tidy(() => {
      let x = inputs as tf.Tensor3D;
      const features: tf.Tensor3D[] = [];
      for (const block of this.edgeConvs) {
        x = block.forward(x);
        features.push(x);
      }
      const local = tf.concat(features, -1) as tf.Tensor3D;
      // Linear and BN per point, then the max, then the embedding's activation (see the class comment).
      const { linear, bn } = this.embedding;
      let global = this.pool.forward(bn!.forward(linear.forward(local))) as tf.Tensor2D;
      if (this.embedding.activation === 'leaky_relu') global = tf.leakyRelu(global, DGCNN_NEGATIVE_SLOPE);
      if (this.categoryMlp) {
        const category = this.categoryMlp.forward(oneHotCategories(categories, this.numCategories, local.shape[0])) as tf.Tensor2D;
        global = tf.concat([global, category], -1);
      }
      return this.head.forward(local, global);
    });
    return { logits };
  }

  override lower(b: ProgramBuilder): ModelLowering {
    const local = lowerEdgeConvs(b, this.edgeConvs);
    // the embedding's activation runs after the max (the same values: it is increasing)
    const embedding = this.embedding;
    const global = b.dense('embedding.linear', embedding.linear, {
      input: local,
      output: 'embedding',
      batchNorm: embedding.bn,
      activation: b.activation(embedding.activation),
      slope: DGCNN_NEGATIVE_SLOPE,
      result: { kind: 'max', entropyMaximizing: this.pool.entropyMaximizing },
    });
    let perCloud = global;
    if (this.categoryMlp) {
      const category = this.categoryMlp.lower(b, 'categoryMlp', 'category');
      b.push({ op: 'concat', inputs: [global, category], output: 'global' });
      perCloud = 'global';
    }
    const localChannels = this.edgeConvs.reduce((sum, block) => sum + block.outChannels, 0);
    return { output: this.head.lower(b, local, perCloud, localChannels), numCategories: this.numCategories };
  }
}
