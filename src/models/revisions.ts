/**
 * A model's revision is bumped when what it computes under the same run config changes, so that
 * a run's config hash changes with it and stored runs of the old computation are not reused as
 * if they were new ones (`configHash` in src/experiments/study.ts adds it when above 1).
 *
 *   2  PointNet with T-Nets: the policy selector "first" also takes `encoder1.0` (it reads the
 *      transformed coordinates), and the T-Nets pool through a GlobalMaxPool, so BiPointNet's EMA
 *      applies there (without it, binarized T-Nets computed the same matrix for every cloud).
 */
const REVISIONS: Readonly<Record<string, number>> = { pointnet: 2, 'pointnet-seg': 2 };

export function modelRevision(name: string): number {
  return REVISIONS[name] ?? 1;
}
