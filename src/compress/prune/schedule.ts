/**
 * Gradual pruning (Zhu & Gupta 2017): the sparsity rises from s_i to s_f over n pruning steps
 * spaced Δt apart, starting at step t₀, fast at first and slowly at the end:
 *
 *   s_t = s_f + (s_i − s_f) · (1 − (t − t₀)/(n·Δt))³   for t = t₀, t₀ + Δt, …, t₀ + n·Δt
 *
 * Between pruning steps the sparsity stays at the last value; before t₀ nothing is pruned; after
 * t₀ + n·Δt it is s_f. A one-shot schedule is the degenerate case: s_f from step t₀ on.
 *
 *   const schedule = new PruningSchedule([{ layers, method: 'magnitude', sparsity: 0.9,
 *                                           timing: { kind: 'gradual', begin: 0.1, end: 0.6, updates: 20 } }]);
 *   schedule.setTotalSteps(epochs * stepsPerEpoch);        // when `begin`/`end` are fractions of training
 *   new Trainer(model, { …, afterUpdate: (step) => schedule.afterUpdate(step) });
 *
 * `afterUpdate(step)` is idempotent and only grows masks, so calling it after a resume (with masks
 * restored from the checkpoint) continues exactly where the schedule was.
 */
import type { QuantizedLayer } from '../../nn/layers/quantized-layer.ts';
import type { Rng } from '../../util/rng.ts';
import { ConfigError } from '../../util/errors.ts';
import { pruneLayers, type PruningMethod } from './masks.ts';

/** When pruning happens. Steps count optimizer updates (the Trainer's `step`, from 1). */
export type PruningTiming =
  | {
      kind: 'one-shot';
      /** Prune at this step (absolute) or at this fraction of training; neither: right away. */
      atStep?: number;
      at?: number;
    }
  | {
      kind: 'gradual';
      /** s_i, the sparsity at t₀ (default 0). */
      initialSparsity: number;
      /** t₀ and t₀ + n·Δt as steps, or as fractions of the total steps. */
      beginStep?: number;
      endStep?: number;
      begin?: number;
      end?: number;
      /** n, the number of pruning steps. */
      updates: number;
    };

export interface PruningGroup {
  /** Layers pruned together (one group per policy rule; 'global' scope shares one threshold). */
  layers: Array<[string, QuantizedLayer]>;
  method: PruningMethod;
  scope: 'layer' | 'global';
  /** s_f, the final sparsity. */
  sparsity: number;
  timing: PruningTiming;
}

/** Zhu & Gupta's sparsity at `step` (see the module comment); steps are resolved integers. */
export function cubicSparsity(
  step: number,
  schedule: { initialSparsity: number; finalSparsity: number; beginStep: number; endStep: number; updates: number },
): number {
  const { initialSparsity, finalSparsity, beginStep, endStep, updates } = schedule;
  if (step < beginStep) return 0;
  if (endStep <= beginStep || updates <= 0 || step >= endStep) return finalSparsity;
  const interval = (endStep - beginStep) / updates;
  const done = Math.min(updates, Math.floor((step - beginStep) / interval + 1e-9));
  return finalSparsity + (initialSparsity - finalSparsity) * (1 - done / updates) ** 3;
}

export class PruningSchedule {
  private totalSteps: number | null = null;
  private readonly applied: number[];

  constructor(
    readonly groups: PruningGroup[],
    private readonly rng?: Rng,
  ) {
    this.applied = groups.map(() => -1);
  }

  /** Needed when a timing is given in fractions of training. */
  setTotalSteps(steps: number): this {
    if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`total steps must be an integer ≥ 1, got ${steps}`);
    this.totalSteps = steps;
    return this;
  }

  private resolve(fraction: number | undefined, step: number | undefined, fallback: number, what: string): number {
    if (step !== undefined) return step;
    if (fraction === undefined) return fallback;
    if (this.totalSteps === null) {
      throw new ConfigError('compress', `the pruning ${what} is a fraction of training: call setTotalSteps(epochs × steps per epoch) on the schedule first`);
    }
    return Math.round(fraction * this.totalSteps);
  }

  /** Target sparsity of a group after `step` updates. */
  sparsityAt(group: PruningGroup, step: number): number {
    const timing = group.timing;
    if (timing.kind === 'one-shot') {
      const at = this.resolve(timing.at, timing.atStep, 0, 'step');
      return step >= at ? group.sparsity : 0;
    }
    const beginStep = this.resolve(timing.begin, timing.beginStep, 0, 'begin');
    const endStep = this.resolve(timing.end, timing.endStep, beginStep, 'end');
    return cubicSparsity(step, { initialSparsity: timing.initialSparsity, finalSparsity: group.sparsity, beginStep, endStep, updates: timing.updates });
  }

  /** Prunes every group to its target for `step`; returns true if any mask was recomputed. */
  afterUpdate(step: number): boolean {
    let changed = false;
    this.groups.forEach((group, i) => {
      const target = this.sparsityAt(group, step);
      if (target <= 0 || target === this.applied[i]) return;
      pruneLayers(
        group.layers.map(([, layer]) => layer),
        target,
        { method: group.method, scope: group.scope, rng: this.rng },
      );
      this.applied[i] = target;
      changed = true;
    });
    return changed;
  }

  toJSON(): Record<string, unknown> {
    return {
      totalSteps: this.totalSteps,
      groups: this.groups.map((group) => ({
        layers: group.layers.map(([name]) => name),
        method: group.method,
        scope: group.scope,
        sparsity: group.sparsity,
        timing: group.timing,
      })),
    };
  }
}
