import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
