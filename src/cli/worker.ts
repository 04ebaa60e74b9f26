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
  usage: 'bitpoint worker --queue redis://HOST:6379 [flags]',
  flags: {
    queue: { type: 'string', arg: 'redis://HOST:PORT', description: "the Redis the sweep's coordinator enqueues into (redis:// or rediss://, user:pass@ allowed) (required)" },
    concurrency: { type: 'string', arg: 'N', description: 'runs trained at once by this worker', number: { integer: true, min: 1, max: 64 }, default: '1' },
    'runs-dir': { type: 'string', arg: 'DIR', description: 'where run folders go (<DIR>/<study>/<run>); a folder shared by every worker lets dependent runs read their source directly', default: 'runs' },
    name: { type: 'string', arg: 'NAME', description: 'how this worker appears in progress and run records', default: 'host name and pid' },
    'lock-seconds': { type: 'string', arg: 'S', description: 'how long a silent worker keeps its run before another takes it', number: { min: 0.5, max: 86400 }, default: '30' },
  },
  examples: [['bitpoint worker --queue redis://lab-server:6379 --runs-dir /shared/runs --name box-1', 'train runs from the lab queue into a shared runs folder']],
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
      concurrency: numberFlag(ctx, 'concurrency') ?? 1,
      timings: { ...DEFAULT_TIMINGS, lockSeconds: numberFlag(ctx, 'lock-seconds') ?? DEFAULT_TIMINGS.lockSeconds },
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
