import { filesFromIndex, groupFilesByShape, orderModels, parseManifest, parsePredictionIndex, pickReference, type PredictionIndex, type ShapeInfo } from './catalog.ts';
import { barChart, type Bar } from './charts.ts';
import { CameraLink, CloudView } from './cloud-view.ts';
import {
  AGREE_COLOR,
  COLOR_MODES,
  DIFF_COLOR,
  ERROR_COLOR,
  NEUTRAL_COLOR,
  colorAvailability,
  idColors,
  pointColors,
  rgbHex,
  type ColorInputs,
  type ColorMode,
  type Rgb,
} from './colors.ts';
import { errorText, formatBytes, h } from './dom.ts';
import { countDifferences, majority, predictedClass, segmentationScores } from './metrics.ts';
import { isPackedFileName, PackedModels, type PackedPanel } from './packed-panels.ts';
import { isPlyFileName, readPredictionFile, splitPredictionFileName, type ModelFacts, type PredictionFile, type Task } from './predictions.ts';
import { ShapeCollection, type Shape } from './shapes.ts';

/**
 * The viewer page: a list of shapes (from the server's manifest or opened files), and for the
 * chosen shape one panel per model with linked cameras, colour modes, a legend, per-model scores,
 * facts and d3 charts; loaded packed models (`.bitpoint`) add live panels (packed-panels.ts).
 * Every failure is a message naming the file; the rest keeps working.
 */

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  fileInput: element<HTMLInputElement>('file-input'),
  modelInput: element<HTMLInputElement>('model-input'),
  modelList: element<HTMLUListElement>('model-list'),
  modes: element<HTMLDivElement>('modes'),
  reference: element<HTMLSelectElement>('reference'),
  pointSize: element<HTMLInputElement>('point-size'),
  resetView: element<HTMLButtonElement>('reset-view'),
  shapeList: element<HTMLUListElement>('shape-list'),
  sourceNote: element<HTMLParagraphElement>('source-note'),
  messages: element<HTMLDivElement>('messages'),
  shapeHeader: element<HTMLElement>('shape-header'),
  legend: element<HTMLDivElement>('legend'),
  summary: element<HTMLTableElement>('summary'),
  panels: element<HTMLDivElement>('panels'),
  empty: element<HTMLDivElement>('empty'),
  dropOverlay: element<HTMLDivElement>('drop-overlay'),
};

const params = new URLSearchParams(location.search);
const predictionsBase = new URL(params.get('predictions') ?? 'predictions/', location.href);

const state = {
  shapes: new ShapeCollection(),
  index: undefined as PredictionIndex | undefined,
  current: undefined as Shape | undefined,
  mode: 'pred' as ColorMode,
  pointScale: 1,
  /** The reference the user picked, per shape. */
  referenceChoice: new Map<string, string>(),
  busy: 0,
};

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

let panels: Panel[] = [];
const cameraLink = new CameraLink();
const packedModels = new PackedModels({
  list: ui.modelList,
  base: predictionsBase,
  onChange: () => {
    if (state.current) renderShape();
  },
  onError: (text, file) => showMessage('error', text, file),
});

// ---------------------------------------------------------------------------------------------
// Small helpers

function percent(value: number, digits = 1): string {
  return `${(value * 100).toFixed(digits)} %`;
}

function setStatus(): void {
  document.body.dataset['status'] = state.busy > 0 ? 'loading' : state.current ? 'ready' : 'idle';
}

async function busy<T>(work: () => Promise<T>): Promise<T> {
  state.busy++;
  setStatus();
  try {
    return await work();
  } finally {
    state.busy--;
    setStatus();
  }
}

// ---------------------------------------------------------------------------------------------
// Messages: one per problem, naming the file; dismissable.

function showMessage(level: 'error' | 'warning' | 'info', text: string, file?: string): void {
  const close = h('button', { class: 'close', title: 'Dismiss', 'aria-label': 'Dismiss' }, '×');
  const message = h('div', { class: `message ${level}`, role: level === 'error' ? 'alert' : 'status' }, h('span', {}, text), close);
  if (file) message.dataset['file'] = file;
  close.addEventListener('click', () => message.remove());
  ui.messages.append(message);
}

// ---------------------------------------------------------------------------------------------
// Loading: the server's list, files it offers, files the user opens.

async function fetchJson(url: URL): Promise<unknown | undefined> {
  try {
    const response = await fetch(url, { cache: 'no-store' });
    if (!response.ok) return undefined;
    const text = await response.text();
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // no server list (a static copy without one, or HTML instead of JSON)
  }
}

async function loadCatalog(): Promise<void> {
  const manifestJson = await fetchJson(new URL('manifest.json', predictionsBase));
  if (manifestJson !== undefined) {
    try {
      const manifest = parseManifest(manifestJson);
      state.index = manifest.index;
      for (const warning of manifest.warnings) showMessage('warning', warning);
      state.shapes.addServerEntries(groupFilesByShape(manifest.files));
      packedModels.offer(manifest.models);
      ui.sourceNote.textContent =
        manifest.files.length > 0 ? `${manifest.files.length} files from ${manifest.dir ?? 'the server'}` : `No PLY files in ${manifest.dir ?? 'the server folder'} yet.`;
      return;
    } catch (error) {
      showMessage('error', `predictions/manifest.json: ${errorText(error)}`);
    }
  }
  const indexJson = await fetchJson(new URL('index.json', predictionsBase));
  if (indexJson !== undefined) {
    const warnings: string[] = [];
    state.index = parsePredictionIndex(indexJson, warnings, 'predictions/index.json');
    for (const warning of warnings) showMessage('warning', warning);
    if (state.index) {
      state.shapes.addServerEntries(groupFilesByShape(filesFromIndex(state.index)));
      ui.sourceNote.textContent = 'Files listed by predictions/index.json.';
      return;
    }
  }
  ui.sourceNote.textContent = 'No list from a server: open PLY files or drop them on the page.';
}

async function fetchPending(shape: Shape): Promise<void> {
  const pending = [...shape.pending];
  await Promise.all(
    pending.map(async (entry) => {
      try {
        const url = new URL(entry.name.split('/').map(encodeURIComponent).join('/'), predictionsBase);
        const response = await fetch(url);
        if (!response.ok) throw new Error(`${entry.name}: the server answered ${response.status} ${response.statusText}`.trim());
        const file = readPredictionFile(await response.arrayBuffer(), entry.name);
        state.shapes.addToShape(shape, { ...file, model: entry.model });
        for (const warning of file.warnings) showMessage('warning', `${entry.name}: ${warning}`, entry.name);
      } catch (error) {
        const text = errorText(error);
        const message = text.includes(entry.name) ? text : `${entry.name}: ${text}`;
        state.shapes.addFailure(shape.key, entry.name, message);
        showMessage('error', `Could not load ${message}`, entry.name);
      }
    }),
  );
}

/** Files from the picker or a drop: PLY prediction files, optionally an index.json, packed models. */
async function openFiles(files: readonly File[]): Promise<void> {
  if (files.length === 0) return;
  await busy(async () => {
    let lastShape: Shape | undefined;
    const models = files.filter((file) => isPackedFileName(file.name));
    for (const file of files.filter((file) => !isPackedFileName(file.name))) {
      try {
        if (/\.json$/i.test(file.name)) {
          const warnings: string[] = [];
          const index = parsePredictionIndex(JSON.parse(await file.text()) as unknown, warnings, file.name);
          warnings.forEach((warning) => showMessage('warning', warning, file.name));
          if (index) state.index = index;
          continue;
        }
        if (!isPlyFileName(file.name)) {
          const extension = /\.[^.]+$/.exec(file.name)?.[0] ?? 'without an extension';
          throw new Error(`${file.name}: unsupported file type ${extension}; the viewer opens .ply prediction files (and an index.json) and .bitpoint models`);
        }
        const prediction = readPredictionFile(new Uint8Array(await file.arrayBuffer()), file.name);
        lastShape = state.shapes.addOpenedFile(prediction);
        for (const warning of prediction.warnings) showMessage('warning', `${file.name}: ${warning}`, file.name);
      } catch (error) {
        const text = errorText(error);
        const message = text.includes(file.name) ? text : `${file.name}: ${text}`;
        state.shapes.addFailure(splitPredictionFileName(file.name).shape, file.name, message);
        showMessage('error', `Could not load ${message}`, file.name);
      }
    }
    renderShapeList();
    if (lastShape) await selectShape(lastShape);
    else if (state.current && models.length === 0) renderShape();
    // After the clouds, so a model dropped with its cloud runs on it; redraws the shape.
    if (models.length > 0) await packedModels.open(models);
  });
}

// ---------------------------------------------------------------------------------------------
// What a shape shows: its task, models in order, reference, names and colours of ids.

interface ShapeView {
  shape: Shape;
  info?: ShapeInfo;
  task: Task;
  /** Panels in order: the shape's files, then the packed models' live predictions. */
  models: string[];
  files: Map<string, PredictionFile>;
  /** Loaded packed models on this shape, including those that could not run. */
  packed: PackedPanel[];
  reference?: string;
  colors: Map<number, Rgb>;
  classNames?: string[];
  facts: (model: string) => Partial<ModelFacts>;
  nameOf: (id: number) => string;
}

function modelFacts(model: string, file?: PredictionFile): Partial<ModelFacts> {
  const fromIndex = state.index?.models.find((m) => m.model === model);
  return { ...(file?.facts ?? {}), ...(fromIndex ?? {}) };
}

function describeShape(shape: Shape): ShapeView {
  const info = state.index?.shapes.find((s) => s.shape === shape.key);
  const fileModels = orderModels([...shape.models.keys()], (model) => modelFacts(model, shape.models.get(model)), state.index);
  const shapeTask = info?.task ?? [...shape.models.values()].find((f) => f.task !== 'unknown')?.task ?? 'unknown';
  const base = shape.models.get(fileModels[0]!);
  const packed = base ? packedModels.panelsFor(shape.key, base, info, shapeTask) : [];
  const fileMap = new Map(shape.models);
  for (const panel of packed) if (panel.file && !fileMap.has(panel.key)) fileMap.set(panel.key, panel.file);
  const files = [...fileMap.values()];
  const facts = (model: string) => modelFacts(model, fileMap.get(model));
  const models = [...fileModels, ...packed.filter((panel) => panel.file && fileMap.get(panel.key) === panel.file).map((panel) => panel.key)];
  const choice = state.referenceChoice.get(shape.key);
  const reference = choice && models.includes(choice) ? choice : pickReference(fileModels, facts, state.index);
  const task: Task = shapeTask !== 'unknown' ? shapeTask : (files.find((f) => f.task !== 'unknown')?.task ?? 'unknown');
  const classNames = info?.classNames ?? state.index?.classNames ?? files.find((f) => f.classNames)?.classNames;
  const partNames = info?.partNames ?? state.index?.partNames;
  const colors = idColors(files.flatMap((f) => [f.truth, f.pred]), task === 'segmentation' ? (info?.parts ?? []) : []);
  const nameOf = (id: number) =>
    task === 'classification' ? (classNames?.[id] ?? `class ${id}`) : (partNames?.get(id) ?? (task === 'segmentation' ? `part ${id}` : `id ${id}`));
  return { shape, ...(info ? { info } : {}), task, models, files: fileMap, packed, ...(reference ? { reference } : {}), colors, ...(classNames ? { classNames } : {}), facts, nameOf };
}

function colorInputs(view: ShapeView, model: string): ColorInputs {
  const file = view.files.get(model)!;
  const reference = view.reference ? view.files.get(view.reference) : undefined;
  return {
    count: file.count,
    ...(file.truth ? { truth: file.truth } : {}),
    ...(file.pred ? { pred: file.pred } : {}),
    ...(reference?.pred && model !== view.reference ? { reference: reference.pred } : {}),
    isReference: model === view.reference,
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering the page

function renderShapeList(): void {
  // Shapes in folders (`pointnet-seg/chair_0003`) are listed under a heading per folder.
  const items: HTMLElement[] = [];
  let lastGroup = '';
  for (const shape of state.shapes.shapes) {
    const slash = shape.key.lastIndexOf('/');
    const group = slash > 0 ? shape.key.slice(0, slash) : '';
    if (group !== lastGroup && group) items.push(h('li', { class: 'group' }, group));
    lastGroup = group;
    items.push(shapeListItem(shape, slash > 0 ? shape.key.slice(slash + 1) : shape.key));
  }
  ui.shapeList.replaceChildren(...items);
}

function shapeListItem(shape: Shape, label: string): HTMLElement {
  const loaded = shape.models.size;
  const total = loaded + shape.pending.length + shape.failures.size;
  const count = shape.pending.length > 0 ? `${total} file${total === 1 ? '' : 's'}` : `${loaded} model${loaded === 1 ? '' : 's'}`;
  const item = h(
    'li',
    { class: shape === state.current ? 'current' : '', 'data-shape': shape.key },
    h('button', { type: 'button', title: shape.key }, h('span', { class: 'shape-name' }, label), h('span', { class: 'shape-count' }, count)),
  );
  if (shape.failures.size > 0) item.classList.add('has-failures');
  item.querySelector('button')!.addEventListener('click', () => void busy(() => selectShape(shape)));
  return item;
}

async function selectShape(shape: Shape): Promise<void> {
  state.current = shape;
  renderShapeList();
  if (shape.pending.length > 0) {
    ui.shapeHeader.replaceChildren(h('h2', {}, shape.key), h('p', { class: 'loading' }, `Loading ${shape.pending.length} files…`));
    await fetchPending(shape);
    renderShapeList();
  }
  if (state.current === shape) renderShape();
}

function clearPanels(): void {
  cameraLink.clear();
  for (const panel of panels) panel.view.dispose();
  panels = [];
  ui.panels.replaceChildren();
}

function renderShape(): void {
  clearPanels();
  const shape = state.current;
  ui.empty.hidden = shape !== undefined && shape.models.size > 0;
  if (!shape || shape.models.size === 0) {
    ui.shapeHeader.replaceChildren(...(shape ? [h('h2', {}, shape.key), h('p', {}, 'No file of this shape could be loaded.')] : []));
    ui.legend.replaceChildren();
    ui.summary.replaceChildren();
    ui.reference.replaceChildren();
    return;
  }
  const view = describeShape(shape);
  const first = view.files.get(view.models[0]!)!;
  const taskText = view.task === 'unknown' ? '' : view.task;
  const category = view.info?.category ? ` · ${view.info.category}` : '';
  ui.shapeHeader.replaceChildren(
    h('h2', {}, shape.key),
    h('p', { class: 'shape-meta' }, `${taskText}${category} · ${first.count.toLocaleString('en-US')} points · ${view.models.length} model${view.models.length === 1 ? '' : 's'}`),
  );
  ui.reference.replaceChildren(...view.models.map((model) => h('option', { value: model }, model)));
  if (view.reference) ui.reference.value = view.reference;

  const packedFailures = view.packed.filter((panel) => panel.error !== undefined);
  layoutPanels(view.models.length + shape.failures.size + packedFailures.length);
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
    ui.panels.append(root);
    const cloudView = new CloudView(canvasBox);
    cloudView.setPointScale(state.pointScale);
    cloudView.setCloud(file.points, pointColors(state.mode, colorInputs(view, model), view.colors));
    cameraLink.add(cloudView);
    panels.push({ model, file, root, view: cloudView, stats, chart, note, ...(packed ? { packed } : {}) });
  }
  cameraLink.resetAll();
  for (const [fileName, message] of shape.failures) {
    const failed = h('section', { class: 'panel failed', 'data-file': fileName }, h('header', {}, h('h3', {}, splitPredictionFileName(fileName).model)), h('p', { class: 'failure' }, message));
    ui.panels.append(failed);
  }
  for (const { key, error } of packedFailures) {
    ui.panels.append(h('section', { class: 'panel failed', 'data-file': key, 'data-packed': 'error' }, h('header', {}, h('h3', {}, key)), h('p', { class: 'failure' }, error!)));
  }
  updateScores(view);
  updateColors(view);
}

/** As many columns as fit (panels at least 260 px wide), rows balanced: 4 panels are 4×1 or 2×2, not 3+1. */
function layoutPanels(count: number): void {
  const width = ui.panels.clientWidth || window.innerWidth;
  const fit = Math.max(1, Math.floor((width + 12) / (260 + 12)));
  const rows = Math.ceil(count / fit);
  const columns = Math.max(1, Math.ceil(count / Math.max(1, rows)));
  ui.panels.style.gridTemplateColumns = `repeat(${columns}, minmax(0, 1fr))`;
}

function factBadges(model: string, facts: Partial<ModelFacts>, isReference: boolean): HTMLElement[] {
  const badges: HTMLElement[] = [];
  const badge = (label: string, value: string, key: string) => badges.push(h('span', { class: 'badge', 'data-fact': key }, h('b', {}, label), ` ${value}`));
  if (facts.method && facts.method !== model) badge('method', facts.method, 'method');
  if (facts.bits !== undefined) badge('bits', String(facts.bits), 'bits');
  if (facts.sparsity !== undefined) badge('sparsity', percent(facts.sparsity, 0), 'sparsity');
  if (facts.size_bytes !== undefined) badge('size', formatBytes(facts.size_bytes), 'size');
  if (isReference) badges.push(h('span', { class: 'badge reference' }, 'reference'));
  return badges;
}

/** `×29.2 smaller`; a packed full-precision model can be larger than the reference's facts say. */
function sizeRatio(referenceSize: number, size: number): string {
  return referenceSize >= size ? `×${(referenceSize / size).toFixed(1)} smaller` : `×${(size / referenceSize).toFixed(1)} larger`;
}

/** Scores, charts and the summary table; they depend on the reference but not the colour mode. */
function updateScores(view: ShapeView): void {
  const referenceFile = view.reference ? view.files.get(view.reference) : undefined;
  const referenceSize = view.reference ? view.facts(view.reference).size_bytes : undefined;
  const head = ['model', 'method', 'bits', 'sparsity', 'size'];
  if (view.task === 'classification') head.push('predicted', 'probability', 'correct', 'same as reference');
  else head.push('accuracy', 'mIoU', '≠ reference');
  const rows: HTMLTableRowElement[] = [];

  for (const panel of panels) {
    const { file, model } = panel;
    const facts = view.facts(model);
    const isReference = model === view.reference;
    const cells: (string | Node)[] = [
      facts.label ?? model,
      facts.method ?? '–',
      facts.bits !== undefined ? String(facts.bits) : '–',
      facts.sparsity !== undefined ? percent(facts.sparsity, 0) : '–',
      facts.size_bytes !== undefined
        ? `${formatBytes(facts.size_bytes)}${referenceSize && !isReference ? ` (${sizeRatio(referenceSize, facts.size_bytes)})` : ''}`
        : '–',
    ];
    const lines: (string | Node)[] = [];
    panel.chart.replaceChildren();
    const width = Math.min(440, Math.max(220, panel.root.clientWidth - 24));

    if (view.task === 'classification') {
      const predicted = predictedClass(file.pred, file.probabilities);
      const truth = file.truth ? majority(file.truth) : undefined;
      const probability = predicted !== undefined ? file.probabilities?.[predicted] : undefined;
      const name = predicted !== undefined ? view.nameOf(predicted) : (file.predictedClassName ?? '–');
      const correct = predicted !== undefined && truth !== undefined ? predicted === truth : undefined;
      const referencePredicted = referenceFile && !isReference ? predictedClass(referenceFile.pred, referenceFile.probabilities) : undefined;
      lines.push(h('div', { class: 'predicted' }, 'predicted ', h('strong', { 'data-stat': 'predicted' }, name), probability !== undefined ? ` · ${percent(probability)}` : ''));
      if (correct !== undefined) {
        lines.push(h('div', { class: correct ? 'good' : 'bad', 'data-stat': 'correct' }, correct ? '✓ correct' : `✗ wrong — truth: ${view.nameOf(truth!)}`));
      }
      if (referencePredicted !== undefined && predicted !== undefined) {
        lines.push(h('div', { class: 'muted' }, referencePredicted === predicted ? `same class as ${view.reference}` : `differs from ${view.reference} (${view.nameOf(referencePredicted)})`));
      }
      cells.push(name, probability !== undefined ? percent(probability) : '–', correct === undefined ? '–' : correct ? '✓' : '✗');
      cells.push(isReference ? 'reference' : referencePredicted === undefined || predicted === undefined ? '–' : referencePredicted === predicted ? 'yes' : 'no');
      if (file.probabilities && file.probabilities.length > 0) {
        const classes = Array.from(file.probabilities, (value, c) => ({ c, value })).sort((a, b) => b.value - a.value);
        const shown = classes.slice(0, 8);
        if (truth !== undefined && !shown.some((entry) => entry.c === truth)) {
          const entry = classes.find((e) => e.c === truth);
          if (entry) shown.push(entry);
        }
        const bars: Bar[] = shown.map(({ c, value }) => ({ name: view.nameOf(c), value, color: view.colors.get(c) ?? NEUTRAL_COLOR, marked: c === truth }));
        barChart(panel.chart, bars, { title: shown.length < classes.length ? `class probabilities (top ${shown.length} of ${classes.length})` : 'class probabilities', width, domainMax: 1 });
      }
    } else if (file.truth && file.pred) {
      const scores = segmentationScores(file.truth, file.pred, view.info?.parts);
      lines.push(
        h('div', {}, 'accuracy ', h('strong', { 'data-stat': 'accuracy' }, percent(scores.accuracy)), ' · mIoU ', h('strong', { 'data-stat': 'miou' }, percent(scores.miou))),
        h('div', { class: 'muted' }, `${scores.wrong.toLocaleString('en-US')} of ${file.count.toLocaleString('en-US')} points wrong`),
      );
      cells.push(percent(scores.accuracy), percent(scores.miou));
      const bars: Bar[] = scores.parts.map((part) => ({ name: view.nameOf(part.part), value: part.iou, color: view.colors.get(part.part) ?? NEUTRAL_COLOR }));
      barChart(panel.chart, bars, { title: 'IoU per part', width, domainMax: 1 });
    } else {
      cells.push('–', '–');
    }
    if (view.task !== 'classification') {
      if (isReference) cells.push('reference');
      else if (referenceFile?.pred && file.pred && referenceFile.count === file.count) {
        const differ = countDifferences(file.pred, referenceFile.pred);
        lines.push(
          h('div', { 'data-stat': 'differs' }, `differs from ${view.reference} on ${differ.toLocaleString('en-US')} points `, h('span', { class: 'nowrap' }, `(${percent(differ / file.count)})`)),
        );
        cells.push(`${differ.toLocaleString('en-US')} (${percent(differ / file.count)})`);
      } else cells.push('–');
    }
    if (panel.packed) lines.push(...packedModels.statLines(view.shape.key, panel.packed));
    for (const warning of file.warnings) lines.push(h('div', { class: 'warning-line' }, warning));
    panel.stats.replaceChildren(...lines);
    rows.push(h('tr', isReference ? { class: 'reference' } : {}, ...cells.map((cell) => h('td', {}, cell))));
  }
  ui.summary.replaceChildren(h('thead', {}, h('tr', {}, ...head.map((title) => h('th', {}, title)))), h('tbody', {}, ...rows));
}

/** Recolours every panel for the current mode and redraws the legend. */
function updateColors(view: ShapeView): void {
  for (const button of ui.modes.querySelectorAll('button')) button.setAttribute('aria-pressed', String(button.dataset['mode'] === state.mode));
  document.body.dataset['mode'] = state.mode;
  for (const panel of panels) {
    const inputs = colorAvailability(state.mode, colorInputs(view, panel.model));
    panel.view.setColors(pointColors(state.mode, colorInputs(view, panel.model), view.colors));
    panel.note.textContent = inputs ? `Grey: ${inputs}.` : state.mode === 'diff' && panel.model === view.reference ? 'Reference: coloured by its prediction.' : '';
  }
  renderLegend(view);
}

function renderLegend(view: ShapeView): void {
  const item = (rgb: Rgb, text: string) => h('span', { class: 'legend-item' }, h('i', { style: `background:${rgbHex(rgb)}` }), text);
  const items: HTMLElement[] = [];
  if (state.mode === 'error') {
    items.push(item(AGREE_COLOR, 'correct'), item(ERROR_COLOR, 'wrong (prediction ≠ ground truth)'));
  } else if (state.mode === 'diff') {
    items.push(item(AGREE_COLOR, `same as ${view.reference ?? 'reference'}`), item(DIFF_COLOR, `differs from ${view.reference ?? 'reference'}`));
  } else {
    const files = [...view.files.values()];
    const ids = new Set<number>();
    for (const file of files) {
      const values = state.mode === 'truth' ? file.truth : file.pred;
      if (values) for (const id of idsOf(values)) ids.add(id);
    }
    if (view.task === 'segmentation' && state.mode === 'truth') for (const part of view.info?.parts ?? []) ids.add(part);
    for (const id of [...ids].sort((a, b) => a - b)) items.push(item(view.colors.get(id) ?? NEUTRAL_COLOR, view.nameOf(id)));
  }
  const title = COLOR_MODES.find((m) => m.mode === state.mode)!.label;
  ui.legend.replaceChildren(h('span', { class: 'legend-title' }, `${title}:`), ...items);
}

function idsOf(values: Int32Array): Set<number> {
  const ids = new Set<number>();
  let last = NaN;
  for (const value of values) {
    if (value === last) continue;
    ids.add(value);
    last = value;
  }
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Controls

function setMode(mode: ColorMode): void {
  state.mode = mode;
  if (state.current && panels.length > 0) updateColors(describeShape(state.current));
  else for (const button of ui.modes.querySelectorAll('button')) button.setAttribute('aria-pressed', String(button.dataset['mode'] === mode));
}

function setupControls(): void {
  ui.modes.replaceChildren(
    ...COLOR_MODES.map(({ mode, label, key }) => {
      const button = h('button', { type: 'button', 'data-mode': mode, title: `${label} (key ${key})`, 'aria-pressed': String(mode === state.mode) }, label);
      button.addEventListener('click', () => setMode(mode));
      return button;
    }),
  );
  ui.reference.addEventListener('change', () => {
    if (!state.current) return;
    state.referenceChoice.set(state.current.key, ui.reference.value);
    renderShape();
  });
  ui.pointSize.addEventListener('input', () => {
    state.pointScale = Number(ui.pointSize.value);
    for (const panel of panels) panel.view.setPointScale(state.pointScale);
  });
  ui.resetView.addEventListener('click', () => cameraLink.resetAll());
  for (const input of [ui.fileInput, ui.modelInput]) {
    input.addEventListener('change', () => {
      const files = [...(input.files ?? [])];
      input.value = '';
      void openFiles(files);
    });
  }
  window.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement || event.ctrlKey || event.metaKey || event.altKey) return;
    const mode = COLOR_MODES.find((m) => m.key === event.key);
    if (mode) setMode(mode.mode);
    if (event.key === 'r') cameraLink.resetAll();
  });
  // Drag and drop anywhere on the page.
  let depth = 0;
  window.addEventListener('dragenter', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    depth++;
    ui.dropOverlay.hidden = false;
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) ui.dropOverlay.hidden = true;
  });
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => {
    event.preventDefault();
    depth = 0;
    ui.dropOverlay.hidden = true;
    void openFiles([...(event.dataTransfer?.files ?? [])]);
  });
  // Charts follow the panel width.
  let resizeTimer: ReturnType<typeof setTimeout> | undefined;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (!state.current || panels.length === 0) return;
      layoutPanels(ui.panels.children.length);
      updateScores(describeShape(state.current));
    }, 150);
  });
}

async function start(): Promise<void> {
  setupControls();
  await busy(async () => {
    await loadCatalog();
    renderShapeList();
    const first = state.shapes.shapes[0];
    if (first) await selectShape(first);
    else renderShape();
  });
}

void start();
