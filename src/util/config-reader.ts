import { clip } from './clip.ts';
import { ConfigError } from './errors.ts';

/**
 * Reads one JSON object of a configuration with typed accessors that name the key path in every
 * error, and rejects keys nobody asked for (a typo must not silently fall back to a default).
 *
 *   const r = new ConfigReader(json, 'train');
 *   const epochs = r.integer('epochs', { min: 1, default: 10 });
 *   r.done();   // ConfigError "config train.epohcs: unknown key (known: …)" for a typo
 */
export class ConfigReader {
  private readonly seen = new Set<string>();
  private readonly object: Record<string, unknown>;

  constructor(
    value: unknown,
    readonly path: string,
  ) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ConfigError(path, `must be an object, got ${describe(value)}`);
    }
    this.object = value as Record<string, unknown>;
  }

  private at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  /** Whether the key is set (and marks it as known, so `done()` lists it among the valid keys). */
  has(key: string): boolean {
    this.seen.add(key);
    return this.object[key] !== undefined;
  }

  /** The raw value (marks the key as known). */
  raw(key: string): unknown {
    this.seen.add(key);
    return this.object[key];
  }

  number(key: string, options: { min?: number; max?: number; integer?: boolean; default?: number } = {}): number {
    const value = this.raw(key);
    if (value === undefined) {
      if (options.default !== undefined) return options.default;
      throw new ConfigError(this.at(key), 'is required');
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new ConfigError(this.at(key), `must be a number, got ${describe(value)}`);
    if (options.integer && !Number.isInteger(value)) throw new ConfigError(this.at(key), `must be an integer, got ${value}`);
    if (options.min !== undefined && value < options.min) throw new ConfigError(this.at(key), `must be ≥ ${options.min}, got ${value}`);
    if (options.max !== undefined && value > options.max) throw new ConfigError(this.at(key), `must be ≤ ${options.max}, got ${value}`);
    return value;
  }

  integer(key: string, options: { min?: number; max?: number; default?: number } = {}): number {
    return this.number(key, { ...options, integer: true });
  }

  optionalNumber(key: string, options: { min?: number; max?: number } = {}): number | undefined {
    return this.has(key) ? this.number(key, options) : (this.raw(key), undefined);
  }

  string(key: string, options: { default?: string } = {}): string {
    const value = this.raw(key);
    if (value === undefined) {
      if (options.default !== undefined) return options.default;
      throw new ConfigError(this.at(key), 'is required');
    }
    if (typeof value !== 'string' || value === '') throw new ConfigError(this.at(key), `must be a non-empty string, got ${describe(value)}`);
    return value;
  }

  oneOf<T extends string>(key: string, choices: readonly T[], options: { default?: T } = {}): T {
    const value = this.string(key, options);
    if (!(choices as readonly string[]).includes(value)) throw new ConfigError(this.at(key), `must be one of ${choices.join(', ')}, got '${value}'`);
    return value as T;
  }

  boolean(key: string, options: { default?: boolean } = {}): boolean {
    const value = this.raw(key);
    if (value === undefined) {
      if (options.default !== undefined) return options.default;
      throw new ConfigError(this.at(key), 'is required');
    }
    if (typeof value !== 'boolean') throw new ConfigError(this.at(key), `must be true or false, got ${describe(value)}`);
    return value;
  }

  /** A nested object, read by its own reader (call `done()` on it too). */
  child(key: string, options: { optional?: boolean } = {}): ConfigReader | undefined {
    const value = this.raw(key);
    if (value === undefined && options.optional) return undefined;
    return new ConfigReader(value, this.at(key));
  }

  /** Throws for any key that no accessor read. */
  done(): void {
    const unknown = Object.keys(this.object).filter((k) => !this.seen.has(k));
    if (unknown.length > 0) {
      throw new ConfigError(this.at(unknown[0]!), `unknown key (known keys: ${[...this.seen].sort().join(', ')})`);
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `'${clip(value)}'`;
  if (typeof value === 'object') return 'an object';
  return clip(value);
}
