import type { ReplicaGroup } from '../../nn/ops/replica-group.ts';

/**
 * The all-gather behind a `ReplicaGroup`, over a SharedArrayBuffer the main thread and its workers
 * share. It is synchronous (Atomics.wait) because the callers are synchronous kernels in the middle
 * of a forward or backward pass. Each call writes this replica's vector into its slot, waits at a
 * barrier for the other replicas, and reads every slot. Slots alternate between two sets by call
 * parity: a replica can run at most one call ahead of the slowest (the barrier stops it), so it
 * never overwrites a slot another replica is still reading.
 *
 * Control words: generation (bumped each time the barrier opens), arrivals, and a failure flag
 * that a replica raises when its step throws, so the others stop waiting instead of hanging.
 */
const GENERATION = 0;
const ARRIVED = 1;
const FAILED = 2;
const CONTROL_BYTES = 64;
/** A step that stalls this long at one barrier means a replica died without raising FAILED. */
const STALL_LIMIT_MS = 10 * 60 * 1000;

export const REPLICA_FAILED = 'another data-parallel replica failed during this step';

/** The shared memory for `replicas` threads exchanging vectors of up to `slotLength` numbers. */
export function createGatherBuffer(replicas: number, slotLength: number): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES + 2 * replicas * (slotLength + 1) * 8);
}

export class SharedGather implements ReplicaGroup {
  private readonly control: Int32Array;
  private readonly slots: Float64Array;
  private readonly slotLength: number;
  private readonly replicas: number;
  private calls = 0;

  /**
   * One replica's view for one step. `parties` replicas take part (those with a non-empty shard,
   * which are the first ones); this one is `replica` and holds rows [offset, offset + rows) of `total`.
   */
  constructor(
    buffer: SharedArrayBuffer,
    replicas: number,
    private readonly replica: number,
    private readonly parties: number,
    readonly offset: number,
    readonly total: number,
  ) {
    this.control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    this.slots = new Float64Array(buffer, CONTROL_BYTES);
    this.replicas = replicas;
    this.slotLength = this.slots.length / (2 * replicas) - 1;
  }

  gather(values: Float64Array): Float64Array[] {
    if (values.length > this.slotLength) throw new Error(`replica gather of ${values.length} values exceeds the shared slot of ${this.slotLength}`);
    const set = this.calls++ % 2;
    const own = this.slotStart(set, this.replica);
    this.slots[own] = values.length;
    this.slots.set(values, own + 1);
    this.barrier();
    return Array.from({ length: this.parties }, (_, r) => {
      const start = this.slotStart(set, r);
      return this.slots.slice(start + 1, start + 1 + this.slots[start]!);
    });
  }

  /** Tells the other replicas that this one's step failed, so their gathers throw instead of waiting. */
  fail(): void {
    Atomics.store(this.control, FAILED, 1);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
  }

  private slotStart(set: number, replica: number): number {
    return (set * this.replicas + replica) * (this.slotLength + 1);
  }

  private barrier(): void {
    const generation = Atomics.load(this.control, GENERATION);
    if (Atomics.add(this.control, ARRIVED, 1) === this.parties - 1) {
      Atomics.store(this.control, ARRIVED, 0);
      Atomics.add(this.control, GENERATION, 1);
      Atomics.notify(this.control, GENERATION);
    } else {
      const started = Date.now();
      while (Atomics.load(this.control, GENERATION) === generation) {
        Atomics.wait(this.control, GENERATION, generation, 1000);
        if (Date.now() - started > STALL_LIMIT_MS) this.fail();
      }
    }
    if (Atomics.load(this.control, FAILED) === 1) throw new Error(REPLICA_FAILED);
  }
}

/** Clears a failure so the buffer can serve the next step (after every replica has stopped). */
export function resetGatherBuffer(buffer: SharedArrayBuffer): void {
  const control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
  Atomics.store(control, ARRIVED, 0);
  Atomics.store(control, FAILED, 0);
}
