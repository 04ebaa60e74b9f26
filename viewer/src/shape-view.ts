import type { PredictionIndex } from '../../src/experiments/prediction-index.ts';
import { indexFacts, orderModels, pickReference, shapeInfo, type ShapeInfo } from './catalog.ts';
import { idColors, type ColorInputs, type Rgb } from './colors.ts';
import type { PackedPanel } from './packed-panels.ts';
import type { ModelFacts, PredictionFile, Task } from './predictions.ts';
import type { Shape } from './shapes.ts';

/**
 * What one shape shows, worked out once per drawing (no DOM): its task, the models in panel order
 * (its files, then the packed models' live predictions), the reference, the facts of each model and
 * the names and colours of part or class ids.
 */
export interface ShapeView {
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

export interface ShapeViewSources {
  index?: PredictionIndex;
  /** The reference the user picked for this shape. */
  referenceChoice?: string;
  /** The packed models' panels on a shape whose cloud is `base`. */
  packedPanels: (shapeKey: string, base: PredictionFile, info: ShapeInfo | undefined, task: Task) => PackedPanel[];
}

export function describeShape(shape: Shape, sources: ShapeViewSources): ShapeView {
  const { index } = sources;
  const info = shapeInfo(index, shape.key);
  // The index's facts win over a file's header comments: the index is written from the results.
  const factsOf = (model: string, file?: PredictionFile): Partial<ModelFacts> => ({ ...(file?.facts ?? {}), ...indexFacts(index, shape.key, model) });
  const fileModels = orderModels([...shape.models.keys()], (model) => factsOf(model, shape.models.get(model)), info?.models);
  const shapeTask = info?.task ?? [...shape.models.values()].find((f) => f.task !== 'unknown')?.task ?? 'unknown';
  const base = shape.models.get(fileModels[0]!);
  const packed = base ? sources.packedPanels(shape.key, base, info, shapeTask) : [];
  const files = new Map(shape.models);
  for (const panel of packed) if (panel.file && !files.has(panel.key)) files.set(panel.key, panel.file);
  const facts = (model: string) => factsOf(model, files.get(model));
  const models = [...fileModels, ...packed.filter((panel) => panel.file && files.get(panel.key) === panel.file).map((panel) => panel.key)];
  const choice = sources.referenceChoice;
  const reference = choice && models.includes(choice) ? choice : pickReference(fileModels, facts, info?.reference);
  const loaded = [...files.values()];
  const task: Task = shapeTask !== 'unknown' ? shapeTask : (loaded.find((f) => f.task !== 'unknown')?.task ?? 'unknown');
  const classNames = info?.classNames ?? loaded.find((f) => f.classNames)?.classNames;
  const partNames = info?.partNames;
  const colors = idColors(loaded.flatMap((f) => [f.truth, f.pred]), task === 'segmentation' ? (info?.parts ?? []) : []);
  const nameOf = (id: number) =>
    task === 'classification' ? (classNames?.[id] ?? `class ${id}`) : (partNames?.get(id) ?? (task === 'segmentation' ? `part ${id}` : `id ${id}`));
  return { shape, ...(info ? { info } : {}), task, models, files, packed, ...(reference ? { reference } : {}), colors, ...(classNames ? { classNames } : {}), facts, nameOf };
}

/** What the colour modes need of one panel: its ids and the reference's prediction. */
export function colorInputs(view: ShapeView, model: string): ColorInputs {
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
