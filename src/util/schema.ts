import { z } from 'zod';
import { clip } from './clip.ts';
import { ConfigError } from './errors.ts';

/**
 * Checking a parsed JSON value against a zod schema, with bitpoint's error style: the first
 * problem as one ConfigError line naming the dotted key path, what the key takes (every valid key
 * for an unknown one, the range for a number, the choices for a name) and the clipped value.
 *
 *   checkAgainst(RunConfigSchema, json, '');   // "config epochs: must be an integer from 1 to 100000, got 1e+300"
 */
export function checkAgainst<S extends z.ZodType>(schema: S, raw: unknown, path: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw describeIssue(schema, raw, path, pickIssue(result.error.issues));
}

/** `$schema` points editors at the JSON Schema; it is not configuration, and never part of a hash. */
export function withoutSchemaKey(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('$schema' in raw)) return raw;
  const { $schema: _ignored, ...rest } = raw as Record<string, unknown>;
  return rest;
}

type Issue = z.core.$ZodIssue;

/** The issue a user should see first: inside a union, the branch that got furthest. */
function pickIssue(issues: readonly Issue[]): Issue {
  const first = issues[0]!;
  if (first.code !== 'invalid_union' || first.errors.length === 0) return first;
  const branches = first.errors.filter((branch) => branch.length > 0);
  const deepest = branches.reduce((best, branch) => (depth(branch) > depth(best) ? branch : best), branches[0]!);
  if (depth(deepest) === 0 && deepest.every((issue) => issue.code === 'invalid_type')) return first;
  const inner = pickIssue(deepest);
  return { ...inner, path: [...first.path, ...inner.path] } as Issue;
}

function depth(branch: readonly Issue[]): number {
  return Math.max(...branch.map((issue) => issue.path.length + (issue.code === 'invalid_type' ? 0 : 0.5)));
}

function describeIssue(schema: z.ZodType, raw: unknown, root: string, issue: Issue): ConfigError {
  const at = (path: readonly PropertyKey[]) => [root, ...path.map(String)].filter(Boolean).join('.');
  const value = valueAt(raw, issue.path);
  const target = schemaAt(schema, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = objectKeys(target);
      return new ConfigError(at([...issue.path, issue.keys[0]!]), `unknown key${known.length ? ` (valid keys: ${known.join(', ')})` : ''}`);
    }
    case 'too_big':
    case 'too_small':
    case 'not_multiple_of':
      if (typeof value === 'number') return new ConfigError(at(issue.path), `must be ${describeNumberSchema(target)}, got ${clip(value)}`);
      return new ConfigError(at(issue.path), `${lowerFirst(issue.message)}, got ${describeValue(value)}`);
    case 'invalid_value':
      return new ConfigError(at(issue.path), `must be ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => String(v)).join(', ')}`}, got ${describeValue(value)}`);
    case 'invalid_type':
      if (value === undefined) return new ConfigError(at(issue.path), 'is required');
      return new ConfigError(at(issue.path), `must be ${describeExpected(target)}, got ${describeValue(value)}`);
    case 'invalid_union':
      return new ConfigError(at(issue.path), `must be ${describeExpected(target)}, got ${describeValue(value)}`);
    default:
      return new ConfigError(at(issue.path), `${lowerFirst(issue.message)}${value === undefined ? '' : `, got ${describeValue(value)}`}`);
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Wrappers (optional, nullable, default, lazy, pipe) do not change what a key takes. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema as z.ZodType & { def: Record<string, unknown> };
  for (let i = 0; i < 20; i++) {
    const def = current.def as { type: string; innerType?: z.ZodType; getter?: () => z.ZodType; in?: z.ZodType };
    if (def.innerType) current = def.innerType as typeof current;
    else if (def.type === 'lazy' && def.getter) current = def.getter() as typeof current;
    else if (def.type === 'pipe' && def.in) current = def.in as typeof current;
    else break;
  }
  return current;
}

/** The schema a path leads to (for a union, the first option that has the path). */
function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const key of path) {
    if (!current) return undefined;
    current = childSchema(current, key);
  }
  return current;
}

function childSchema(schema: z.ZodType, key: PropertyKey): z.ZodType | undefined {
  const def = unwrap(schema).def as { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; items?: z.ZodType[]; valueType?: z.ZodType; options?: z.ZodType[] };
  if (def.type === 'object') return def.shape![String(key)] ? unwrap(def.shape![String(key)]!) : undefined;
  if (def.type === 'array') return unwrap(def.element!);
  if (def.type === 'tuple') return def.items![Number(key)] ? unwrap(def.items![Number(key)]!) : undefined;
  if (def.type === 'record') return unwrap(def.valueType!);
  if (def.type === 'union') {
    for (const option of def.options!) {
      const child = childSchema(option, key);
      if (child) return child;
    }
  }
  return undefined;
}

/** Every key an object schema (or the object option of a union) takes, in declared order. */
function objectKeys(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  const def = unwrap(schema).def as { type: string; shape?: Record<string, z.ZodType>; options?: z.ZodType[] };
  if (def.type === 'object') return Object.keys(def.shape!);
  if (def.type === 'union') return [...new Set(def.options!.flatMap((option) => objectKeys(option)))];
  return [];
}

/** "an integer from 1 to 100000", "a number > 0 and ≤ 10", from the schema's own checks. */
export function describeNumberSchema(schema: z.ZodType | undefined): string {
  const number = schema ? (unwrap(schema) as z.ZodNumber) : undefined;
  if (!number || number.def.type !== 'number') return 'a number';
  const kind = number.format === 'safeint' || number.isInt ? 'an integer' : 'a number';
  let low: string | undefined;
  let high: string | undefined;
  for (const check of number.def.checks ?? []) {
    const c = check._zod.def as { check: string; value?: number; inclusive?: boolean };
    if (c.check === 'greater_than') low = `${c.inclusive ? '≥' : '>'} ${c.value}`;
    if (c.check === 'less_than') high = `${c.inclusive ? '≤' : '<'} ${c.value}`;
  }
  if (low?.startsWith('≥') && high?.startsWith('≤')) return `${kind} from ${low.slice(2)} to ${high.slice(2)}`;
  if (low && high) return `${kind} ${low} and ${high}`;
  return `${kind}${low || high ? ` ${low ?? high}` : ''}`;
}

/** What a key takes, in words: "a string or an object", "true or false", "one of a, b". */
function describeExpected(schema: z.ZodType | undefined): string {
  if (!schema) return 'something else';
  const inner = unwrap(schema);
  const def = inner.def as { type: string; options?: z.ZodType[]; entries?: Record<string, string>; values?: unknown[]; element?: z.ZodType; items?: unknown[] };
  switch (def.type) {
    case 'string':
      return 'a string';
    case 'number':
      return describeNumberSchema(inner);
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'object':
    case 'record':
      return 'an object';
    case 'array':
      return 'a list';
    case 'tuple':
      return `a list of ${def.items!.length}`;
    case 'enum':
      return `one of ${Object.values(def.entries!).join(', ')}`;
    case 'literal':
      return def.values!.map((v) => JSON.stringify(v)).join(' or ');
    case 'union':
      return [...new Set(def.options!.map(describeExpected))].join(' or ');
    default:
      return def.type;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list (${clip(value, 40)})`;
  if (typeof value === 'string') return `'${clip(value)}'`;
  if (typeof value === 'object') return 'an object';
  return clip(value);
}
