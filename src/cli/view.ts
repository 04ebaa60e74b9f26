import { createReadStream, existsSync, realpathSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { BitpointError } from '../util/errors.ts';
import { booleanFlag, numberFlag, stringFlag, type Command } from './command.ts';

/**
 * `bitpoint view [--dir DIR] [--port N]`: the viewer (viewer/, Vite + three + d3) on
 * http://127.0.0.1:N/ with the prediction PLY files of DIR offered in its list, and DIR's packed
 * models (`.bitpoint`, from `bitpoint export`) offered to run in the page. The page asks for
 * `predictions/manifest.json` (the files, the models and DIR's optional index.json, generated on
 * each request) and `predictions/<file>`; nothing outside DIR's `.ply` and `.bitpoint` files and
 * index.json is served, and a symbolic link counts by where it leads: one out of DIR is neither
 * listed nor served. `--dev` serves only the viewer, the sources it imports and node_modules.
 *
 * By default the viewer is built into viewer/dist (only when its sources changed) and served as
 * the static site it is; `--dev` runs Vite's dev server instead (edits reload the page). `--build`
 * only builds, into `--out` (default viewer/dist), with DIR's files and a manifest copied into
 * `<out>/predictions/`, so the folder can be put on any web server.
 *
 *   const server = await startViewer({ dir: 'runs/demo/predictions', port: 0 });
 *   console.log(server.url);   // http://127.0.0.1:41234/
 *   await server.close();
 */

export const VIEWER_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../viewer');
const VIEWER_CONFIG = join(VIEWER_ROOT, 'vite.config.ts');
const DEFAULT_OUT = join(VIEWER_ROOT, 'dist');
const DEFAULT_DIR = join('runs', 'demo', 'predictions');
/**
 * Sources the viewer depends on (its imports from src/ included): a newer one means rebuild, and
 * they are all `--dev` serves besides node_modules. test/e2e/viewer-imports.test.ts checks the list.
 */
export const VIEWER_SOURCES = [
  VIEWER_ROOT,
  ...['data/formats', 'data/transforms', 'data/palette.ts', 'util', 'deploy', 'experiments/prediction-index.ts', 'nn/ops/entropy-maximizing-offset.ts', 'backend/simd/kernels-binary.ts'].map((path) => resolve(VIEWER_ROOT, '../src', path)),
];
const MAX_FILES = 5000;

/**
 * What Vite's dev server may read: the viewer, the sources it imports and the packages (by their
 * real path too: node_modules may be a link). Vite's default is the whole repository.
 */
function devServingAllowList(): string[] {
  const nodeModules = resolve(VIEWER_ROOT, '../node_modules');
  const real = existsSync(nodeModules) ? realpathSync(nodeModules) : nodeModules;
  return [...new Set([...VIEWER_SOURCES, nodeModules, real])];
}

/**
 * The real path of `path` (links followed) when it lies inside the real folder `root`; undefined
 * when it leads elsewhere or does not exist.
 */
export async function realPathInside(root: string, path: string): Promise<string | undefined> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return undefined;
  }
  const inside = relative(root, real);
  return inside !== '' && inside !== '..' && !inside.startsWith(`..${sep}`) && !isAbsolute(inside) ? real : undefined;
}

export interface ManifestJson {
  dir: string;
  files: { name: string; size_bytes: number }[];
  /** Packed models (`.bitpoint`) under DIR, which the page can run on the shown cloud. */
  models: { name: string; size_bytes: number }[];
  /** DIR/index.json when present (models with their facts, shapes with part/class names). */
  index: unknown;
  warnings: string[];
}

/**
 * The `.ply` and `.bitpoint` files under DIR (subfolders included, names with `/`) and its
 * index.json. Links are followed only where they stay inside DIR.
 */
export async function listPredictionFiles(dir: string): Promise<ManifestJson> {
  const files: ManifestJson['files'] = [];
  const models: ManifestJson['models'] = [];
  const warnings: string[] = [];
  let root: string;
  try {
    root = await realpath(dir);
  } catch {
    return { dir, files, models, index: null, warnings };
  }
  const visited = new Set<string>([root]);
  const walk = async (folder: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules' || files.length + models.length >= MAX_FILES) continue;
      const path = join(folder, entry.name);
      const name = relative(dir, path).split(sep).join('/');
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const real = await realPathInside(root, path);
        if (!real) {
          const target = await stat(path).catch(() => undefined);
          if (target?.isDirectory() || /\.(ply|bitpoint)$/i.test(entry.name)) warnings.push(`${name}: a link out of the folder; not listed`);
          continue;
        }
        const info = await stat(real);
        isDirectory = info.isDirectory() && !visited.has(real);
        isFile = info.isFile();
        if (isDirectory) visited.add(real);
      }
      if (isDirectory) await walk(path);
      else if (isFile && /\.(ply|bitpoint)$/i.test(entry.name)) {
        const listed = { name, size_bytes: (await stat(path)).size };
        (/\.ply$/i.test(entry.name) ? files : models).push(listed);
      }
    }
  };
  await walk(dir);
  if (files.length + models.length >= MAX_FILES) warnings.push(`${dir}: only the first ${MAX_FILES} PLY and .bitpoint files are listed`);
  let index: unknown = null;
  const indexPath = join(dir, 'index.json');
  if (existsSync(indexPath)) {
    const real = await realPathInside(root, indexPath);
    if (!real) warnings.push('index.json: a link out of the folder; not read');
    else {
      try {
        index = JSON.parse(await readFile(real, 'utf8')) as unknown;
      } catch (error) {
        warnings.push(`${indexPath}: not valid JSON (${(error as Error).message}); model facts and names are not shown`);
      }
    }
  }
  return { dir, files, models, index, warnings };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Connect-style middleware for `/predictions/…`, mounted on Vite's dev or preview server. Answers
 * every request itself: a bad one gets a short plain-text status, never a stack trace or a path.
 */
function predictionsMiddleware(dir: string) {
  return async (req: IncomingMessage, res: ServerResponse, next: () => void): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname).replace(/^\/+/, '');
    } catch {
      return sendText(res, 400, 'bad request: the URL is not valid percent-encoding\n');
    }
    try {
      const manifest = await listPredictionFiles(dir);
      if (path === 'manifest.json') {
        const body = JSON.stringify(manifest);
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      // Only files the manifest lists (or index.json), and only where their real path is in DIR.
      const listed = [...manifest.files, ...manifest.models].some((file) => file.name === path) || (path === 'index.json' && manifest.index !== null);
      const file = listed ? await realPathInside(await realpath(dir), join(dir, ...path.split('/'))) : undefined;
      if (!file) return sendText(res, 404, `not found: ${path} is not a prediction file of the folder\n`);
      const size = (await stat(file)).size;
      res.writeHead(200, {
        'content-type': path.endsWith('.json') ? 'application/json; charset=utf-8' : 'application/octet-stream',
        'content-length': size,
        'cache-control': 'no-cache',
      });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file)
        .on('error', () => res.destroy())
        .pipe(res);
    } catch (error) {
      // A file that went away or cannot be read while answering: its code only, no paths.
      const code = (error as NodeJS.ErrnoException).code;
      sendText(res, code === 'ENOENT' ? 404 : 500, `could not read ${path}${code ? ` (${code})` : ''}\n`);
    }
  };
}

/** The Vite plugin that mounts the prediction folder at `predictions/` (dev and preview servers). */
function predictionsPlugin(dir: string): Plugin {
  const middleware = predictionsMiddleware(dir);
  return {
    name: 'bitpoint-predictions',
    configureServer(server) {
      server.middlewares.use('/predictions', (req, res, next) => void middleware(req, res, () => next()));
    },
    configurePreviewServer(server) {
      server.middlewares.use('/predictions', (req, res, next) => void middleware(req, res, () => next()));
    },
  };
}

async function newestMtime(path: string): Promise<number> {
  let info;
  try {
    info = await stat(path);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(path)) {
    if (entry === 'dist' || entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, await newestMtime(join(path, entry)));
  }
  return newest;
}

/** True when `outDir` has no build or one older than the viewer's sources. */
export async function viewerNeedsBuild(outDir = DEFAULT_OUT): Promise<boolean> {
  const built = await newestMtime(join(outDir, 'index.html'));
  if (built === 0) return true;
  const sources = Math.max(...(await Promise.all(VIEWER_SOURCES.map(newestMtime))));
  return sources > built;
}

async function loadVite(): Promise<typeof import('vite')> {
  try {
    return await import('vite');
  } catch {
    throw new BitpointError("the viewer needs the dev dependency 'vite' (npm ci installs it); or serve a built viewer/dist with any web server");
  }
}

/** Builds the static viewer into `outDir` (default viewer/dist). */
export async function buildViewer(options: { outDir?: string; log?: (text: string) => void } = {}): Promise<string> {
  const outDir = resolve(options.outDir ?? DEFAULT_OUT);
  const vite = await loadVite();
  const started = Date.now();
  await vite.build({ configFile: VIEWER_CONFIG, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  options.log?.(`bitpoint view: built the viewer into ${outDir} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return outDir;
}

/** Copies DIR's PLY and .bitpoint files and index.json into `<outDir>/predictions/` with a manifest.json. */
export async function copyPredictions(dir: string, outDir: string): Promise<ManifestJson> {
  const manifest = await listPredictionFiles(dir);
  const target = join(outDir, 'predictions');
  await mkdir(target, { recursive: true });
  const root = await realpath(dir);
  for (const file of [...manifest.files, ...manifest.models]) {
    const from = await realPathInside(root, join(dir, ...file.name.split('/')));
    if (!from) continue; // replaced by a link out of DIR since it was listed
    const to = join(target, ...file.name.split('/'));
    await mkdir(dirname(to), { recursive: true });
    await copyFile(from, to);
  }
  if (manifest.index !== null) await writeFile(join(target, 'index.json'), `${JSON.stringify(manifest.index, null, 2)}\n`);
  await writeFile(join(target, 'manifest.json'), JSON.stringify({ ...manifest, dir: 'predictions' }, null, 1));
  return manifest;
}

export interface ViewerServerOptions {
  /** The prediction folder to offer. */
  dir: string;
  /** 0 picks a free port. Default 5173 (the next free one if taken). */
  port?: number;
  /** `build` (default): build if stale, then serve the static build; `dev`: Vite's dev server. */
  mode?: 'build' | 'dev';
  /** Where the build goes (mode `build`); default viewer/dist. */
  outDir?: string;
  log?: (text: string) => void;
}

export interface ViewerServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the viewer on 127.0.0.1 with DIR's predictions; resolves once it listens. */
export async function startViewer(options: ViewerServerOptions): Promise<ViewerServer> {
  const vite = await loadVite();
  const dir = resolve(options.dir);
  const host = '127.0.0.1';
  const port = options.port ?? 5173;
  const strictPort = options.port !== undefined;
  const plugins = [predictionsPlugin(dir)];
  if (options.mode === 'dev') {
    const fs = { strict: true, allow: devServingAllowList() };
    const server = await vite.createServer({ configFile: VIEWER_CONFIG, logLevel: 'warn', plugins, server: { host, port, strictPort, fs } });
    await server.listen();
    return { url: serverUrl(server.httpServer, host), close: () => server.close() };
  }
  const outDir = resolve(options.outDir ?? DEFAULT_OUT);
  if (await viewerNeedsBuild(outDir)) await buildViewer({ outDir, ...(options.log ? { log: options.log } : {}) });
  const server = await vite.preview({ configFile: VIEWER_CONFIG, logLevel: 'warn', plugins, build: { outDir }, preview: { host, port, strictPort } });
  return {
    url: serverUrl(server.httpServer, host),
    close: () => new Promise<void>((done) => server.httpServer.close(() => done())),
  };
}

function serverUrl(httpServer: { address(): unknown } | null, host: string): string {
  const address = httpServer?.address();
  if (!address || typeof address !== 'object' || !('port' in address)) throw new Error('the viewer server is not listening');
  return `http://${host}:${(address as { port: number }).port}/`;
}

export const viewCommand: Command = {
  name: 'view',
  summary: 'Open the viewer: per-point predictions of several models side by side (three.js, d3), served on 127.0.0.1.',
  usage: 'bitpoint view [flags]',
  flags: {
    dir: { type: 'string', arg: 'DIR', description: 'folder of prediction PLY files and packed models to offer', default: 'runs/demo/predictions' },
    port: { type: 'string', arg: 'N', description: 'port on 127.0.0.1 (0: any free one)', number: { integer: true, min: 0, max: 65535 }, default: '0' },
    dev: { type: 'boolean', description: "run Vite's dev server (edits reload the page)" },
    build: { type: 'boolean', description: 'only build the static viewer, with DIR copied in, into --out' },
    out: { type: 'string', arg: 'DIR', description: 'where --build writes the site', default: 'viewer/dist' },
  },
  examples: [
    ['bitpoint view', "the demo's predictions in the browser"],
    ['bitpoint view --dir runs/mine/predictions --port 8080', 'your own predictions on a fixed port'],
  ],
  async run(ctx) {
    const port = numberFlag(ctx, 'port');
    const explicitDir = stringFlag(ctx, 'dir');
    const dir = explicitDir ?? DEFAULT_DIR;
    if (!existsSync(dir)) {
      if (explicitDir) throw new BitpointError(`--dir ${dir} does not exist (it should hold prediction PLY files, e.g. from bitpoint predict)`);
      ctx.log(`bitpoint view: ${dir} does not exist yet; the list starts empty (open files in the page, or run the demo)`);
    }
    if (booleanFlag(ctx, 'build')) {
      const outDir = await buildViewer({ outDir: stringFlag(ctx, 'out') ?? DEFAULT_OUT, log: ctx.log });
      const manifest = existsSync(dir) ? await copyPredictions(dir, outDir) : undefined;
      if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify({ out: outDir, files: manifest?.files.length ?? 0 }));
      else ctx.out(`built ${outDir}${manifest ? ` with ${manifest.files.length} prediction files from ${dir}` : ''}; serve it with any web server`);
      return 0;
    }
    const server = await startViewer({ dir, ...(port !== undefined ? { port } : {}), mode: booleanFlag(ctx, 'dev') ? 'dev' : 'build', log: ctx.log });
    const { files, models } = await listPredictionFiles(dir);
    if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify({ url: server.url, dir, files: files.length, models: models.length }));
    else ctx.out(`bitpoint viewer: ${server.url}  (${files.length} prediction files${models.length > 0 ? ` and ${models.length} packed models` : ''} from ${dir}; Ctrl-C stops it)`);
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        done();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
    return 0;
  },
};
