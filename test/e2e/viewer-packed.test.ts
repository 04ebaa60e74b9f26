import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/select.ts';
import type { ViewerServer } from '../../src/cli/view.ts';
import { applyPolicy } from '../../src/compress/policy.ts';
import { resolvePolicy } from '../../src/compress/resolve.ts';
import { centerAndScaleToUnitSphere } from '../../src/data/transforms/normalize.ts';
import { Engine } from '../../src/deploy/engine/engine.ts';
import { createEngineKernels } from '../../src/deploy/engine/select-kernels.ts';
import { exportModel } from '../../src/deploy/export.ts';
import { readPackedModel } from '../../src/deploy/format.ts';
import { createModel } from '../../src/models/registry.ts';
import { Rng } from '../../src/util/rng.ts';
import { formatBytes } from '../../viewer/src/format.ts';
import type {} from '../../viewer/src/packed-panels.ts'; // the type of window.__bitpoint
import { chromiumPath, openViewer, type OpenViewer } from './browser.ts';
import { CLASSES, classificationPly, makeCone, makePlane, segmentationPly, writtenIndex } from './prediction-fixtures.ts';

/**
 * Packed models run in the page: the server offers a part-segmentation model (`pointnet-seg`, full
 * precision, two categories so the category's parts restrict the argmax) next to the prediction
 * files; a BiPointNet classifier is dropped on the page. The page's per-point predictions
 * must equal the engine's in Node on the same cloud, and a tampered file must show the format's
 * error in the page without breaking it.
 */

const SCREENSHOTS = process.env['BITPOINT_SCREENSHOTS']; // a folder to keep the screenshots in
const PART_TABLE = { partCount: 6, categories: [{ name: 'Airplane', parts: [0, 1, 2, 3] }, { name: 'Mug', parts: [4, 5] }] };
const plane = makePlane(2048);
const cone = makeCone(1024);

/** A freshly initialized model, exported. Seeded: seed 2 gives a segmentation that varies over the plane. */
function packed(name: string, policy: string, numClasses: number, extra: Record<string, unknown>, card: Record<string, unknown>): Uint8Array {
  const rng = new Rng(2);
  const model = createModel(name, { rng, numClasses, ...extra });
  applyPolicy(model, resolvePolicy(policy), { rng });
  if (policy !== 'fp') {
    // one training-mode pass initializes data-dependent quantizer state, as in test/deploy/engine.test.ts
    tf.tidy(() => {
      model.train(true);
      model.forward({ inputs: tf.randomNormal([2, 64, 3], 0, 1, 'float32', 2), categories: tf.tensor1d([0, 1], 'int32') });
    });
  }
  model.eval();
  return exportModel(model, name, { policy, card: { points: 1024, normals: false, ...card } });
}

/** What `bitpoint predict` computes, with the engine in Node. */
async function nodeLogits(bytes: Uint8Array, points: Float32Array, category?: number): Promise<{ logits: Float32Array; kernels: string }> {
  const engine = new Engine(readPackedModel(bytes), { kernels: await createEngineKernels() });
  const normalized = centerAndScaleToUnitSphere()({ id: 'test', points }, new Rng(0)).points;
  return { logits: engine.run({ values: normalized, ...(category !== undefined ? { category } : {}) }), kernels: engine.kernels.name };
}

describe.skipIf(!chromiumPath)('packed models in the viewer', () => {
  let dir: string;
  let server: ViewerServer;
  let viewer: OpenViewer | undefined;
  let page: Page;
  let segBytes: Uint8Array;
  let clsBytes: Uint8Array;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await useBackend('cpu');
    segBytes = packed('pointnet-seg', 'fp', PART_TABLE.partCount, { numCategories: 2 }, { task: 'segmentation', partTable: PART_TABLE });
    clsBytes = packed('pointnet-vanilla', 'bipointnet', CLASSES.length, {}, { task: 'classification', classNames: [...CLASSES] });
    dir = mkdtempSync(join(tmpdir(), 'bitpoint-viewer-packed-'));
    const predictions = join(dir, 'predictions');
    mkdirSync(predictions);
    writeFileSync(join(predictions, 'plane_0__fp32.ply'), segmentationPly(plane.points, plane.labels, plane.labels, { run: 'runs/fp32' }));
    writeFileSync(join(predictions, 'cone_0__fp32.ply'), classificationPly(cone, 0, [0.91, 0.04, 0.03, 0.02]));
    const index = writtenIndex(
      [{ method: 'fp32', bits: 32, activation_bits: 32, sparsity: 0, packed_bytes: 3_473_408 }],
      { labels: plane.labels, pred: () => plane.labels },
      { truth: 0, probabilities: () => [0.91, 0.04, 0.03, 0.02] },
    );
    writeFileSync(join(predictions, 'index.json'), index);
    writeFileSync(join(predictions, 'plane-seg.bitpoint'), segBytes);
    viewer = await openViewer(predictions, dir, pageErrors);
    ({ server, page } = viewer);
  });

  afterAll(async () => {
    await viewer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function openShape(shape: string): Promise<void> {
    await page.click(`li[data-shape="${shape}"] button`);
    await page.waitForSelector(`section.panel[data-model="fp32"][title^="${shape}"] canvas`, { timeout: 30_000 });
  }

  async function pagePrediction(shape: string, model: string) {
    return page.evaluate(
      ([shape, model]) => {
        const run = window.__bitpoint?.packed[`${shape}\n${model}`];
        return run && { ...run, pred: Array.from(run.pred), probabilities: run.probabilities && Array.from(run.probabilities) };
      },
      [shape, model] as const,
    );
  }

  it('lists the served .bitpoint file and runs it on the shown cloud, as the engine in Node does', async () => {
    const manifest = (await (await fetch(new URL('predictions/manifest.json', server.url))).json()) as { models: { name: string; size_bytes: number }[] };
    expect(manifest.models).toEqual([{ name: 'plane-seg.bitpoint', size_bytes: segBytes.length }]);
    await openShape('plane_0');
    await page.click('#model-list li[data-packed-model="plane-seg.bitpoint"] button');
    const panel = page.locator('section.panel[data-model="plane-seg.bitpoint"][data-packed="ready"]');
    await panel.waitFor({ timeout: 30_000 });

    const run = (await pagePrediction('plane_0', 'plane-seg.bitpoint'))!;
    expect(run).toMatchObject({ task: 'segmentation', category: 0 }); // index.json: the shape is an Airplane
    const { logits, kernels } = await nodeLogits(segBytes, plane.points, 0);
    expect(run.kernels, 'the page and Node run the same kernels').toBe(kernels);
    // argmax over the Airplane's parts only, as `bitpoint predict` does
    const k = PART_TABLE.partCount;
    const expected = Array.from({ length: plane.labels.length }, (_, i) => [0, 1, 2, 3].reduce((best, p) => (logits[i * k + p]! > logits[i * k + best]! ? p : best), 0));
    expect(new Set(expected).size, 'the model predicts more than one part').toBeGreaterThan(1);
    expect(run.pred).toEqual(expected);

    // name, size, run time, and scores against the ground truth like any other panel
    expect(await panel.locator('h3').textContent()).toBe('plane-seg.bitpoint');
    expect(await panel.locator('[data-fact="size"]').textContent()).toContain(formatBytes(segBytes.length));
    expect(await panel.locator('[data-stat="engine-ms"]').textContent()).toMatch(/^\d+\.\d ms$/);
    const accuracy = expected.filter((part, i) => part === plane.labels[i]).length / expected.length;
    expect(await panel.locator('[data-stat="accuracy"]').textContent()).toBe(`${(accuracy * 100).toFixed(1)} %`);
    expect(await page.locator('#summary').textContent()).toContain('plane-seg.bitpoint');
    // the error colour mode marks its wrong points, as for the PLY models
    await page.click('button[data-mode="error"]');
    expect(await panel.locator('.note').textContent()).toBe('');
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'packed-segmentation.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('runs a dropped classifier and shows its class and probability', async () => {
    await openShape('cone_0');
    await page.evaluate((base64) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], 'cone-cls.bitpoint'));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, Buffer.from(clsBytes).toString('base64'));
    const panel = page.locator('section.panel[data-model="cone-cls.bitpoint"][data-packed="ready"]');
    await panel.waitFor({ timeout: 30_000 });
    const run = (await pagePrediction('cone_0', 'cone-cls.bitpoint'))!;
    const { logits } = await nodeLogits(clsBytes, cone);
    const predicted = logits.indexOf(Math.max(...logits));
    expect(run.pred).toEqual(new Array(cone.length / 3).fill(predicted));
    expect(await panel.locator('[data-stat="predicted"]').textContent()).toBe(CLASSES[predicted]);
    const probability = run.probabilities![predicted]!;
    expect(await panel.locator('.predicted').textContent()).toContain(`${(probability * 100).toFixed(1)} %`);
    // the segmentation model cannot label a classification shape: said in its panel, not a crash
    expect(await page.locator('section.panel.failed[data-file="plane-seg.bitpoint"]').textContent()).toContain('segmentation model');
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'packed-classification.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('shows what does not match in a tampered file opened through the file input, and keeps working', async () => {
    const tampered = Buffer.from(segBytes);
    tampered[tampered.length - 100] ^= 0x01;
    await page.setInputFiles('#model-input', [{ name: 'tampered.bitpoint', mimeType: 'application/octet-stream', buffer: tampered }]);
    const message = page.locator('.message.error', { hasText: 'tampered.bitpoint' });
    await message.waitFor({ timeout: 30_000 });
    expect(await message.textContent()).toMatch(/tampered\.bitpoint: checksum mismatch/);
    expect(await page.locator('section.panel[data-model="tampered.bitpoint"]').count()).toBe(0);
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'packed-tampered.png'), fullPage: true });
    await openShape('plane_0');
    await page.locator('section.panel[data-model="plane-seg.bitpoint"][data-packed="ready"]').waitFor();
    expect(pageErrors).toEqual([]);
  });
});
