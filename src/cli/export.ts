import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { booleanFlag, missing, stringFlag, type Command } from './command.ts';
import { BACKEND_FLAG, checkpointFlag } from './shared-flags.ts';

/**
 * `bitpoint export --run DIR --out MODEL.bitpoint`: the run's trained model in the packed format
 * (1 bit per binary weight, 2 per ternary, k per k-bit, float32 for full-precision layers,
 * BatchNorm folded) that `bitpoint predict --model`, `bitpoint bench infer` and the viewer run.
 */
export const exportCommand: Command = {
  name: 'export',
  summary: 'Write a trained run as a packed model file (.bitpoint) for the bit-packed inference engine.',
  usage: 'bitpoint export --run DIR --out MODEL.bitpoint [flags]',
  flags: {
    run: { type: 'string', arg: 'DIR', description: 'a run folder written by bitpoint train (required)' },
    out: { type: 'string', arg: 'FILE', description: 'the packed model file to write (required)' },
    checkpoint: checkpointFlag('best'),
    backend: BACKEND_FLAG,
  },
  examples: [['bitpoint export --run runs/pointnet --out pointnet.bitpoint', 'the best checkpoint as a packed model for `predict --model` and the viewer']],
  async run(ctx) {
    const runDir = stringFlag(ctx, 'run');
    const out = stringFlag(ctx, 'out');
    if (!runDir || !out) throw missing(exportCommand, '--run DIR and --out FILE are required');
    const which = (stringFlag(ctx, 'checkpoint') ?? 'best') as 'best' | 'last';
    const { useBackend, parseBackendRequest } = await import('../backend/select.ts');
    const { loadRunModel } = await import('../train/run-model.ts');
    const { exportModel } = await import('../deploy/export.ts');
    const { floatParameterBytes } = await import('../deploy/sizes.ts');
    await useBackend(parseBackendRequest(stringFlag(ctx, 'backend')));
    const { model, card, config, checkpoint } = await loadRunModel(runDir, which);
    const bytes = exportModel(model, card.spec.model, { run: runDir, checkpoint, policy: config.compress, card });
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, bytes);
    const float32Bytes = floatParameterBytes(model);
    const result = { out, model: card.spec.model, packed_bytes: bytes.length, float32_bytes: float32Bytes, compression_ratio: float32Bytes / bytes.length };
    if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify(result));
    else ctx.out(`wrote ${out}: ${bytes.length} bytes, ${(result.compression_ratio).toFixed(2)}× smaller than the float32 parameters (${float32Bytes} bytes)`);
    return 0;
  },
};
