import * as tf from '@tensorflow/tfjs-core';

/**
 * Softmax cross-entropy from logits, with label smoothing (Szegedy et al. 2016):
 *
 *   loss = −Σₖ qₖ · log softmax(z)ₖ,   q = (1 − ε)·onehot(y) + ε/K
 *
 * averaged over every labelled position: the batch for classification ([B, K] logits, [B]
 * labels), every point of every cloud for segmentation ([B, N, K] logits, [B, N] labels).
 * `tf.logSoftmax` subtracts the row maximum before exponentiating, so large logits neither
 * overflow nor lose the gradient; its gradient is softmax − q per position.
 *
 *   const loss = softmaxCrossEntropy(logits, labels, 0.2);   // a tf.Scalar
 *
 * Labels must be integers in [0, K); a label outside gets only the ε/K share of the target
 * (tf.oneHot yields a zero row), so batching is where labels are checked.
 */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => tf.mean(softmaxCrossEntropyPerPosition(logits, labels, labelSmoothing)) as tf.Scalar);
}

/** The loss of each labelled position, shaped like `labels` ([B] or [B, N]), before averaging. */
export function softmaxCrossEntropyPerPosition(logits: tf.Tensor, labels: tf.Tensor, labelSmoothing = 0): tf.Tensor {
  checkShapes(logits, labels);
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new RangeError(`label smoothing must be in [0, 1), got ${labelSmoothing}`);
  const classes = logits.shape[logits.rank - 1]!;
  return tf.tidy(() => {
    const logProbabilities = tf.logSoftmax(tf.reshape(logits, [-1, classes]));
    const flatLabels = tf.reshape(labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32'), [-1]);
    let targets = tf.cast(tf.oneHot(flatLabels, classes), 'float32');
    if (labelSmoothing > 0) targets = tf.add(tf.mul(targets, 1 - labelSmoothing), labelSmoothing / classes);
    const perPosition = tf.neg(tf.sum(tf.mul(targets, logProbabilities), -1));
    return tf.reshape(perPosition, labels.shape);
  });
}

function checkShapes(logits: tf.Tensor, labels: tf.Tensor): void {
  const leading = logits.shape.slice(0, -1);
  if (logits.rank < 2 || labels.rank !== logits.rank - 1 || leading.some((size, axis) => labels.shape[axis] !== size)) {
    throw new RangeError(`cross-entropy needs logits [..., K] and labels [...] with the same leading shape, got [${logits.shape}] and [${labels.shape}]`);
  }
}
