import { barChart, type Bar } from './charts.ts';
import { CameraLink, CloudView } from './cloud-view.ts';
import { colorAvailability, NEUTRAL_COLOR, pointColors, type ColorMode } from './colors.ts';
import { h } from './dom.ts';
import { bitsText, formatBytes, percent } from './format.ts';
import type { PackedPanel } from './packed-panels.ts';
import { splitPredictionFileName, type ModelFacts, type PredictionFile } from './predictions.ts';
import type { ModelScore } from './scores.ts';
import { colorInputs, type ShapeView } from './shape-view.ts';

/**
 * The panels of the shown shape: one three.js canvas per model with linked cameras, its facts as
 * badges, its scores as lines and a d3 chart; a failed file or packed model gets a panel saying why.
 */

interface Panel {
  model: string;
  file: PredictionFile;
  root: HTMLElement;
  view: CloudView;
  stats: HTMLElement;
  chart: HTMLElement;
  note: HTMLElement;
  /** A packed model's live prediction. */
  packed?: PackedPanel;
}

export class PanelBoard {
  private panels: Panel[] = [];
  private readonly cameraLink = new CameraLink();

  constructor(private readonly container: HTMLElement) {}

  get isEmpty(): boolean {
    return this.panels.length === 0;
  }

  clear(): void {
    this.cameraLink.clear();
    for (const panel of this.panels) panel.view.dispose();
    this.panels = [];
    this.container.replaceChildren();
  }

  /** A panel per model of the view, then one per file or packed model that failed. */
  show(view: ShapeView, mode: ColorMode, pointScale: number): void {
    this.clear();
    const packedFailures = view.packed.filter((panel) => panel.error !== undefined);
    this.layout(view.models.length + view.shape.failures.size + packedFailures.length);
    for (const model of view.models) {
      const file = view.files.get(model)!;
      const packed = view.packed.find((panel) => panel.key === model && panel.file === file);
      const facts = view.facts(model);
      const canvasBox = h('div', { class: 'canvas-box' });
      const stats = h('div', { class: 'stats' });
      const chart = h('div', { class: 'chart' });
      const note = h('div', { class: 'note' });
      const badges = h('div', { class: 'facts' }, ...factBadges(model, facts, model === view.reference));
      if (packed) badges.append(h('span', { class: 'badge live', title: 'Predicted in this page by the packed model' }, 'live'));
      const root = h(
        'section',
        { class: 'panel', 'data-model': model, title: file.fileName, ...(packed ? { 'data-packed': 'ready' } : {}) },
        h('header', {}, h('h3', {}, facts.label ?? model), badges),
        canvasBox,
        note,
        stats,
        chart,
      );
      this.container.append(root);
      const cloudView = new CloudView(canvasBox);
      cloudView.setPointScale(pointScale);
      cloudView.setCloud(file.points, pointColors(mode, colorInputs(view, model), view.colors));
      this.cameraLink.add(cloudView);
      this.panels.push({ model, file, root, view: cloudView, stats, chart, note, ...(packed ? { packed } : {}) });
    }
    this.cameraLink.resetAll();
    for (const [fileName, message] of view.shape.failures) {
      this.container.append(
        h('section', { class: 'panel failed', 'data-file': fileName }, h('header', {}, h('h3', {}, splitPredictionFileName(fileName).model)), h('p', { class: 'failure' }, message)),
      );
    }
    for (const { key, error } of packedFailures) {
      this.container.append(h('section', { class: 'panel failed', 'data-file': key, 'data-packed': 'error' }, h('header', {}, h('h3', {}, key)), h('p', { class: 'failure' }, error!)));
    }
  }

  /** The models shown, in panel order. */
  get models(): string[] {
    return this.panels.map((panel) => panel.model);
  }

  /** Each panel's score lines and chart; `extraLines` adds a packed model's lines. */
  showScores(view: ShapeView, scores: ReadonlyMap<string, ModelScore>, extraLines: (packed: PackedPanel) => Node[]): void {
    for (const panel of this.panels) {
      const score = scores.get(panel.model)!;
      const width = Math.min(440, Math.max(220, panel.root.clientWidth - 24));
      panel.chart.replaceChildren();
      const lines = scoreLines(view, panel.file, score, panel.chart, width);
      if (panel.packed) lines.push(...extraLines(panel.packed));
      for (const warning of panel.file.warnings) lines.push(h('div', { class: 'warning-line' }, warning));
      panel.stats.replaceChildren(...lines);
    }
  }

  /** Recolours every panel for `mode`, with a note on what is grey. */
  recolor(view: ShapeView, mode: ColorMode): void {
    for (const panel of this.panels) {
      const inputs = colorInputs(view, panel.model);
      const missing = colorAvailability(mode, inputs);
      panel.view.setColors(pointColors(mode, inputs, view.colors));
      panel.note.textContent = missing ? `Grey: ${missing}.` : mode === 'diff' && panel.model === view.reference ? 'Reference: coloured by its prediction.' : '';
    }
  }

  setPointScale(scale: number): void {
    for (const panel of this.panels) panel.view.setPointScale(scale);
  }

  resetCameras(): void {
    this.cameraLink.resetAll();
  }

  /** As many columns as fit (panels at least 260 px wide), rows balanced: 4 panels are 4×1 or 2×2, not 3+1. */
  layout(count = this.container.children.length): void {
    const width = this.container.clientWidth || window.innerWidth;
    const fit = Math.max(1, Math.floor((width + 12) / (260 + 12)));
    const rows = Math.ceil(count / fit);
    const columns = Math.max(1, Math.ceil(count / Math.max(1, rows)));
    this.container.style.gridTemplateColumns = `repeat(${columns}, minmax(0, 1fr))`;
  }
}

function factBadges(model: string, facts: Partial<ModelFacts>, isReference: boolean): HTMLElement[] {
  const badges: HTMLElement[] = [];
  const badge = (label: string, value: string, key: string) => badges.push(h('span', { class: 'badge', 'data-fact': key }, h('b', {}, label), ` ${value}`));
  const bits = bitsText(facts);
  if (facts.method && facts.method !== model) badge('method', facts.method, 'method');
  if (bits !== undefined) badge('bits', bits, 'bits');
  if (facts.sparsity !== undefined) badge('sparsity', percent(facts.sparsity, 0), 'sparsity');
  if (facts.size_bytes !== undefined) badge('size', formatBytes(facts.size_bytes), 'size');
  if (isReference) badges.push(h('span', { class: 'badge reference' }, 'reference'));
  return badges;
}

/** A panel's lines for its score, drawing its chart into `chart`. */
function scoreLines(view: ShapeView, file: PredictionFile, score: ModelScore, chart: HTMLElement, width: number): (string | Node)[] {
  const lines: (string | Node)[] = [];
  const { classification, segmentation } = score;
  if (classification) {
    const { predicted, probability, truth, correct, referencePredicted } = classification;
    lines.push(
      h('div', { class: 'predicted' }, 'predicted ', h('strong', { 'data-stat': 'predicted' }, classification.predictedName ?? '–'), probability !== undefined ? ` · ${percent(probability)}` : ''),
    );
    if (correct !== undefined) lines.push(h('div', { class: correct ? 'good' : 'bad', 'data-stat': 'correct' }, correct ? '✓ correct' : `✗ wrong — truth: ${view.nameOf(truth!)}`));
    if (referencePredicted !== undefined && predicted !== undefined) {
      lines.push(h('div', { class: 'muted' }, referencePredicted === predicted ? `same class as ${view.reference}` : `differs from ${view.reference} (${view.nameOf(referencePredicted)})`));
    }
    if (classification.ranked.length > 0) {
      const shown = classification.ranked.slice(0, 8);
      if (truth !== undefined && !shown.some((entry) => entry.id === truth)) {
        const entry = classification.ranked.find((e) => e.id === truth);
        if (entry) shown.push(entry);
      }
      const bars: Bar[] = shown.map(({ id, value }) => ({ name: view.nameOf(id), value, color: view.colors.get(id) ?? NEUTRAL_COLOR, marked: id === truth }));
      const total = classification.ranked.length;
      barChart(chart, bars, { title: shown.length < total ? `class probabilities (top ${shown.length} of ${total})` : 'class probabilities', width, domainMax: 1 });
    }
    return lines;
  }
  if (segmentation) {
    lines.push(
      h('div', {}, 'accuracy ', h('strong', { 'data-stat': 'accuracy' }, percent(segmentation.accuracy)), ' · mIoU ', h('strong', { 'data-stat': 'miou' }, percent(segmentation.miou))),
      h('div', { class: 'muted' }, `${segmentation.wrong.toLocaleString('en-US')} of ${file.count.toLocaleString('en-US')} points wrong`),
    );
    const bars: Bar[] = segmentation.parts.map((part) => ({ name: view.nameOf(part.part), value: part.iou, color: view.colors.get(part.part) ?? NEUTRAL_COLOR }));
    barChart(chart, bars, { title: 'IoU per part', width, domainMax: 1 });
  }
  if (score.differ !== undefined) {
    const share = percent(score.differ / file.count);
    lines.push(h('div', { 'data-stat': 'differs' }, `differs from ${view.reference} on ${score.differ.toLocaleString('en-US')} points `, h('span', { class: 'nowrap' }, `(${share})`)));
  }
  return lines;
}
