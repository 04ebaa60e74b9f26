import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startViewer, type ViewerServer } from '../../src/cli/view.ts';

/**
 * The system's Chromium (Debian's package; CI's .ci/run installs it), never a downloaded browser.
 * WebGL runs on SwiftShader, the CPU renderer, so three.js draws without a GPU.
 * `BITPOINT_CHROMIUM=/path/to/chrome` points elsewhere.
 */
const CANDIDATES = [process.env['BITPOINT_CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const chromiumPath: string | undefined = CANDIDATES.find((path): path is string => !!path && existsSync(path));

export async function launchChromium(): Promise<Browser> {
  if (!chromiumPath) throw new Error('no Chromium found: apt-get install chromium, or set BITPOINT_CHROMIUM');
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
    ],
  });
}

export interface OpenViewer {
  server: ViewerServer;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/**
 * Serves `predictions` with the viewer (built into `workDir/dist`), opens it in Chromium at
 * 1280×900 and waits until the page says it is ready; page errors are collected in `pageErrors`.
 */
export async function openViewer(predictions: string, workDir: string, pageErrors: string[]): Promise<OpenViewer> {
  const server = await startViewer({ dir: predictions, port: 0, outDir: join(workDir, 'dist') });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(server.url);
  await page.waitForSelector('body[data-status="ready"]', { timeout: 60_000 });
  return {
    server,
    browser,
    page,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}
