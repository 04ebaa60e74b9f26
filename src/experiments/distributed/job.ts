/**
 * What travels through the queue: a run's plan (its config as plain JSON, never code or a path to
 * read) and, back, what the run produced. The worker trusts nothing in a job: `validateRunJob`
 * puts its config through the same validation as a local run (`parseRunConfig`), checks that it
 * hashes to the config hash it claims, and refuses the keys that would name folders (`initFrom`,
 * a teacher folder): the worker fills those in itself, inside its runs folder.
 */
import { presetPolicy } from '../../compress/presets.ts';
import { resolvePolicy } from '../../compress/resolve.ts';
import { parseRunConfig } from '../../train/run-config.ts';
import { ConfigError } from '../../util/errors.ts';
import type { CompletedOutcome } from '../store.ts';
import { configHash, PROCEDURES, type PlannedRun } from '../study.ts';

export const RUN_JOB_VERSION = 1;

export interface RunJobData {
  version: typeof RUN_JOB_VERSION;
  run: PlannedRun;
  /** Other runs start or learn from this one: carry its folder through Redis for them. */
  carry: boolean;
  /** Largest folder carried through Redis; past it the dependent runs need a shared --runs-dir. */
  maxCarryBytes: number;
}

export interface RunJobResult {
  outcome: CompletedOutcome;
  worker: string;
  /** The run folder on the worker's machine. */
  runDir: string;
  startedAt: string;
  /** For a run others depend on: the size of its folder and whether it went into Redis. */
  carried: { bytes: number; stored: boolean } | null;
}

/**
 * The job for a planned run. A compression policy read from a file travels as the policy itself,
 * so a worker never reads a path from a job (the config hash is the same: it hashes the policy).
 */
export function runJobData(run: PlannedRun, carry: boolean, maxCarryBytes: number): RunJobData {
  const compress = run.config.compress;
  const inline = typeof compress === 'string' && !presetPolicy(compress) ? resolvePolicy(compress) : compress;
  return { version: RUN_JOB_VERSION, run: { ...run, config: { ...run.config, compress: inline } }, carry, maxCarryBytes };
}

const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const HASH = /^[0-9a-f]{64}$/;

/** The run a job asks for, validated as a local run's config is; throws ConfigError (`job …`). */
export function validateRunJob(data: unknown): RunJobData {
  const job = object(data, 'job');
  if (job['version'] !== RUN_JOB_VERSION) throw new ConfigError('job.version', `is ${String(job['version'])}; this bitpoint reads jobs of version ${RUN_JOB_VERSION} (run the same bitpoint version on every machine)`);
  const run = object(job['run'], 'job.run');
  const name = label(run['name'], 'job.run.name');
  label(run['study'], 'job.run.study');
  const hash = text(run['configHash'], 'job.run.configHash', HASH);
  const method = object(run['method'], 'job.run.method');
  if (!PROCEDURES.includes(method['procedure'] as (typeof PROCEDURES)[number])) throw new ConfigError('job.run.method.procedure', `must be one of ${PROCEDURES.join(', ')}`);
  if (typeof method['sparsity'] !== 'number') throw new ConfigError('job.run.method.sparsity', 'must be a number');
  const source = reference(run['source'], 'job.run.source');
  const teacher = reference(run['teacher'], 'job.run.teacher');
  const raw = object(run['config'], 'job.run.config');
  if (raw['initFrom'] !== undefined && raw['initFrom'] !== null) throw new ConfigError('job.run.config.initFrom', 'a job names no folders; the worker starts a run from its source in its own runs folder');
  const distill = raw['distill'] as Record<string, unknown> | null | undefined;
  if (distill !== undefined && distill !== null && (!teacher || distill['run'] !== teacher.name)) {
    throw new ConfigError('job.run.config.distill.run', 'must name the run\'s teacher (the worker finds its folder in its own runs folder)');
  }
  if (raw['name'] !== name) throw new ConfigError('job.run.config.name', `must be the run's name '${name}'`);
  const config = parseRunConfig(raw, `job ${name}`);
  const sparsity = method['sparsity'] as number;
  const recomputed = configHash(config, { procedure: method['procedure'] as (typeof PROCEDURES)[number], sparsity }, source?.configHash, teacher?.configHash);
  if (recomputed !== hash) throw new ConfigError('job.run.configHash', `${hash.slice(0, 12)} does not match the job's config (${recomputed.slice(0, 12)}): the job was altered, or made by another bitpoint version`);
  if (typeof job['carry'] !== 'boolean') throw new ConfigError('job.carry', 'must be true or false');
  if (!Number.isInteger(job['maxCarryBytes']) || (job['maxCarryBytes'] as number) < 0) throw new ConfigError('job.maxCarryBytes', 'must be an integer ≥ 0');
  return { ...(job as unknown as RunJobData), run: { ...(run as unknown as PlannedRun), config } };
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(path, 'must be an object');
  return value as Record<string, unknown>;
}

function text(value: unknown, path: string, pattern: RegExp): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new ConfigError(path, `'${String(value)}' is not valid here`);
  return value;
}

/** A name that becomes one folder under the runs folder: no '/', no '..'. */
function label(value: unknown, path: string): string {
  return text(value, path, LABEL);
}

function reference(value: unknown, path: string): { name: string; configHash: string } | null {
  if (value === null || value === undefined) return null;
  const r = object(value, path);
  return { name: label(r['name'], `${path}.name`), configHash: text(r['configHash'], `${path}.configHash`, HASH) };
}
