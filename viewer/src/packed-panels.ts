import type { ManifestFile, ShapeInfo } from './catalog.ts';
import { errorText, h } from './dom.ts';
import { formatBytes } from './format.ts';
import { guessCategory, loadPackedModel, runPackedModel, type PackedModel, type PackedRun } from './packed-model.ts';
import type { PredictionFile, Task } from './predictions.ts';

/**
 * The page's packed models: `.bitpoint` files the server offers (listed in the sidebar) or the user
 * opens. Every loaded model adds a panel to the shown shape, predicted live by the engine on that
 * shape's cloud; the prediction is handed to the page as one more prediction file, so colours,
 * scores, errors and "vs reference" work as for the PLY files.
 *
 * `window.__bitpoint.packed` holds the latest prediction per (shape, model), for tests and the
 * console.
 */

/** One packed model's panel on a shape: its predictions, or why there are none. */
export interface PackedPanel {
  /** The panel's model key: the file name, e.g. `chair-binary.bitpoint`. */
  key: string;
  model: PackedModel;
  file?: PredictionFile;
  run?: PackedRun;
  /** The category was not known and the first one is assumed. */
  categoryGuessed?: boolean;
  error?: string;
}

interface HookRun {
  shape: string;
  model: string;
  task: string;
  kernels: string;
  ms: number;
  category?: number;
  pred: Int32Array;
  probabilities?: Float32Array;
}

declare global {
  interface Window {
    __bitpoint?: { packed: Record<string, HookRun> };
  }
}

export function isPackedFileName(name: string): boolean {
  return /\.bitpoint$/i.test(name);
}

export class PackedModels {
  private offered: ManifestFile[] = [];
  private readonly loaded = new Map<string, PackedModel>();
  private readonly loading = new Set<string>();
  /** Runs by shape, model and category: recolouring or resizing must not run the model again. */
  private readonly runs = new Map<string, PackedRun | string>();
  private readonly categoryChoice = new Map<string, number>();

  constructor(
    private readonly options: {
      list: HTMLUListElement;
      /** Where the offered files are fetched from (`predictions/`). */
      base: URL;
      /** The loaded models changed: redraw the shape. */
      onChange: () => Promise<void> | void;
      onError: (text: string, file: string) => void;
    },
  ) {
    window.__bitpoint = { packed: {} };
    this.renderList();
  }

  get size(): number {
    return this.loaded.size;
  }

  /** The server's `.bitpoint` files. */
  offer(files: readonly ManifestFile[]): void {
    this.offered = [...files];
    this.renderList();
  }

  /** Files opened or dropped by the user. */
  async open(files: readonly File[]): Promise<void> {
    for (const file of files) await this.load(file.name, async () => new Uint8Array(await file.arrayBuffer()));
    await this.options.onChange();
  }

  private async load(name: string, read: () => Promise<Uint8Array>): Promise<void> {
    if (this.loading.has(name)) return;
    this.loading.add(name);
    this.renderList();
    try {
      const model = await loadPackedModel(await read(), name);
      this.loaded.set(name, model);
      for (const key of this.runs.keys()) if (key.split('\n')[1] === name) this.runs.delete(key);
    } catch (error) {
      const text = errorText(error);
      this.options.onError(`Could not load ${text.includes(name) ? text : `${name}: ${text}`}`, name);
    } finally {
      this.loading.delete(name);
      this.renderList();
    }
  }

  /** Loads an offered model, or unloads a loaded one (a click in the list). */
  private async toggle(name: string): Promise<void> {
    if (this.loaded.delete(name)) return void (await this.options.onChange());
    await this.load(name, async () => {
      const url = new URL(name.split('/').map(encodeURIComponent).join('/'), this.options.base);
      const response = await fetch(url);
      if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText}`.trim());
      return new Uint8Array(await response.arrayBuffer());
    });
    await this.options.onChange();
  }

  private renderList(): void {
    const names = [...new Set([...this.offered.map((file) => file.name), ...this.loaded.keys(), ...this.loading])];
    const items = names.map((name) => {
      const size = this.loaded.get(name)?.sizeBytes ?? this.offered.find((file) => file.name === name)?.size_bytes;
      const state = this.loading.has(name) ? 'loading' : this.loaded.has(name) ? 'loaded' : 'offered';
      const button = h(
        'button',
        { type: 'button', title: state === 'loaded' ? `${name}: shown; click to remove` : `Run ${name} on the shown cloud` },
        h('span', { class: 'shape-name' }, `${state === 'loaded' ? '✓ ' : ''}${name}`),
        h('span', { class: 'shape-count' }, state === 'loading' ? 'loading…' : size !== undefined ? formatBytes(size) : ''),
      );
      button.addEventListener('click', () => void this.toggle(name));
      return h('li', { class: state === 'loaded' ? 'current' : '', 'data-packed-model': name, 'data-state': state }, button);
    });
    if (items.length === 0) items.push(h('li', { class: 'muted hint' }, 'None yet: open or drop a .bitpoint file (bitpoint export).'));
    this.options.list.replaceChildren(...items);
  }

  /**
   * A panel per loaded model for the shape whose cloud is `base` (its first file): the engine runs
   * on the first request for a (shape, model, category) and is remembered.
   */
  panelsFor(shapeKey: string, base: PredictionFile, info: ShapeInfo | undefined, task: Task): PackedPanel[] {
    return [...this.loaded.entries()].map(([key, model]) => {
      const panel: PackedPanel = { key, model };
      if (task !== 'unknown' && task !== model.task) {
        panel.error = `${key}: a ${model.task} model (${model.architecture}); this shape is ${task}`;
        return panel;
      }
      const choiceKey = `${shapeKey}\n${key}`;
      let category = this.categoryChoice.get(choiceKey) ?? guessCategory(model, { ...(info?.category ? { name: info.category } : {}), ...(base.truth ? { truth: base.truth } : {}) });
      if (category === undefined && model.categoryNames.length > 0) {
        category = 0;
        panel.categoryGuessed = true;
      }
      const runKey = `${shapeKey}\n${key}\n${category}`;
      let run = this.runs.get(runKey);
      if (run === undefined) {
        try {
          run = runPackedModel(model, base.points, category);
        } catch (error) {
          const text = errorText(error);
          run = text.includes(key) ? text : `${key}: ${text}`;
        }
        this.runs.set(runKey, run);
      }
      if (typeof run === 'string') {
        panel.error = run;
        return panel;
      }
      panel.run = run;
      panel.file = predictionFile(key, shapeKey, model, base, run);
      window.__bitpoint!.packed[`${shapeKey}\n${key}`] = {
        shape: shapeKey,
        model: key,
        task: model.task,
        kernels: model.kernels,
        ms: run.ms,
        ...(run.category !== undefined ? { category: run.category } : {}),
        pred: run.pred,
        ...(run.probabilities ? { probabilities: run.probabilities } : {}),
      };
      return panel;
    });
  }

  /** The lines under a packed panel: engine, run time, and the category to run with. */
  statLines(shapeKey: string, panel: PackedPanel): HTMLElement[] {
    const { model, run } = panel;
    const lines: HTMLElement[] = [
      h(
        'div',
        { class: 'muted', 'data-stat': 'engine' },
        `${model.architecture}${model.policy ? ` · ${model.policy}` : ''} · ${model.kernels} engine · `,
        h('strong', { 'data-stat': 'engine-ms' }, `${run ? run.ms.toFixed(1) : '–'} ms`),
      ),
    ];
    if (model.categoryNames.length > 1 && run?.category !== undefined) {
      const select = h('select', { 'data-control': 'category', title: 'The object category the model is told (it also limits the parts)' });
      select.append(...model.categoryNames.map((name, c) => h('option', { value: String(c) }, name)));
      select.value = String(run.category);
      select.addEventListener('change', () => {
        this.categoryChoice.set(`${shapeKey}\n${panel.key}`, Number(select.value));
        void this.options.onChange();
      });
      lines.push(h('label', { class: 'muted' }, 'category ', select));
      if (panel.categoryGuessed) lines.push(h('div', { class: 'warning-line' }, `category unknown: assuming ${model.categoryNames[run.category]}`));
    }
    return lines;
  }
}

/** The engine's predictions as a prediction file of the shape (its points and ground truth). */
function predictionFile(key: string, shapeKey: string, model: PackedModel, base: PredictionFile, run: PackedRun): PredictionFile {
  return {
    fileName: key,
    shape: shapeKey,
    model: key,
    named: true,
    task: model.task,
    count: base.count,
    points: base.points,
    ...(base.truth ? { truth: base.truth } : {}),
    pred: run.pred,
    ...(run.probabilities ? { probabilities: run.probabilities } : {}),
    ...(model.classNames ? { classNames: model.classNames } : {}),
    facts: { model: key, ...(model.policy ? { method: model.policy } : {}), size_bytes: model.sizeBytes },
    comments: [],
    warnings: [],
  };
}
