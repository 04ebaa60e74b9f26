import type { PredictionIndex } from '../../src/experiments/prediction-index.ts';
import type { ColorMode } from './colors.ts';
import { ShapeCollection, type Shape } from './shapes.ts';

export type PageStatus = 'loading' | 'ready' | 'idle';

/**
 * What the page holds between events (no DOM): the shapes and their files, the index, the shown
 * shape, the colour mode, the point size, the user's reference per shape, and whether work is
 * running (tests wait for `ready`).
 */
export class ViewerState {
  readonly shapes = new ShapeCollection();
  index: PredictionIndex | undefined;
  current: Shape | undefined;
  mode: ColorMode = 'pred';
  pointScale = 1;
  /** The reference the user picked, per shape. */
  readonly referenceChoice = new Map<string, string>();
  private running = 0;

  constructor(private readonly onStatus: (status: PageStatus) => void) {}

  get status(): PageStatus {
    return this.running > 0 ? 'loading' : this.current ? 'ready' : 'idle';
  }

  /** Runs `work` with the status `loading`. */
  async busy<T>(work: () => Promise<T>): Promise<T> {
    this.running++;
    this.onStatus(this.status);
    try {
      return await work();
    } finally {
      this.running--;
      this.onStatus(this.status);
    }
  }
}
