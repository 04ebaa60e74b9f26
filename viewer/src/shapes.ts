import type { ShapeEntry } from './catalog.ts';
import { samePoints, type PredictionFile } from './predictions.ts';

/**
 * The shapes the viewer knows, each with one prediction file per model. Files the server offers
 * are grouped by name (`<shape>__<model>.ply`) before they are fetched; opened files join a shape
 * by name too, and a file not named by the convention joins the shape whose points are exactly its
 * own (several `bitpoint predict` outputs for the same input), else becomes a shape of its own.
 */

export interface Shape {
  key: string;
  source: 'server' | 'local';
  /** Server files not fetched yet. */
  pending: { name: string; model: string; size_bytes?: number }[];
  /** Loaded files by model name, in the order they arrived. */
  models: Map<string, PredictionFile>;
  /** Files of this shape that could not be loaded: file name → message. */
  failures: Map<string, string>;
}

export class ShapeCollection {
  readonly shapes: Shape[] = [];

  get(key: string): Shape | undefined {
    return this.shapes.find((shape) => shape.key === key);
  }

  /** Shapes the server offers (nothing fetched yet). */
  addServerEntries(entries: readonly ShapeEntry[]): void {
    for (const entry of entries) {
      const shape = this.get(entry.shape) ?? this.create(entry.shape, 'server');
      for (const file of entry.files) if (!shape.pending.some((p) => p.name === file.name)) shape.pending.push(file);
    }
  }

  /** A file fetched for a known shape. */
  addToShape(shape: Shape, file: PredictionFile): void {
    shape.pending = shape.pending.filter((p) => p.name !== file.fileName);
    shape.failures.delete(file.fileName);
    const existing = [...shape.models.entries()].find(([, f]) => f.fileName === file.fileName);
    if (existing) {
      shape.models.set(existing[0], { ...file, model: existing[0] });
      return;
    }
    let model = file.model;
    for (let n = 2; shape.models.has(model); n++) model = `${file.model} (${n})`;
    shape.models.set(model, model === file.model ? file : { ...file, model });
  }

  /** A file opened by the user: finds or creates its shape. */
  addOpenedFile(file: PredictionFile): Shape {
    let shape: Shape | undefined;
    if (file.named) shape = this.get(file.shape);
    else shape = this.shapes.find((s) => [...s.models.values()].some((other) => samePoints(other.points, file.points)));
    if (!shape) {
      let key = file.shape;
      for (let n = 2; this.get(key); n++) key = `${file.shape} (${n})`;
      shape = this.create(key, 'local');
    }
    this.addToShape(shape, file);
    return shape;
  }

  /** Records a file that failed, under its shape when the name tells which. */
  addFailure(shapeKey: string | undefined, fileName: string, message: string): void {
    const shape = shapeKey ? this.get(shapeKey) : undefined;
    if (!shape) return;
    shape.pending = shape.pending.filter((p) => p.name !== fileName);
    shape.failures.set(fileName, message);
  }

  private create(key: string, source: Shape['source']): Shape {
    const shape: Shape = { key, source, pending: [], models: new Map(), failures: new Map() };
    this.shapes.push(shape);
    return shape;
  }
}
