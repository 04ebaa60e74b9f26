/**
 * The sweep's progress bar on stderr: runs done out of the whole sweep, elapsed time and an ETA.
 * The ETA weighs each run by its cost (epochs × points, ×2 for segmentation heads), learned from
 * the runs finished in this process, so a sweep of mixed sizes is not estimated by run count.
 */
import type { PlannedRun } from './study.ts';

export function runCost(run: PlannedRun): number {
  const head = run.config.model.endsWith('-seg') ? 2 : 1;
  const graph = run.config.model.startsWith('dgcnn') ? 4 : 1;
  const points = run.config.model.startsWith('mnist') ? 256 : run.config.points;
  return run.config.epochs * Math.max(points, 64) * head * graph;
}

export class SweepProgress {
  private readonly started = performance.now();
  private measuredCost = 0;
  private measuredSeconds = 0;
  private done = 0;
  private remainingCost: number;

  constructor(
    private readonly runs: readonly PlannedRun[],
    private readonly log: (line: string) => void,
  ) {
    this.remainingCost = runs.reduce((sum, run) => sum + runCost(run), 0);
  }

  /** A run that was already in the store: counts as done, teaches nothing about speed. */
  skipped(run: PlannedRun): void {
    this.done++;
    this.remainingCost -= runCost(run);
  }

  starting(run: PlannedRun, index: number): void {
    this.log(`${this.bar()} run ${index + 1}/${this.runs.length}: ${run.name} (${run.config.model}, ${run.method.label}, seed ${run.seed}) ${this.eta()}`);
  }

  finished(run: PlannedRun, seconds: number, status: string): void {
    this.done++;
    const cost = runCost(run);
    this.remainingCost -= cost;
    if (status === 'completed') {
      this.measuredCost += cost;
      this.measuredSeconds += seconds;
    }
    this.log(`${this.bar()} ${run.name}: ${status} in ${formatSeconds(seconds)} ${this.eta()}`);
  }

  private bar(): string {
    const width = 24;
    const fraction = this.runs.length ? this.done / this.runs.length : 1;
    const filled = Math.round(fraction * width);
    return `sweep [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.runs.length} runs`;
  }

  private eta(): string {
    const elapsed = (performance.now() - this.started) / 1000;
    if (this.remainingCost <= 0) return `(elapsed ${formatSeconds(elapsed)})`;
    if (this.measuredCost === 0) return `(elapsed ${formatSeconds(elapsed)}, ETA after the first run)`;
    return `(elapsed ${formatSeconds(elapsed)}, ETA ${formatSeconds((this.remainingCost * this.measuredSeconds) / this.measuredCost)})`;
  }
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}
