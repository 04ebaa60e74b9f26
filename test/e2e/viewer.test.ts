import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViewerServer } from '../../src/cli/view.ts';
import { chromiumPath, openViewer, type OpenViewer } from './browser.ts';
import { decodePng, type Image } from './png.ts';
import { classificationPly, makeCone, makePlane, makeSphere, segmentationPly, writtenIndex } from './prediction-fixtures.ts';

/**
 * The viewer end to end: `startViewer` (what `bitpoint view` runs) builds the viewer and serves
 * generated prediction files; Chromium (SwiftShader WebGL) opens it; the checks are on the pixels
 * of screenshots. The airplane's binary model predicts its right wing as body (a known set of
 * points), the full-precision model is exact; the cone's binary classifier says "cube".
 */

const BACKGROUND = [27, 30, 36];
const SCREENSHOTS = process.env['BITPOINT_SCREENSHOTS']; // a folder to keep the screenshots in

const plane = makePlane(3000);
const binaryPred = Int32Array.from(plane.labels);
for (const i of plane.rightWing) binaryPred[i] = 0;
const cone = makeCone(1024);

// ---------------------------------------------------------------------------------------------
// Pixels

type Mask = Uint8Array;

function mask(image: Image, test: (r: number, g: number, b: number) => boolean): Mask {
  const out = new Uint8Array(image.width * image.height);
  for (let i = 0; i < out.length; i++) out[i] = test(image.data[i * 4]!, image.data[i * 4 + 1]!, image.data[i * 4 + 2]!) ? 1 : 0;
  return out;
}

/** Anything that is not the canvas background: a drawn point. */
const drawn = (image: Image) => mask(image, (r, g, b) => Math.abs(r - BACKGROUND[0]!) + Math.abs(g - BACKGROUND[1]!) + Math.abs(b - BACKGROUND[2]!) > 24);
/** The error colour (235, 20, 40), also when faded by the depth cue; no part colour passes. */
const red = (image: Image) => mask(image, (r, g, b) => r > 120 && g < 80 && b < 90 && r - g > 80);
/** The disagreement colour (160, 70, 255). */
const violet = (image: Image) => mask(image, (r, g, b) => b > 140 && b - g > 100 && r < 200);

function changed(a: Image, b: Image): Mask {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  const out = new Uint8Array(a.width * a.height);
  for (let i = 0; i < out.length; i++) {
    let delta = 0;
    for (let k = 0; k < 3; k++) delta += Math.abs(a.data[i * 4 + k]! - b.data[i * 4 + k]!);
    out[i] = delta > 30 ? 1 : 0;
  }
  return out;
}

const count = (m: Mask) => m.reduce((sum, v) => sum + v, 0);

function jaccard(a: Mask, b: Mask): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    both += a[i]! & b[i]!;
    either += a[i]! | b[i]!;
  }
  return either === 0 ? 1 : both / either;
}

/** Compares drawn-pixel masks of two images of (nearly) the same size, on their common area. */
function sameDrawing(a: Image, b: Image): number {
  const width = Math.min(a.width, b.width);
  const height = Math.min(a.height, b.height);
  const crop = (image: Image) => {
    const m = drawn(image);
    const out = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) out.set(m.subarray(y * image.width, y * image.width + width), y * width);
    return out;
  };
  return jaccard(crop(a), crop(b));
}

// ---------------------------------------------------------------------------------------------
// Page helpers

async function frames(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.body.dataset['frames'] ?? 0));
}

/** Does something and waits until the viewer has rendered a frame after it. */
async function andRender(page: Page, action: () => Promise<unknown>): Promise<void> {
  const before = await frames(page);
  await action();
  await page.waitForFunction((n) => Number(document.body.dataset['frames'] ?? 0) > n, before, { timeout: 30_000 });
}

async function canvasOf(page: Page, model: string, name?: string): Promise<Image> {
  const png = await page.locator(`section.panel[data-model="${model}"] canvas`).screenshot();
  if (SCREENSHOTS && name) writeFileSync(join(SCREENSHOTS, `${name}.png`), png);
  return decodePng(png);
}

async function setMode(page: Page, mode: string): Promise<void> {
  await andRender(page, () => page.click(`button[data-mode="${mode}"]`));
  await page.waitForSelector(`button[data-mode="${mode}"][aria-pressed="true"]`);
}

async function openShape(page: Page, shape: string, models: string[]): Promise<void> {
  await page.click(`li[data-shape="${shape}"] button`);
  for (const model of models) await page.waitForSelector(`section.panel[data-model="${model}"] canvas`, { timeout: 60_000 });
  await page.waitForSelector('body[data-status="ready"]');
  await page.waitForFunction(() => Number(document.body.dataset['frames'] ?? 0) > 0);
}

async function statText(page: Page, model: string, stat: string): Promise<string> {
  return (await page.locator(`section.panel[data-model="${model}"] [data-stat="${stat}"]`).textContent()) ?? '';
}

// ---------------------------------------------------------------------------------------------

describe.skipIf(!chromiumPath)('viewer in Chromium', () => {
  let dir: string;
  let server: ViewerServer;
  let viewer: OpenViewer | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bitpoint-viewer-'));
    const predictions = join(dir, 'predictions');
    mkdirSync(predictions);
    writeFileSync(join(predictions, 'plane_0__fp32.ply'), segmentationPly(plane.points, plane.labels, plane.labels, { run: 'runs/fp32' }));
    writeFileSync(join(predictions, 'plane_0__binary.ply'), segmentationPly(plane.points, plane.labels, binaryPred, { run: 'runs/binary' }));
    writeFileSync(join(predictions, 'cone_0__fp32.ply'), classificationPly(cone, 0, [0.91, 0.04, 0.03, 0.02]));
    writeFileSync(join(predictions, 'cone_0__binary.ply'), classificationPly(cone, 0, [0.3, 0.55, 0.1, 0.05]));
    // index.json as the demo writes it: the models' facts, the reference, synth-seg's part names.
    const index = writtenIndex(
      [
        { method: 'fp32', label: 'full precision', bits: 32, activation_bits: 32, sparsity: 0, packed_bytes: 3_473_408 },
        { method: 'binary', bits: 1, activation_bits: 1, sparsity: 0.5, packed_bytes: 118_784 },
      ],
      { labels: plane.labels, pred: (method) => (method === 'binary' ? binaryPred : plane.labels) },
      { truth: 0, probabilities: (method) => (method === 'binary' ? [0.3, 0.55, 0.1, 0.05] : [0.91, 0.04, 0.03, 0.02]) },
    );
    writeFileSync(join(predictions, 'index.json'), index);
    viewer = await openViewer(predictions, dir, pageErrors);
    ({ server, page } = viewer);
  });

  afterAll(async () => {
    await viewer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves only browser code: the built bundle imports no node: module', () => {
    const assets = join(dir, 'dist', 'assets');
    for (const name of readdirSync(assets).filter((file) => file.endsWith('.js'))) {
      const code = readFileSync(join(assets, name), 'utf8');
      expect(code).not.toMatch(/(from\s*|import\s*\(\s*|require\s*\(\s*)["']node:/);
      expect(code).not.toMatch(/require\s*\(\s*["'](fs|path|os|child_process|worker_threads)["']/);
    }
  });

  it('serves the manifest and the listed files, nothing else', async () => {
    const manifest = (await (await fetch(new URL('predictions/manifest.json', server.url))).json()) as { files: { name: string }[]; index: unknown };
    expect(manifest.files.map((file) => file.name).sort()).toEqual(['cone_0__binary.ply', 'cone_0__fp32.ply', 'plane_0__binary.ply', 'plane_0__fp32.ply']);
    expect(manifest.index).toMatchObject({ version: 2, entries: expect.arrayContaining([expect.objectContaining({ file: 'plane_0__binary.ply', reference: 'fp32' })]) });
    const file = await fetch(new URL('predictions/plane_0__fp32.ply', server.url));
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).subarray(0, 4).toString()).toBe('ply\n');
    expect((await fetch(new URL('predictions/..%2F..%2Fetc%2Fpasswd', server.url))).status).toBe(404);
    expect((await fetch(new URL('predictions/missing.ply', server.url))).status).toBe(404);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('lists the server files by shape and shows one panel per model with its facts', async () => {
    const shapes = await page.locator('#shape-list li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset['shape']));
    expect(shapes).toEqual(expect.arrayContaining(['plane_0', 'cone_0']));
    await openShape(page, 'plane_0', ['fp32', 'binary']);
    const order = await page.locator('#panels section.panel').evaluateAll((panels) => panels.map((panel) => (panel as HTMLElement).dataset['model']));
    expect(order).toEqual(['fp32', 'binary']);
    const facts = await page.locator('section.panel[data-model="binary"] .facts').textContent();
    expect(facts).toContain('bits 1/1');
    expect(facts).toContain('sparsity 50 %');
    expect(facts).toContain('size 116.0 KiB');
    expect(await page.locator('section.panel[data-model="fp32"] h3').textContent()).toBe('full precision');
    expect(await page.locator('#legend').textContent()).toMatch(/body.*wing.*tail.*engine/);
    for (const model of ['fp32', 'binary']) {
      const image = await canvasOf(page, model, `plane-${model}-pred`);
      const share = count(drawn(image)) / (image.width * image.height);
      expect(share, `${model} canvas is not blank`).toBeGreaterThan(0.02);
    }
  });

  it('scores each model against the ground truth and the full-precision reference', async () => {
    const wrong = plane.rightWing.length;
    const n = plane.labels.length;
    const counts = [0, 1, 2, 3].map((part) => plane.labels.filter((label) => label === part).length);
    // The binary model calls the right wing body: body's union grows, wing loses those points.
    const iou = [counts[0]! / (counts[0]! + wrong), (counts[1]! - wrong) / counts[1]!, 1, 1];
    const miou = iou.reduce((a, b) => a + b) / 4;
    expect(await statText(page, 'binary', 'accuracy')).toBe(`${((1 - wrong / n) * 100).toFixed(1)} %`);
    expect(await statText(page, 'binary', 'miou')).toBe(`${(miou * 100).toFixed(1)} %`);
    expect(await statText(page, 'fp32', 'accuracy')).toBe('100.0 %');
    expect(await statText(page, 'binary', 'differs')).toContain(`differs from fp32 on ${wrong.toLocaleString('en-US')} points`);
    const table = await page.locator('#summary').textContent();
    expect(table).toContain('×29.2 smaller');
  });

  it('shows the facts and part names of the index the demo\'s writer wrote, not "–"', async () => {
    const row = async (model: string) => page.locator(`#summary tr[data-model="${model}"] td`).allTextContents();
    const head = await page.locator('#summary th').allTextContents();
    expect(head.slice(0, 5)).toEqual(['model', 'method', 'bits (W/A)', 'sparsity', 'size']);
    expect((await row('binary')).slice(0, 5)).toEqual(['binary', 'binary', '1/1', '50 %', '116.0 KiB (×29.2 smaller)']);
    expect((await row('fp32')).slice(0, 5)).toEqual(['full precision', 'fp32', '32/32', '0 %', '3.31 MiB']);
    // synth-seg's part table names the plane's parts: in the IoU chart, not "part 0/1/2".
    const bars = await page.locator('section.panel[data-model="binary"] svg.bar-chart .bar-name').allTextContents();
    expect(bars).toEqual(['body', 'wing', 'tail', 'engine']);
    expect(await page.locator('#shape-header').textContent()).toContain('segmentation · Airplane');
  });

  it('colours by truth, prediction, errors and disagreement, with the error colour exactly where predictions are wrong', async () => {
    await setMode(page, 'truth');
    const truthFp = await canvasOf(page, 'fp32', 'plane-fp32-truth');
    const truthBin = await canvasOf(page, 'binary', 'plane-binary-truth');
    // Same points, same truth, linked cameras: the two panels draw the same picture.
    expect(sameDrawing(truthFp, truthBin)).toBeGreaterThan(0.97);

    await setMode(page, 'pred');
    const predFp = await canvasOf(page, 'fp32');
    const predBin = await canvasOf(page, 'binary', 'plane-binary-pred');
    expect(count(changed(truthFp, predFp)), 'fp32 predicts the truth').toBe(0);
    const wrongPixels = changed(truthBin, predBin);
    expect(count(wrongPixels), 'the binary panel differs from the fp32 panel').toBeGreaterThan(200);

    await setMode(page, 'error');
    const errorFp = await canvasOf(page, 'fp32', 'plane-fp32-error');
    const errorBin = await canvasOf(page, 'binary', 'plane-binary-error');
    expect(count(red(errorFp)), 'no error colour on an exact model').toBe(0);
    expect(count(red(errorBin))).toBeGreaterThan(200);
    expect(jaccard(red(errorBin), wrongPixels), 'red exactly where prediction ≠ truth').toBeGreaterThan(0.9);
    expect(count(changed(predBin, errorBin)), 'switching modes changes the pixels').toBeGreaterThan(1000);
    expect(await page.locator('#legend').textContent()).toContain('wrong');

    await setMode(page, 'diff');
    const diffBin = await canvasOf(page, 'binary', 'plane-binary-diff');
    const diffFp = await canvasOf(page, 'fp32');
    expect(count(violet(diffFp))).toBe(0);
    expect(jaccard(violet(diffBin), wrongPixels), 'violet where binary disagrees with fp32').toBeGreaterThan(0.9);
  });

  it('links the cameras: orbiting one panel turns all', async () => {
    await setMode(page, 'truth');
    const before = await canvasOf(page, 'binary');
    const box = (await page.locator('section.panel[data-model="fp32"] canvas').boundingBox())!;
    await andRender(page, async () => {
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2 + 90, box.y + box.height / 2 + 30, { steps: 6 });
      await page.mouse.up();
    });
    const afterFp = await canvasOf(page, 'fp32', 'plane-fp32-orbited');
    const afterBin = await canvasOf(page, 'binary', 'plane-binary-orbited');
    expect(jaccard(drawn(before), drawn(afterBin)), 'the other panel moved too').toBeLessThan(0.8);
    expect(sameDrawing(afterFp, afterBin), 'and shows the same view').toBeGreaterThan(0.97);
    await andRender(page, () => page.click('#reset-view'));
  });

  it('shows a classifier\'s predicted class and its probabilities as a d3 bar chart', async () => {
    await openShape(page, 'cone_0', ['fp32', 'binary']);
    expect(await statText(page, 'fp32', 'predicted')).toBe('cone');
    expect(await statText(page, 'binary', 'predicted')).toBe('cube');
    expect(await statText(page, 'fp32', 'correct')).toContain('correct');
    expect(await statText(page, 'binary', 'correct')).toContain('wrong');
    expect(await page.locator('section.panel[data-model="binary"] svg.bar-chart rect').count()).toBe(4);
    const names = await page.locator('section.panel[data-model="binary"] svg.bar-chart .bar-name').allTextContents();
    expect(names[0]).toBe('cube');
    expect(names.join(' ')).toMatch(/✓ cone/);
    await setMode(page, 'error');
    const errorBin = await canvasOf(page, 'binary', 'cone-binary-error');
    const errorFp = await canvasOf(page, 'fp32');
    expect(count(red(errorFp))).toBe(0);
    expect(count(red(errorBin)) / count(drawn(errorBin)), 'every point of a wrong classification is red').toBeGreaterThan(0.5);
  });

  it('reports a truncated or unsupported file by name and keeps working', async () => {
    const good = segmentationPly(plane.points, plane.labels, plane.labels);
    await page.setInputFiles('#file-input', [
      { name: 'broken__fp32.ply', mimeType: 'application/octet-stream', buffer: Buffer.from(good.subarray(0, Math.floor(good.length / 2))) },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a point cloud') },
    ]);
    const broken = page.locator('.message.error', { hasText: 'broken__fp32.ply' });
    await broken.waitFor({ timeout: 30_000 });
    expect(await broken.textContent()).toMatch(/broken__fp32\.ply.*(byte|end|truncated|short)/i);
    expect(await page.locator('.message.error', { hasText: 'notes.txt' }).textContent()).toContain('unsupported file type .txt');
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'bad-file.png'), fullPage: true });
    // Still working: another shape opens and its colour modes change the picture.
    await openShape(page, 'plane_0', ['fp32', 'binary']);
    await setMode(page, 'pred');
    const pred = await canvasOf(page, 'binary');
    await setMode(page, 'error');
    const error = await canvasOf(page, 'binary');
    expect(count(changed(pred, error))).toBeGreaterThan(1000);
    expect(pageErrors).toEqual([]);
  });

  it('takes a dropped file into its shape as another panel', async () => {
    const ternary = Int32Array.from(plane.labels);
    for (let i = 0; i < 50; i++) ternary[i] = (ternary[i]! + 1) % 4;
    const bytes = Buffer.from(segmentationPly(plane.points, plane.labels, ternary)).toString('base64');
    await page.evaluate((base64) => {
      const binary = atob(base64);
      const data = Uint8Array.from(binary, (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], 'plane_0__ternary.ply'));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, bytes);
    await page.waitForSelector('section.panel[data-model="ternary"] canvas');
    const models = await page.locator('#panels section.panel').evaluateAll((panels) => panels.map((panel) => (panel as HTMLElement).dataset['model']));
    expect(models).toEqual(['fp32', 'binary', 'ternary']);
    expect(await statText(page, 'ternary', 'accuracy')).toBe(`${((1 - 50 / plane.labels.length) * 100).toFixed(1)} %`);
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'plane-three-models.png'), fullPage: true });
  });

  it('renders a 100,000-point cloud', async () => {
    const sphere = makeSphere(100_000);
    const bytes = segmentationPly(sphere.points, sphere.labels, sphere.labels, { run: 'runs/big' });
    await page.setInputFiles('#file-input', [{ name: 'sphere_100k.ply', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) }]);
    // Not named <shape>__<model>: the shape is the file name, the model the run in its comment.
    await page.waitForSelector('section.panel[data-model="big"] canvas', { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('#shape-header')?.textContent?.includes('100,000 points'), undefined, { timeout: 60_000 });
    await setMode(page, 'truth');
    const image = await canvasOf(page, 'big', 'sphere-100k');
    expect(count(drawn(image)) / (image.width * image.height)).toBeGreaterThan(0.2);
    expect(pageErrors).toEqual([]);
  });
});
