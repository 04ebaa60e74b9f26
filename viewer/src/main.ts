import type { ColorMode } from './colors.ts';
import { setupControls, showMode } from './controls.ts';
import { h } from './dom.ts';
import { renderLegend } from './legend.ts';
import { fetchPending, loadCatalog, readOpenedFiles, type Report } from './loading.ts';
import { showMessage } from './messages.ts';
import { isPackedFileName, PackedModels } from './packed-panels.ts';
import { PanelBoard } from './panels.ts';
import { scoreModel } from './scores.ts';
import { describeShape, type ShapeView } from './shape-view.ts';
import { renderShapeList } from './shape-list.ts';
import type { Shape } from './shapes.ts';
import { ViewerState } from './state.ts';
import { renderSummary } from './summary-table.ts';

/**
 * The viewer page, wired: a list of shapes (from the server's manifest or opened files), and for
 * the chosen shape one panel per model (panels.ts) with the legend (legend.ts) and the summary
 * table (summary-table.ts); loaded packed models add live panels (packed-panels.ts). What a shape
 * shows is worked out without the DOM (shape-view.ts, scores.ts); this file only connects events
 * to those rooms. Every failure is a message naming the file; the rest keeps working.
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

const predictionsBase = new URL(new URLSearchParams(location.search).get('predictions') ?? 'predictions/', location.href);
const state = new ViewerState((status) => (document.body.dataset['status'] = status));
const board = new PanelBoard(ui.panels);
const report: Report = (level, text, file) => showMessage(ui.messages, level, text, file);
const packedModels = new PackedModels({
  list: ui.modelList,
  base: predictionsBase,
  onChange: () => {
    if (state.current) renderShape();
  },
  onError: (text, file) => report('error', text, file),
});

function describe(shape: Shape): ShapeView {
  const choice = state.referenceChoice.get(shape.key);
  return describeShape(shape, {
    ...(state.index ? { index: state.index } : {}),
    ...(choice ? { referenceChoice: choice } : {}),
    packedPanels: (key, base, info, task) => packedModels.panelsFor(key, base, info, task),
  });
}

function showShapeList(): void {
  renderShapeList(ui.shapeList, state.shapes.shapes, state.current, (shape) => void state.busy(() => selectShape(shape)));
}

async function selectShape(shape: Shape): Promise<void> {
  state.current = shape;
  showShapeList();
  if (shape.pending.length > 0) {
    ui.shapeHeader.replaceChildren(h('h2', {}, shape.key), h('p', { class: 'loading' }, `Loading ${shape.pending.length} files…`));
    await fetchPending(state.shapes, shape, predictionsBase, report);
    showShapeList();
  }
  if (state.current === shape) renderShape();
}

function renderShape(): void {
  board.clear();
  const shape = state.current;
  ui.empty.hidden = shape !== undefined && shape.models.size > 0;
  if (!shape || shape.models.size === 0) {
    ui.shapeHeader.replaceChildren(...(shape ? [h('h2', {}, shape.key), h('p', {}, 'No file of this shape could be loaded.')] : []));
    ui.legend.replaceChildren();
    ui.summary.replaceChildren();
    ui.reference.replaceChildren();
    return;
  }
  const view = describe(shape);
  const first = view.files.get(view.models[0]!)!;
  const taskText = view.task === 'unknown' ? '' : view.task;
  const category = view.info?.category ? ` · ${view.info.category}` : '';
  const models = `${view.models.length} model${view.models.length === 1 ? '' : 's'}`;
  ui.shapeHeader.replaceChildren(h('h2', {}, shape.key), h('p', { class: 'shape-meta' }, `${taskText}${category} · ${first.count.toLocaleString('en-US')} points · ${models}`));
  ui.reference.replaceChildren(...view.models.map((model) => h('option', { value: model }, model)));
  if (view.reference) ui.reference.value = view.reference;
  board.show(view, state.mode, state.pointScale);
  showScores(view);
  showColors(view);
}

/** Scores, charts and the summary table: they depend on the reference but not the colour mode. */
function showScores(view: ShapeView): void {
  const scores = new Map(board.models.map((model) => [model, scoreModel(view, model)]));
  board.showScores(view, scores, (packed) => packedModels.statLines(view.shape.key, packed));
  renderSummary(ui.summary, view, board.models, scores);
}

function showColors(view: ShapeView): void {
  showMode(ui.modes, state.mode);
  document.body.dataset['mode'] = state.mode;
  board.recolor(view, state.mode);
  renderLegend(ui.legend, view, state.mode);
}

function setMode(mode: ColorMode): void {
  state.mode = mode;
  if (state.current && !board.isEmpty) showColors(describe(state.current));
  else showMode(ui.modes, mode);
}

/** Files from the picker or a drop: PLY prediction files, optionally an index.json, packed models. */
async function openFiles(files: readonly File[]): Promise<void> {
  if (files.length === 0) return;
  await state.busy(async () => {
    const models = files.filter((file) => isPackedFileName(file.name));
    const opened = await readOpenedFiles(
      files.filter((file) => !isPackedFileName(file.name)),
      state.shapes,
      report,
    );
    if (opened.index) state.index = opened.index;
    showShapeList();
    if (opened.lastShape) await selectShape(opened.lastShape);
    else if (state.current && models.length === 0) renderShape();
    // After the clouds, so a model dropped with its cloud runs on it; redraws the shape.
    if (models.length > 0) await packedModels.open(models);
  });
}

async function start(): Promise<void> {
  setupControls(
    { ...ui, fileInputs: [ui.fileInput, ui.modelInput] },
    {
      setMode,
      setReference: (model) => {
        if (!state.current) return;
        state.referenceChoice.set(state.current.key, model);
        renderShape();
      },
      setPointScale: (scale) => {
        state.pointScale = scale;
        board.setPointScale(scale);
      },
      resetView: () => board.resetCameras(),
      openFiles: (files) => void openFiles(files),
      resized: () => {
        if (!state.current || board.isEmpty) return;
        board.layout();
        showScores(describe(state.current));
      },
    },
    state.mode,
  );
  await state.busy(async () => {
    const catalog = await loadCatalog(predictionsBase, report);
    state.index = catalog.index;
    state.shapes.addServerEntries(catalog.shapes);
    packedModels.offer(catalog.models);
    ui.sourceNote.textContent = catalog.note;
    showShapeList();
    const first = state.shapes.shapes[0];
    if (first) await selectShape(first);
    else renderShape();
  });
}

void start();
