import { describe, expect, it } from 'vitest';
import { parseBackendRequest, useBackend } from '../../src/backend/select.ts';
import { BackendError } from '../../src/util/errors.ts';

describe('backend selection', () => {
  it('auto takes wasm here (the native bindings are not installed) and reports its kernel fixes', async () => {
    const info = await useBackend('auto');
    expect(info.name).toBe('wasm');
    expect(info.kernelFixes.length).toBeGreaterThan(5);
  });

  it('asking for a missing native backend names the package and the install command', async () => {
    await expect(useBackend('node')).rejects.toThrow(BackendError);
    await expect(useBackend('node')).rejects.toThrow(/npm install @tensorflow\/tfjs-node\b/);
    await expect(useBackend('node-gpu')).rejects.toThrow(/npm install @tensorflow\/tfjs-node-gpu/);
  });

  it('rejects unknown backend names with the list of valid ones', () => {
    expect(() => parseBackendRequest('cuda')).toThrow(/unknown backend 'cuda': choose one of auto, wasm, cpu, node, node-gpu/);
  });
});
