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
    if (this.interactive) process.stderr.write('\r\x1b[K');
    this.log(`${this.label} ${status}`);
  }
}
