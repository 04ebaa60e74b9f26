import { homedir } from 'node:os';
import { BitpointError, UsageError } from '../util/errors.ts';
import { clip } from '../util/clip.ts';
import { commandHelp, parseCommandArgs, type Command, type CommandContext } from './command.ts';

/**
 * The `bitpoint` entry point. Commands are loaded lazily so that `bitpoint inspect` does not pay
 * for starting TensorFlow.js. Exit status (docs/cli.md): 0 success, 1 a bad value, file or config,
 * 2 wrong usage (unknown command or flag, missing argument), 130 interrupted.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  bench: async () => (await import('./bench.ts')).benchCommand,
  train: async () => (await import('./train.ts')).trainCommand,
  demo: async () => (await import('./demo.ts')).demoCommand,
  eval: async () => (await import('./eval.ts')).evalCommand,
  predict: async () => (await import('./predict.ts')).predictCommand,
  export: async () => (await import('./export.ts')).exportCommand,
  data: async () => (await import('./data.ts')).dataCommand,
  inspect: async () => (await import('./inspect.ts')).inspectCommand,
  summary: async () => (await import('./summary.ts')).summaryCommand,
  activations: async () => (await import('./activations.ts')).activationsCommand,
  view: async () => (await import('./view.ts')).viewCommand,
  sweep: async () => (await import('./sweep.ts')).sweepCommand,
  report: async () => (await import('./report.ts')).reportCommand,
  worker: async () => (await import('./worker.ts')).workerCommand,
  queue: async () => (await import('./queue.ts')).queueCommand,
};

/** The order `bitpoint --help` lists commands in: the usual path through a study first. */
const HELP_ORDER = ['demo', 'train', 'eval', 'sweep', 'report', 'predict', 'view', 'export', 'summary', 'activations', 'inspect', 'data', 'bench'];

async function help(): Promise<string> {
  const names = [...HELP_ORDER.filter((name) => name in COMMANDS), ...Object.keys(COMMANDS).filter((name) => !HELP_ORDER.includes(name)).sort()];
  const commands = await Promise.all(names.map(async (name) => [name, (await COMMANDS[name]!()).summary] as const));
  const width = Math.max(...names.map((name) => name.length));
  return [
    'usage: bitpoint <command> [flags]',
    '',
    'bitpoint makes neural networks for point clouds small (pruning, binarization, ternarization, low-bit quantization) and measures what it costs.',
    '',
    'commands:',
    ...commands.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`),
    '',
    "'bitpoint <command> --help' lists a command's flags, their values and defaults, and examples.",
    'Exit status: 0 success, 1 a bad value, file or config, 2 wrong usage, 130 interrupted.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const log = (text: string) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const debug = argv.includes('--debug');
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0] && COMMANDS[rest[0]] ? await COMMANDS[rest[0]]!() : undefined;
    out(topic ? await commandHelp(topic) : await help());
    return 0;
  }
  if (!name || name.startsWith('-')) {
    // no command: a usage error, so the help goes to stderr (stdout may be a pipe expecting JSON)
    log(`${name ? `bitpoint: give a command before the flags\n` : ''}${await help()}`);
    return 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    log(`bitpoint: unknown command '${clip(name, 40)}' (see 'bitpoint --help'); commands: ${Object.keys(COMMANDS).sort().join(', ')}`);
    return 2;
  }
  try {
    const command = await load();
    const parsed = await parseCommandArgs(command, rest);
    if (parsed.flags['help']) {
      out(await commandHelp(command));
      return 0;
    }
    const ctx: CommandContext = { ...parsed, out, log };
    return await command.run(ctx);
  } catch (error) {
    log(`bitpoint: ${describeError(error, debug)}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

/**
 * One line for the user: a BitpointError's message; a system error (a file that cannot be opened,
 * a name too long) as its code and path; anything else as an internal error. Stack traces and
 * absolute paths only with --debug.
 */
export function describeError(error: unknown, debug = false): string {
  if (debug) return error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (error instanceof BitpointError) return shortenPaths(firstLines(error.message));
  const system = error as NodeJS.ErrnoException;
  if (system && typeof system.code === 'string' && typeof system.syscall === 'string') {
    const path = system.path ? `${clip(shortenPaths(system.path))}: ` : '';
    return `${path}${SYSTEM_ERRORS[system.code] ?? system.code} (${system.syscall})`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `internal error: ${clip(shortenPaths(message.split('\n')[0] ?? ''), 200)} (rerun with --debug for the stack trace, and please report it)`;
}

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  ENAMETOOLONG: 'name too long',
  ENOSPC: 'no space left on the device',
  EEXIST: 'already exists',
};

/** A usage error may carry a second line; everything else is kept to its first line. */
function firstLines(message: string): string {
  return message.split('\n').slice(0, 2).join('\n');
}

/** Paths under the working folder as relative ones, the home folder as `~`. */
function shortenPaths(text: string): string {
  const cwd = process.cwd();
  let result = cwd.length > 1 ? text.split(`${cwd}/`).join('') : text;
  const home = homedir();
  if (home.length > 1) result = result.split(`${home}/`).join('~/');
  return result;
}
