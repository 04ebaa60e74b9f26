import { parseArgs } from 'node:util';
import { FlagValueError, UsageError } from '../util/errors.ts';
import { clip } from '../util/clip.ts';
import type { NumericRange } from '../train/run-config-ranges.ts';

/**
 * The CLI's flag framework: each command declares its flags once (type, description, default,
 * valid values, numeric range), and that one declaration drives parsing, validation and `--help`.
 *
 * Exit-status rule (docs/cli.md): an unknown flag, a missing value or a missing argument is a
 * usage error (exit 2, with a pointer to --help); a flag given a value it does not accept is a
 * value error (exit 1, one line naming the flag, the value and what it accepts).
 */
export interface FlagDef {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** One line for --help. */
  description?: string;
  /** The placeholder after the flag in --help (N, FILE, DIR, …); defaults to VALUE. */
  arg?: string;
  /** The default as --help shows it; the command applies it (it may depend on other flags). */
  default?: string;
  /**
   * The values the flag takes: a list, or a loader reading them from a registry (models, presets,
   * backends), so a name is never typed twice. Enforced unless `open` is set.
   */
  values?: readonly string[] | (() => Promise<readonly string[]>);
  /** The values are the known names, but something else (a folder, a file) is accepted too. */
  open?: string;
  /** A numeric flag: checked here, so every command rejects a bad number the same way. */
  number?: NumericRange & { integer?: boolean; /** words accepted besides numbers, e.g. 'auto' */ words?: readonly string[] };
}

/** Flag definitions by long name. */
export type FlagSpec = Record<string, FlagDef>;

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
  /** The synopsis line: positionals and the shape of the call, e.g. `bitpoint sweep STUDY.json [flags]`. */
  usage: string;
  flags: FlagSpec;
  /** Example invocations for --help, each with what it does. */
  examples?: readonly (readonly [command: string, what: string])[];
  /** Returns the exit status (0 on success). Throw BitpointError subclasses for user errors. */
  run(ctx: CommandContext): Promise<number>;
}

/** Flags every command understands, with the same meaning everywhere. */
export const COMMON_FLAGS: FlagSpec = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  json: { type: 'boolean', description: 'print one JSON object on stdout (logs stay on stderr)' },
  debug: { type: 'boolean', description: 'show stack traces and full paths in error messages' },
};

function allFlags(command: Command): FlagSpec {
  return { ...COMMON_FLAGS, ...command.flags };
}

export async function parseCommandArgs(command: Command, argv: string[]): Promise<Pick<CommandContext, 'flags' | 'positionals'>> {
  const spec = allFlags(command);
  let parsed;
  try {
    parsed = parseArgs({
      args: attachDashValues(argv, spec),
      options: Object.fromEntries(Object.entries(spec).map(([name, def]) => [name, { type: def.type, ...(def.short ? { short: def.short } : {}), ...(def.multiple ? { multiple: true } : {}) }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${command.name}: ${describeParseError(error as Error & { code?: string }, spec)} (see 'bitpoint ${command.name} --help')`);
  }
  const flags = parsed.values as CommandContext['flags'];
  if (flags['help'] !== true) {
    for (const [name, value] of Object.entries(flags)) {
      const def = spec[name];
      if (def && typeof value === 'string') await checkValue(name, def, value);
    }
  }
  return { flags, positionals: parsed.positionals };
}

/**
 * `--epochs -1`: node's parser takes `-1` for an option and refuses it as ambiguous; a string
 * flag's next word is its value unless it is itself one of the command's flags.
 */
function attachDashValues(argv: string[], spec: FlagSpec): string[] {
  const isFlag = (word: string) => word === '--' || (word.startsWith('--') ? word.slice(2).split('=')[0]! in spec : Object.values(spec).some((d) => d.short && word === `-${d.short}`));
  const result: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    const next = argv[i + 1];
    if (word === '--') {
      result.push(...argv.slice(i));
      break;
    }
    if (word.startsWith('--') && !word.includes('=') && spec[word.slice(2)]?.type === 'string' && next !== undefined && next.startsWith('-') && next !== '-' && !isFlag(next)) {
      result.push(`${word}=${next}`);
      i++;
    } else result.push(word);
  }
  return result;
}

function describeParseError(error: Error & { code?: string }, spec: FlagSpec): string {
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
    const name = option.replace(/^-+/, '');
    const guess = closest(name, Object.keys(spec));
    return `unknown flag ${clip(option, 40)}${guess ? ` (did you mean --${guess}?)` : ''}`;
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    const name = option.replace(/^-+/, '').replace(/ .*/, '');
    return spec[name]?.type === 'boolean' ? `--${name} takes no value` : `--${name} needs a value`;
  }
  return error.message.split('\n')[0]!;
}

/** The flag name nearest to a mistyped one (at most two edits away), for "did you mean". */
function closest(name: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of names) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) (best = candidate, bestDistance = distance);
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

async function checkValue(name: string, def: FlagDef, value: string): Promise<void> {
  if (def.number) {
    if (def.number.words?.includes(value)) return;
    const number = Number(value);
    const { integer, min, max, exclusiveMin, words } = def.number;
    const aboveMin = min === undefined || (exclusiveMin ? number > min : number >= min);
    const inRange = value.trim() !== '' && Number.isFinite(number) && (!integer || Number.isInteger(number)) && aboveMin && (max === undefined || number <= max);
    if (!inRange) throw new FlagValueError(name, value, describeNumber(def.number) + (words?.length ? ` or ${words.join(', ')}` : ''));
    return;
  }
  if (def.values && !def.open) {
    const values = await valuesOf(def);
    if (!values.includes(value)) throw new FlagValueError(name, value, `one of ${values.join(', ')}`);
  }
}

export function describeNumber(range: NumericRange & { integer?: boolean }): string {
  const kind = range.integer ? 'an integer' : 'a number';
  if (range.exclusiveMin && range.min !== undefined) return `${kind} > ${range.min}${range.max !== undefined ? ` and ≤ ${range.max}` : ''}`;
  if (range.min !== undefined && range.max !== undefined) return `${kind} from ${range.min} to ${range.max}`;
  if (range.min !== undefined) return `${kind} ≥ ${range.min}`;
  if (range.max !== undefined) return `${kind} ≤ ${range.max}`;
  return kind;
}

async function valuesOf(def: FlagDef): Promise<readonly string[]> {
  if (!def.values) return [];
  return typeof def.values === 'function' ? def.values() : def.values;
}

/** `bitpoint CMD --help`: synopsis, what it does, every flag with its values and default, examples. */
export async function commandHelp(command: Command): Promise<string> {
  const rows: [string, string][] = [];
  for (const [name, def] of Object.entries(allFlags(command))) {
    const left = `${def.short ? `-${def.short}, ` : '    '}--${name}${def.type === 'string' ? ` ${def.arg ?? 'VALUE'}` : ''}`;
    const details: string[] = [];
    if (def.values) details.push(`${def.open ? 'known' : 'one of'}: ${(await valuesOf(def)).join(', ')}${def.open ? `, ${def.open}` : ''}`);
    if (def.number) details.push(describeNumber(def.number) + (def.number.words?.length ? ` or ${def.number.words.join(', ')}` : ''));
    if (def.default !== undefined) details.push(`default: ${def.default}`);
    rows.push([left, `${def.description ?? ''}${details.length ? ` (${details.join('; ')})` : ''}`]);
  }
  const width = Math.max(...rows.map(([left]) => left.length));
  const lines = [`usage: ${command.usage}`, '', command.summary, '', 'flags:', ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)];
  if (command.examples?.length) {
    lines.push('', 'examples:');
    for (const [example, what] of command.examples) lines.push(`  ${example}`, `      ${what}`);
  }
  return lines.join('\n');
}

/** Typed accessors so commands do not repeat the same parsing and validation. */
export function stringFlag(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** A numeric flag; its range was checked when the arguments were parsed (FlagDef.number). */
export function numberFlag(ctx: CommandContext, name: string): number | undefined {
  const text = stringFlag(ctx, name);
  return text === undefined ? undefined : Number(text);
}

/** A numeric flag that also takes words (`--workers auto`). */
export function numberOrWordFlag(ctx: CommandContext, name: string): number | string | undefined {
  const text = stringFlag(ctx, name);
  if (text === undefined) return undefined;
  const number = Number(text);
  return text.trim() !== '' && Number.isFinite(number) ? number : text;
}

export function booleanFlag(ctx: CommandContext, name: string): boolean {
  return ctx.flags[name] === true;
}

/** A missing required flag or argument: a usage error pointing at --help. */
export function missing(command: Pick<Command, 'name'>, what: string): UsageError {
  return new UsageError(`${command.name}: ${what} (see 'bitpoint ${command.name} --help')`);
}
