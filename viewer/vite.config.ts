import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The viewer's build: a static site with relative URLs (`base: './'`), so `viewer/dist/` works
 * from any web server and any sub-path. `bitpoint view` uses this file and adds the endpoint that
 * lists and serves a prediction folder (src/cli/view.ts).
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  clearScreen: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // three is most of the bundle; one chunk of ~700 kB is expected.
    chunkSizeWarningLimit: 1200,
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
