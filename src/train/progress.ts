/**
 * A progress bar on stderr: redrawn in place on a terminal, a line every 10 % otherwise (logs).
 */
export class ProgressLine {
  private readonly interactive = Boolean(process.stderr.isTTY);
  private lastDecile = -1;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly log: (line: string) => void,
  ) {}

  update(done: number, status: string): void {
    const fraction = this.total > 0 ? done / this.total : 1;
    const width = 20;
    const filled = Math.round(fraction * width);
    const text = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${status}`;
    if (this.interactive) {
      process.stderr.write(`\r${text}\x1b[K`);
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile !== this.lastDecile) {
      this.lastDecile = decile;
      this.log(text);
    }
  }

  finish(status: string): void {
    this.clear();
    this.log(`${this.label} ${status}`);
  }

  /** Removes the bar without a closing line (a step inside a longer one, e.g. an evaluation). */
  clear(): void {
    if (this.interactive) process.stderr.write('\r\x1b[K');
  }
}

/**
 * Elapsed time and ETA of a whole run, from the epochs this process has trained (a resumed run
 * does not count the time before the interruption towards its pace).
 *
 *   const clock = new RunClock(startEpoch, config.epochs);
 *   clock.epochDone(epoch)   // "elapsed 2 min 10 s, ETA 6 min 30 s"
 */
export class RunClock {
  private readonly started = performance.now();

  constructor(
    private readonly firstEpoch: number,
    private readonly epochs: number,
  ) {}

  epochDone(epoch: number): string {
    const elapsed = (performance.now() - this.started) / 1000;
    const done = epoch + 1 - this.firstEpoch;
    const remaining = this.epochs - epoch - 1;
    const eta = remaining > 0 && done > 0 ? `, ETA ${formatDuration((elapsed / done) * remaining)}` : '';
    return `elapsed ${formatDuration(elapsed)}${eta}`;
  }
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}
