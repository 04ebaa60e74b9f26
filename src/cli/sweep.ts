import { join } from 'node:path';
import { FlagValueError, UsageError } from '../util/errors.ts';
import { booleanFlag, missing, numberFlag, numberOrWordFlag, stringFlag, type Command, type CommandContext } from './command.ts';
import { BACKEND_FLAG } from './shared-flags.ts';
import { RUN_CONFIG_RANGES } from '../train/run-config-ranges.ts';

/**
 * `bitpoint sweep experiments/NAME.json`: expands a study's grid into runs and trains them one
 * after another into `runs/<study>/<run>/`, recording each in the SQLite results store
 * (`runs/<study>/results.sqlite`). `--quick` takes the study's quick variant (its own folder,
 * `runs/<study>-quick/`); `--resume` skips finished runs, reruns failed ones and continues an
 * interrupted one from its checkpoint. Ctrl-C checkpoints the run in progress and stops.
 * `--seeds 1,2`, `--tasks A,B` and `--methods A,B` run only that part of the grid (the rest can
 * follow with `--resume`); a selected fine-tuning method still finds its source's finished runs.
 * `--queue redis://HOST:PORT` spreads the runs over `bitpoint worker`s instead (docs/scaling-out.md):
 * this process then coordinates, records the results in the same store, and trains nothing.
 */
export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'Run a study (experiments/NAME.json) as a resumable sweep; results in runs/<study>/results.sqlite.',
  usage: 'bitpoint sweep STUDY.json [flags]',
  flags: {
    quick: { type: 'boolean', description: "the study's quick variant (its own folder, runs/<study>-quick/)" },
    resume: { type: 'boolean', description: 'skip finished runs, rerun failed ones, continue an interrupted one' },
    'dry-run': { type: 'boolean', description: 'list the planned runs and their config hashes; train nothing' },
    seeds: { type: 'string', arg: 'LIST', description: 'only these seeds (comma-separated)' },
    tasks: { type: 'string', arg: 'LIST', description: 'only these task labels (comma-separated)' },
    methods: { type: 'string', arg: 'LIST', description: 'only these method labels (comma-separated)' },
    db: { type: 'string', arg: 'FILE', description: 'the SQLite results store', default: '<out>/results.sqlite' },
    out: { type: 'string', arg: 'DIR', description: 'where the runs go', default: 'runs/<study>' },
    backend: BACKEND_FLAG,
    workers: { type: 'string', arg: 'N', description: "every run's worker threads (part of each config hash)", number: { integer: true, ...RUN_CONFIG_RANGES.workers, words: ['auto'] }, default: "the study's" },
    queue: { type: 'string', arg: 'redis://HOST:PORT', description: 'spread the runs over `bitpoint worker` processes through this Redis queue (docs/scaling-out.md)' },
    attempts: { type: 'string', arg: 'N', description: 'with --queue: tries per run before it is recorded as failed', number: { integer: true, min: 1, max: 100 }, default: '3' },
    'lock-seconds': { type: 'string', arg: 'S', description: "with --queue: how long a silent worker keeps its run's lock", number: { min: 0.5, max: 86400 }, default: '30' },
    'max-carry-mb': { type: 'string', arg: 'M', description: "with --queue and no shared runs folder: the largest source checkpoint carried through Redis", number: { min: 0, max: 4096 }, default: '128' },
  },
  examples: [
    ['bitpoint sweep experiments/bit-width.json --dry-run', 'the runs the study plans, with their config hashes'],
    ['bitpoint sweep experiments/bit-width.json --quick --methods fp,binary', 'two methods of the quick variant; the rest can follow with --resume'],
    ['bitpoint sweep experiments/bit-width.json --resume', 'continue after Ctrl-C or a failure'],
  ],
  async run(ctx) {
    const file = ctx.positionals[0];
    if (!file || ctx.positionals.length > 1) throw missing(sweepCommand, 'give one study file');
    const { readStudyFile, expandStudy, studyInfoOf, sweepName } = await import('../experiments/study.ts');
    const study = readStudyFile(file);
    const quick = booleanFlag(ctx, 'quick');
    const override: Record<string, unknown> = {};
    const backend = stringFlag(ctx, 'backend');
    if (backend) override['backend'] = backend;
    const workers = numberOrWordFlag(ctx, 'workers');
    if (workers !== undefined) override['workers'] = workers;
    const all = expandStudy(study, { quick, override });
    // Each selection flag keeps the runs whose label (or seed) it lists; unknown entries are errors.
    let runs = all;
    for (const [flag, of] of [
      ['seeds', (r: (typeof all)[number]) => String(r.seed)],
      ['tasks', (r: (typeof all)[number]) => r.task.label],
      ['methods', (r: (typeof all)[number]) => r.method.label],
    ] as const) {
      const value = stringFlag(ctx, flag);
      if (value === undefined) continue;
      const wanted = value.split(',').map((text) => text.trim());
      const known = [...new Set(all.map(of))];
      const unknown = wanted.filter((entry) => !known.includes(entry));
      if (unknown.length > 0) throw new FlagValueError(flag, value, `among the study's ${flag} (${known.join(', ')}); not: ${unknown.join(', ')}`);
      runs = runs.filter((r) => wanted.includes(of(r)));
    }
    const name = sweepName(study, quick);
    const outDir = stringFlag(ctx, 'out') ?? join('runs', name);
    const dbFile = stringFlag(ctx, 'db') ?? join(outDir, 'results.sqlite');
    if (booleanFlag(ctx, 'dry-run')) {
      const plan = runs.map((r) => ({ name: r.name, config_hash: r.configHash, model: r.config.model, method: r.method.label, initializer: r.initializer.label, seed: r.seed, epochs: r.config.epochs, points: r.config.points }));
      if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify({ study: name, out: outDir, db: dbFile, runs: plan }));
      else ctx.out([`${name}: ${runs.length} runs into ${outDir}, results in ${dbFile}`, ...plan.map((p) => `  ${p.config_hash.slice(0, 12)}  ${p.name}  (${p.epochs} epochs, ${p.points} points)`)].join('\n'));
      return 0;
    }
    const { runSweep } = await import('../experiments/runner.ts');
    const { InterruptedError } = await import('../train/run.ts');
    const queueUrl = stringFlag(ctx, 'queue');
    for (const flag of ['lock-seconds', 'attempts', 'max-carry-mb']) {
      if (!queueUrl && stringFlag(ctx, flag) !== undefined) throw new UsageError(`--${flag} applies to a distributed sweep: give --queue too`);
    }
    const distributed = queueUrl ? await distributedSweep(queueUrl, ctx) : null;
    ctx.log(`sweep ${name}: ${runs.length} runs ${distributed ? `through ${distributed.display}` : `into ${outDir}`}, results in ${dbFile}`);
    const controller = new AbortController();
    const onInterrupt = () => {
      if (controller.signal.aborted) process.exit(130);
      ctx.log('\ninterrupt: checkpointing the run in progress (press Ctrl-C again to quit at once)');
      controller.abort();
    };
    process.on('SIGINT', onInterrupt);
    try {
      const common = { dbFile, resume: booleanFlag(ctx, 'resume'), log: ctx.log, signal: controller.signal, studyInfo: studyInfoOf(study, quick) };
      const summary = distributed
        ? await distributed.run(runs, common)
        : await runSweep(runs, { ...common, outDir, onRecorded: (run, status) => ctx.log(`recorded ${run.name}: ${status}`) });
      if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify({ study: name, out: outDir, ...summary }));
      else {
        ctx.out(`sweep ${name}: ${summary.completed} completed, ${summary.skipped} already done, ${summary.failed} failed of ${summary.total} runs (${summary.seconds.toFixed(0)} s); results in ${summary.dbFile}`);
        for (const failure of summary.failures) ctx.out(`  failed: ${failure.name}: ${failure.error}`);
        ctx.out(`report: bitpoint report --db ${summary.dbFile} --study ${name} --out ${join(outDir, 'report')}`);
      }
      return summary.failed > 0 ? 1 : 0;
    } catch (error) {
      if (error instanceof InterruptedError && distributed) {
        ctx.log(`coordinator stopped: the workers go on with the queued runs; record their results with: ${resumeCommand(file, ctx)}`);
        return 130;
      }
      if (error instanceof InterruptedError) {
        ctx.log(`sweep interrupted: the run in progress saved a checkpoint; continue with: ${resumeCommand(file, ctx)}`);
        return 130;
      }
      throw error;
    } finally {
      process.off('SIGINT', onInterrupt);
    }
  },
};

/**
 * The command that continues an interrupted sweep: the same study, selection and output, with
 * --resume (the run's own hint lacks the sweep's flags). --backend and --workers come back too:
 * they are part of each run's config hash, so without them the sweep would start other runs.
 */
export function resumeCommand(file: string, ctx: Pick<CommandContext, 'flags'>): string {
  // The queue URL's password is never printed: the hint shows `***` in its place.
  const shown = (name: string, value: string) => (name === 'queue' ? value.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@') : value);
  const flag = (name: string) => (typeof ctx.flags[name] === 'string' ? `--${name} ${shown(name, ctx.flags[name] as string)}` : '');
  const parts = [file, ctx.flags['quick'] === true ? '--quick' : '', ...['seeds', 'tasks', 'methods', 'backend', 'workers', 'db', 'out', 'queue', 'lock-seconds', 'attempts', 'max-carry-mb'].map(flag), '--resume'];
  return `bitpoint sweep ${parts.filter(Boolean).join(' ')}`;
}

/** The coordinator of a sweep over `bitpoint worker`s, with the flags that tune it. */
async function distributedSweep(url: string, ctx: CommandContext) {
  const { parseQueueUrl } = await import('../experiments/distributed/connection.ts');
  const { runDistributedSweep } = await import('../experiments/distributed/coordinator.ts');
  const { DEFAULT_TIMINGS } = await import('../experiments/distributed/timings.ts');
  const connection = parseQueueUrl(url);
  const timings = {
    ...DEFAULT_TIMINGS,
    lockSeconds: numberFlag(ctx, 'lock-seconds') ?? DEFAULT_TIMINGS.lockSeconds,
    attempts: numberFlag(ctx, 'attempts') ?? DEFAULT_TIMINGS.attempts,
  };
  const maxCarryBytes = Math.round((numberFlag(ctx, 'max-carry-mb') ?? DEFAULT_MAX_CARRY_MB) * 1e6);
  return {
    display: connection.display,
    run: (runs: Parameters<typeof runDistributedSweep>[0], common: Omit<Parameters<typeof runDistributedSweep>[1], 'connection' | 'timings' | 'maxCarryBytes'>) =>
      runDistributedSweep(runs, { ...common, connection, timings, maxCarryBytes }),
  };
}

/** Run folders up to this size travel through Redis to the runs that start from them. */
const DEFAULT_MAX_CARRY_MB = 128;
