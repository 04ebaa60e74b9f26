/**
 * The data-parallel replica a training step runs as, when it runs as one. Data-parallel training
 * splits each batch into shards, one per thread; the few computations that mix samples (BatchNorm
 * statistics and their gradient, dropout's random stream) ask the group for the whole batch's
 * numbers, so every shard computes exactly what one process computing the whole batch would.
 * Outside a data-parallel step there is no group and everything runs as single-process code.
 */
export interface ReplicaGroup {
  /** The rows of the whole batch that come before this replica's shard. */
  readonly offset: number;
  /** Rows (samples) in the whole batch. */
  readonly total: number;
  /**
   * Every replica's `values`, in replica order: identical on every replica, so reductions over
   * it give bitwise-identical results everywhere. Every replica must call it the same number of
   * times in the same order (they run the same model), and it blocks until all have.
   */
  gather(values: Float64Array): Float64Array[];
}

let current: ReplicaGroup | null = null;

/** The group of the data-parallel step in progress on this thread, or null. */
export function currentReplicaGroup(): ReplicaGroup | null {
  return current;
}

/** Runs `fn` (one shard's forward and backward) as a member of `group`. */
export function inReplicaGroup<T>(group: ReplicaGroup, fn: () => T): T {
  const previous = current;
  current = group;
  try {
    return fn();
  } finally {
    current = previous;
  }
}
