import { readPredictionIndex, type PredictionIndex } from '../../src/experiments/prediction-index.ts';
import { filesFromIndex, groupFilesByShape, parseManifest, type ManifestFile, type ShapeEntry } from './catalog.ts';
import { errorText, fileMessage } from './dom.ts';
import type { MessageLevel } from './messages.ts';
import { isPlyFileName, readPredictionFile, splitPredictionFileName } from './predictions.ts';
import type { Shape, ShapeCollection } from './shapes.ts';

/**
 * Getting files into the page: the server's list (`predictions/manifest.json`, else the folder's
 * `index.json`), the files it offers, and the files the user opens or drops. Every problem is
 * reported as one message naming the file; the rest goes on.
 */

export type Report = (level: MessageLevel, text: string, file?: string) => void;

export interface Catalog {
  shapes: ShapeEntry[];
  /** Packed models (`.bitpoint`) the server offers. */
  models: ManifestFile[];
  index?: PredictionIndex;
  /** Where the list came from, for the sidebar. */
  note: string;
}

async function fetchJson(url: URL): Promise<unknown | undefined> {
  try {
    const response = await fetch(url, { cache: 'no-store' });
    if (!response.ok) return undefined;
    return JSON.parse(await response.text()) as unknown;
  } catch {
    return undefined; // no server list (a static copy without one, or HTML instead of JSON)
  }
}

export async function loadCatalog(base: URL, report: Report): Promise<Catalog> {
  const manifestJson = await fetchJson(new URL('manifest.json', base));
  if (manifestJson !== undefined) {
    try {
      const manifest = parseManifest(manifestJson);
      for (const warning of manifest.warnings) report('warning', warning);
      const where = manifest.dir ?? 'the server';
      return {
        shapes: groupFilesByShape(manifest.files),
        models: manifest.models,
        ...(manifest.index ? { index: manifest.index } : {}),
        note: manifest.files.length > 0 ? `${manifest.files.length} files from ${where}` : `No PLY files in ${manifest.dir ?? 'the server folder'} yet.`,
      };
    } catch (error) {
      report('error', `predictions/manifest.json: ${errorText(error)}`);
    }
  }
  const indexJson = await fetchJson(new URL('index.json', base));
  if (indexJson !== undefined) {
    const { index, warnings } = readPredictionIndex(indexJson, 'predictions/index.json');
    for (const warning of warnings) report('warning', warning);
    if (index) return { shapes: groupFilesByShape(filesFromIndex(index)), models: [], index, note: 'Files listed by predictions/index.json.' };
  }
  return { shapes: [], models: [], note: 'No list from a server: open PLY files or drop them on the page.' };
}

/** Fetches the server files of a shape that are not loaded yet. */
export async function fetchPending(shapes: ShapeCollection, shape: Shape, base: URL, report: Report): Promise<void> {
  await Promise.all(
    [...shape.pending].map(async (entry) => {
      try {
        const url = new URL(entry.name.split('/').map(encodeURIComponent).join('/'), base);
        const response = await fetch(url);
        if (!response.ok) throw new Error(`${entry.name}: the server answered ${response.status} ${response.statusText}`.trim());
        const file = readPredictionFile(await response.arrayBuffer(), entry.name);
        shapes.addToShape(shape, { ...file, model: entry.model });
        for (const warning of file.warnings) report('warning', `${entry.name}: ${warning}`, entry.name);
      } catch (error) {
        const message = fileMessage(entry.name, error);
        shapes.addFailure(shape.key, entry.name, message);
        report('error', `Could not load ${message}`, entry.name);
      }
    }),
  );
}

export interface OpenedFiles {
  /** The last index.json among the files. */
  index?: PredictionIndex;
  /** The shape of the last prediction file read. */
  lastShape?: Shape;
}

/** Files from the picker or a drop (packed models excepted): PLY prediction files and an index.json. */
export async function readOpenedFiles(files: readonly File[], shapes: ShapeCollection, report: Report): Promise<OpenedFiles> {
  const opened: OpenedFiles = {};
  for (const file of files) {
    try {
      if (/\.json$/i.test(file.name)) {
        const { index, warnings } = readPredictionIndex(JSON.parse(await file.text()) as unknown, file.name);
        for (const warning of warnings) report('warning', warning, file.name);
        if (index) opened.index = index;
        continue;
      }
      if (!isPlyFileName(file.name)) {
        const extension = /\.[^.]+$/.exec(file.name)?.[0] ?? 'without an extension';
        throw new Error(`${file.name}: unsupported file type ${extension}; the viewer opens .ply prediction files (and an index.json) and .bitpoint models`);
      }
      const prediction = readPredictionFile(new Uint8Array(await file.arrayBuffer()), file.name);
      opened.lastShape = shapes.addOpenedFile(prediction);
      for (const warning of prediction.warnings) report('warning', `${file.name}: ${warning}`, file.name);
    } catch (error) {
      const message = fileMessage(file.name, error);
      shapes.addFailure(splitPredictionFileName(file.name).shape, file.name, message);
      report('error', `Could not load ${message}`, file.name);
    }
  }
  return opened;
}
