import { UsageError } from '../util/errors.ts';
import { booleanFlag, stringFlag, type Command } from './command.ts';

/**
 * `bitpoint queue status --queue redis://HOST:6379 [--study NAME] [--json]`: the queue's jobs by
 * state, its workers, and each study's progress as its coordinator last published it.
 */
export const queueCommand: Command = {
  name: 'queue',
  summary: 'Show a distributed sweep queue: jobs, workers and each study\'s progress (status).',
  usage: 'bitpoint queue status --queue redis://HOST:6379 [--study NAME] [--json]',
  flags: {
    queue: { type: 'string', arg: 'redis://HOST:PORT', description: 'the Redis the sweeps enqueue into (required)' },
    study: { type: 'string', arg: 'NAME', description: 'only this study', default: 'every study on the queue' },
  },
  async run(ctx) {
    const [action] = ctx.positionals;
    if (action !== 'status' || ctx.positionals.length > 1) throw new UsageError(`queue: say 'status'\nusage: ${queueCommand.usage}`);
    const url = stringFlag(ctx, 'queue');
    if (!url) throw new UsageError(`queue: --queue redis://HOST:PORT is required\nusage: ${queueCommand.usage}`);
    const { Queue } = await import('bullmq');
    const { parseQueueUrl, connectRedis } = await import('../experiments/distributed/connection.ts');
    const { RUN_QUEUE } = await import('../experiments/distributed/keys.ts');
    const { readQueueStatus, statusLine } = await import('../experiments/distributed/status.ts');
    const connection = parseQueueUrl(url);
    const redis = await connectRedis(connection);
    const queue = new Queue(RUN_QUEUE, { connection: connection.options });
    try {
      const status = await readQueueStatus(queue, redis, connection.display, stringFlag(ctx, 'study'));
      if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify(status));
      else {
        const jobs = Object.entries(status.jobs).map(([state, n]) => `${n} ${state}`).join(', ');
        ctx.out(`queue ${status.queue}: ${jobs}`);
        ctx.out(`workers: ${status.workers.length ? status.workers.map((w) => `${w.name} (${w.address})`).join(', ') : 'none connected'}`);
        for (const study of status.studies) ctx.out(`${study.study} (updated ${study.updated_at}): ${statusLine(study)}`);
      }
      return 0;
    } finally {
      await queue.close();
      redis.disconnect();
    }
  },
};
