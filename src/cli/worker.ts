import { UsageError } from '../util/errors.ts';
import { numberFlag, stringFlag, type Command } from './command.ts';

/**
 * `bitpoint worker --queue redis://HOST:6379`: takes runs of distributed sweeps from the queue and
 * trains them into `<runs-dir>/<study>/<run>/` until stopped. Ctrl-C checkpoints the runs in
 * progress and puts them back in the queue (another worker continues them); a second Ctrl-C quits
 * at once (the runs go back to the queue when their lock lapses).
 */
export const workerCommand: Command = {
  name: 'worker',
  summary: 'Train runs of distributed sweeps taken from a Redis queue (see docs/scaling-out.md).',
  usage: 'bitpoint worker --queue redis://HOST:6379 [--concurrency N] [--runs-dir DIR] [--name NAME] [--lock-seconds S] [--backend B]',
  flags: {
    queue: { type: 'string' },
    concurrency: { type: 'string' },
    'runs-dir': { type: 'string' },
    name: { type: 'string' },
    'lock-seconds': { type: 'string' },
  },
  async run(ctx) {
    const url = stringFlag(ctx, 'queue');
    if (!url) throw new UsageError(`worker: --queue redis://HOST:PORT is required\nusage: ${workerCommand.usage}`);
    if (stringFlag(ctx, 'backend')) throw new UsageError('worker: --backend is part of each run\'s config; give it to the sweep, not the worker');
    const { parseQueueUrl } = await import('../experiments/distributed/connection.ts');
    const { startRunWorker } = await import('../experiments/distributed/worker.ts');
    const { DEFAULT_TIMINGS } = await import('../experiments/distributed/timings.ts');
    const name = stringFlag(ctx, 'name');
    if (name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/.test(name)) throw new UsageError(`--name: '${name}' must be letters, digits, '.', '_', ':', '@' or '-'`);
    const worker = await startRunWorker({
      connection: parseQueueUrl(url),
      runsDir: stringFlag(ctx, 'runs-dir') ?? 'runs',
      name,
      concurrency: numberFlag(ctx, 'concurrency', { integer: true, min: 1 }) ?? 1,
      timings: { ...DEFAULT_TIMINGS, lockSeconds: numberFlag(ctx, 'lock-seconds', { min: 0.5 }) ?? DEFAULT_TIMINGS.lockSeconds },
      log: ctx.log,
    });
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.once('SIGINT', () => process.exit(130));
        ctx.log(`worker ${worker.name}: stopping; runs in progress checkpoint and go back to the queue (Ctrl-C again quits at once)`);
        void worker.close().then(resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    ctx.log(`worker ${worker.name}: stopped`);
    return 0;
  },
};
