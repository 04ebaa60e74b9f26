import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startViewer, VIEWER_ROOT, type ViewerServer } from '../../src/cli/view.ts';
import { makePlane, segmentationPly } from './prediction-fixtures.ts';

/**
 * What `bitpoint view` answers over HTTP, in both of its modes (the static build and `--dev`):
 * a malformed URL is a short 400, links out of the prediction folder are neither listed nor
 * served, and the dev server serves the viewer, not the rest of the repository.
 */

const REPO = resolve(VIEWER_ROOT, '..');
const plane = makePlane(64);
const ply = segmentationPly(plane.points, plane.labels, plane.labels);
/** What the files out of the folder hold: it must never reach a response. */
const SECRET = 'outside-the-prediction-folder';

let work: string;
let predictions: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bitpoint-serving-'));
  predictions = join(work, 'predictions');
  const outside = join(work, 'outside');
  mkdirSync(join(predictions, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(predictions, 'a__fp.ply'), ply);
  writeFileSync(join(predictions, 'sub', 'b__fp.ply'), ply);
  writeFileSync(join(outside, 'secret.ply'), `ply\ncomment ${SECRET}\n`);
  writeFileSync(join(outside, 'index.json'), JSON.stringify({ version: 2, entries: [], title: SECRET }));
  symlinkSync(join(outside, 'index.json'), join(predictions, 'index.json'));
  symlinkSync(join(outside, 'secret.ply'), join(predictions, 'leak__fp.ply'));
  symlinkSync(outside, join(predictions, 'linked'));
  symlinkSync(join(predictions, 'a__fp.ply'), join(predictions, 'alias__fp.ply')); // inside: fine
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.each(['build', 'dev'] as const)('bitpoint view (%s)', (mode) => {
  let server: ViewerServer;

  beforeAll(async () => {
    server = await startViewer({ dir: predictions, port: 0, mode, outDir: join(work, 'dist') });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  const get = (path: string) => fetch(new URL(path, server.url));

  it('answers a malformed URL with 400 and one short line: no stack trace, no paths', async () => {
    const response = await get('predictions/%E0%A4%A');
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toBe('bad request: the URL is not valid percent-encoding\n');
    const missing = await (await get('predictions/nothing.ply')).text();
    expect(missing).not.toContain(work);
    expect(missing).not.toContain(realpathSync(work));
  });

  it('lists and serves the folder\'s files and links inside it, but no link out of it', async () => {
    const manifest = (await (await get('predictions/manifest.json')).json()) as { files: { name: string }[]; index: unknown; warnings: string[] };
    expect(manifest.files.map((file) => file.name)).toEqual(['a__fp.ply', 'alias__fp.ply', 'sub/b__fp.ply']);
    expect(manifest.index).toBeNull();
    expect(JSON.stringify(manifest)).not.toContain(SECRET);
    expect(manifest.warnings).toEqual(['leak__fp.ply: a link out of the folder; not listed', 'linked: a link out of the folder; not listed', 'index.json: a link out of the folder; not read']);
    const served = await get('predictions/alias__fp.ply');
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer())).toEqual(Buffer.from(ply));
    for (const path of ['predictions/index.json', 'predictions/leak__fp.ply', 'predictions/linked/secret.ply', 'predictions/..%2Foutside%2Fsecret.ply']) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).not.toContain(SECRET);
    }
  });
});

describe('bitpoint view --dev', () => {
  let server: ViewerServer;

  beforeAll(async () => {
    server = await startViewer({ dir: predictions, port: 0, mode: 'dev' });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  const get = (path: string) => fetch(new URL(path, server.url));

  it('serves the viewer and the sources it imports, not the rest of the repository', async () => {
    expect((await get('src/main.ts')).status).toBe(200);
    const reader = await get(`@fs${join(REPO, 'src/data/formats/ply/read.ts')}`);
    expect(reader.status).toBe(200);
    expect(await reader.text()).toContain('parsePly');
    for (const file of ['package.json', 'src/cli/view.ts', 'src/train/run.ts', 'tsconfig.json']) {
      const response = await get(`@fs${join(REPO, file)}`);
      expect(response.status, file).toBe(403);
    }
  });
});
