import { clip } from './clip.ts';

/**
 * One error class per domain. Each carries what a user needs to act on it: the file and position
 * for a bad file, the key path for a bad config. The CLI prints `message` as one line and exits 1.
 */
export class BitpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A file that cannot be read: names the file and where (byte offset or line) it goes wrong. */
export class FormatError extends BitpointError {
  readonly file: string;
  readonly position?: { byte?: number; line?: number; column?: number };
  constructor(file: string, problem: string, position?: { byte?: number; line?: number; column?: number }) {
    const column = position?.column !== undefined ? `, column ${position.column}` : '';
    const where =
      position?.line !== undefined ? ` (line ${position.line}${column})` : position?.byte !== undefined ? ` (byte ${position.byte})` : '';
    super(`${file}${where}: ${problem}`);
    this.file = file;
    this.position = position;
  }
}

/** A bad configuration value: `path` is the dotted path of the key, e.g. `compress.layers.0.bits`. */
export class ConfigError extends BitpointError {
  readonly path: string;
  readonly problem: string;
  /** `file`: the config file, when the error is reported for one ("run.json: epochs: …"). */
  constructor(path: string, problem: string, file?: string) {
    super(file ? `${file}: ${path ? `${path}: ` : ''}${problem}` : path ? `config ${path}: ${problem}` : `config: ${problem}`);
    this.path = path;
    this.problem = problem;
  }
}

/** Wrong command-line usage (unknown flag, missing argument): exit status 2. */
export class UsageError extends BitpointError {}

/** A flag given a value it does not take: exit status 1, naming the flag, the value and what it takes. */
export class FlagValueError extends BitpointError {
  readonly flag: string;
  constructor(flag: string, value: string, accepted: string) {
    super(`--${flag} '${clip(value)}': must be ${accepted}`);
    this.flag = flag;
  }
}

/** A backend that was asked for but cannot start (e.g. tfjs-node not installed). */
export class BackendError extends BitpointError {}

/** Training cannot go on (e.g. the loss became NaN). */
export class TrainingError extends BitpointError {}

/** A benchmark cannot produce its figures (e.g. the PyTorch side-by-side script failed). */
export class BenchmarkError extends BitpointError {}
