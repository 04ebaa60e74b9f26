import { installBatchMatMul } from './kernels/batch-matmul.ts';
import { installBatchNormKernels } from './kernels/batch-norm.ts';
import { installConv2dBackpropFilter } from './kernels/conv2d-backprop-filter.ts';
import { installConv2dIm2col } from './kernels/conv2d-im2col.ts';
import { installKnn } from './kernels/knn.ts';
import { installLeakyReluGradient } from './kernels/leaky-relu-grad.ts';
import { installMaxGradient } from './kernels/max-grad.ts';
import { installNeighbourKernels } from './kernels/neighbours.ts';
import { installReductionKernels } from './kernels/reductions.ts';
import { installSharedIdentity } from './kernels/shared-identity.ts';
import { installSplit } from './kernels/split.ts';
import { installUnsortedSegmentSum } from './kernels/unsorted-segment-sum.ts';

/**
 * Kernel replacements and additions that make training fast (and possible) on the wasm backend,
 * registered once per backend so every model gets them without knowing. The measured profile
 * behind each one is in the file that defines it. Returns the names of the kernels installed.
 */
const installed = new Map<string, string[]>();

export function installKernelFixes(backendName: string): string[] {
  const done = installed.get(backendName);
  if (done) return done;
  const names = [
    ...installBatchMatMul(backendName),
    ...installReductionKernels(backendName),
    ...installMaxGradient(backendName),
    ...installBatchNormKernels(backendName),
    ...installUnsortedSegmentSum(backendName),
    ...installConv2dBackpropFilter(backendName),
    ...installConv2dIm2col(backendName),
    ...installKnn(backendName),
    ...installNeighbourKernels(backendName),
    ...installLeakyReluGradient(backendName),
    ...installSharedIdentity(backendName),
    ...installSplit(backendName),
  ];
  // Some kernels are replaced twice (a later fix builds on an earlier one): list each name once.
  const unique = [...new Set(names)];
  installed.set(backendName, unique);
  return unique;
}
