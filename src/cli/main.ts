import { BitpointError, UsageError } from '../util/errors.ts';
import { parseCommandArgs, type Command, type CommandContext } from './command.ts';

/**
 * The `bitpoint` entry point. Commands are loaded lazily so that `bitpoint inspect` does not pay
 * for starting TensorFlow.js. Exit status: 0 success, 1 user error (bad file or config), 2 usage.
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

function help(): string {
  const names = Object.keys(COMMANDS).sort().join(', ');
  return `usage: bitpoint <command> [flags]\ncommands: ${names}\n'bitpoint <command> --help' shows a command's flags.`;
}

export async function main(argv: string[]): Promise<number> {
  const log = (text: string) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(help());
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    log(`bitpoint: unknown command '${name}'\n${help()}`);
    return 2;
  }
  try {
    const command = await load();
    const parsed = parseCommandArgs(command, rest);
    if (parsed.flags.help) {
      out(`usage: ${command.usage}\n${command.summary}`);
      return 0;
    }
    const ctx: CommandContext = { ...parsed, out, log };
    return await command.run(ctx);
  } catch (error) {
    if (error instanceof UsageError) {
      log(`bitpoint: ${error.message}`);
      return 2;
    }
    if (error instanceof BitpointError) {
      log(`bitpoint: ${error.message}`);
      return 1;
    }
    log(`bitpoint: internal error: ${(error as Error)?.stack ?? String(error)}`);
    return 1;
  }
}
