import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

/** The committed tiny data sets in real layouts. */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'datasets');

const made: string[] = [];

/** A fresh temporary folder, removed after the test. */
export async function tempDir(label = 'data'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `bitpoint-${label}-`));
  made.push(dir);
  return dir;
}

/** A writable copy of a fixture (for tests that change files or let the cache write beside them). */
export async function fixtureCopy(name: string): Promise<string> {
  const dir = join(await tempDir(name), name);
  await cp(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

afterEach(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Collects logger lines. */
export function lines(): { log: (line: string) => void; seen: string[] } {
  const seen: string[] = [];
  return { log: (line) => seen.push(line), seen };
}
