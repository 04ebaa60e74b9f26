import { parseArgs } from 'node:util';
import { UsageError } from '../util/errors.ts';

/** Flag definitions in `node:util` parseArgs form. */
export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }>;

/** What a command receives: its parsed flags and positionals, and where to write. */
export interface CommandContext {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** stdout: with --json exactly one JSON object goes here, nothing else. */
  out: (text: string) => void;
  /** stderr: progress and logs. */
  log: (text: string) => void;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  flags: FlagSpec;
  /** Returns the exit status (0 on success). Throw BitpointError subclasses for user errors. */
  run(ctx: CommandContext): Promise<number>;
}

/** Flags every command understands, with the same meaning everywhere. */
export const COMMON_FLAGS: FlagSpec = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  backend: { type: 'string' },
};

export function parseCommandArgs(command: Command, argv: string[]): Pick<CommandContext, 'flags' | 'positionals'> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON_FLAGS, ...command.flags },
      allowPositionals: true,
      strict: true,
    });
    return { flags: values as CommandContext['flags'], positionals };
  } catch (error) {
    throw new UsageError(`${command.name}: ${(error as Error).message}\nusage: ${command.usage}`);
  }
}

/** Typed accessors so commands do not repeat the same parsing and validation. */
export function stringFlag(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.flags[name];
  return typeof value === 'string' ? value : undefined;
}

export function numberFlag(ctx: CommandContext, name: string, options: { integer?: boolean; min?: number } = {}): number | undefined {
  const text = stringFlag(ctx, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || (options.integer && !Number.isInteger(value)) || (options.min !== undefined && value < options.min)) {
    const kind = options.integer ? 'an integer' : 'a number';
    const bound = options.min !== undefined ? ` ≥ ${options.min}` : '';
    throw new UsageError(`--${name} must be ${kind}${bound}, got '${text}'`);
  }
  return value;
}

export function booleanFlag(ctx: CommandContext, name: string): boolean {
  return ctx.flags[name] === true;
}
