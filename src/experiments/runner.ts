/**
 * The sweep runner: runs a study's planned runs one after another, each into its own folder
 * `<outDir>/<run-name>/`, and records each in the results store as it ends.
 *
 *   const runs = expandStudy(readStudyFile('experiments/bit-width.json'), { quick: true });
 *   const summary = await runSweep(runs, { outDir: 'runs/bit-width-quick', dbFile: 'runs/bit-width-quick/results.sqlite',
 *                                          resume: true, log: console.error });
 *
 * - A failed run is recorded with its error (status 'failed') and the sweep goes on.
 * - `resume` skips runs the store has as completed (by config hash), reruns failed ones from
 *   scratch, and continues an interrupted run (status 'running') from its last checkpoint.
 * - Without `resume`, a store or folder that already holds any of these runs is an error.
 * - Aborting `signal` makes the run in progress save a checkpoint and stops the sweep
 *   (`InterruptedError`); the run stays 'running' so `resume` continues it.
 * - One sweep per store at a time (sweep-lock.ts): a second one is refused before it changes anything.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useBackend } from '../backend/select.ts';
import { buildReplicaModel } from '../train/parallel/replica.ts';
import { loadRunModel } from '../train/run-model.ts';
import { parseRunConfig } from '../train/run-config.ts';
import { InterruptedError, type RunResult } from '../train/run.ts';
import { BitpointError } from '../util/errors.ts';
import { compressionFigures } from './compression.ts';
import { weightHistograms } from './histograms.ts';
import { runProcedure } from './procedures.ts';
import { SweepProgress } from './progress.ts';
import { acquireSweepLock } from './sweep-lock.ts';
import { ResultsStore, type CompletedOutcome, type StudyInfo } from './store.ts';
import { configHash, type PlannedRun } from './study.ts';

/** A sweep that cannot start as asked (e.g. results exist and --resume was not given). */
export class SweepError extends BitpointError {}

export interface SweepOptions {
  /** Folder of the run folders (`runs/<study>`). */
  outDir: string;
  /** The SQLite results file (default `<outDir>/results.sqlite`). */
  dbFile?: string;
  resume?: boolean;
  log: (line: string) => void;
  signal?: AbortSignal;
  syntheticRoot?: string;
  /** The study's question and reference method, kept in the store for reports. */
  studyInfo?: StudyInfo;
  /** Called after each run is recorded (tests use it; the CLI logs). */
  onRecorded?: (run: PlannedRun, status: 'completed' | 'failed') => void;
}

export interface SweepSummary {
  dbFile: string;
  total: number;
  completed: number;
  failed: number;
  skipped: number;
  seconds: number;
  failures: Array<{ name: string; error: string }>;
}

export async function runSweep(runs: readonly PlannedRun[], options: SweepOptions): Promise<SweepSummary> {
  const started = performance.now();
  const dbFile = options.dbFile ?? join(options.outDir, 'results.sqlite');
  // Before the store or any folder is touched: a second sweep on the same store changes nothing.
  const release = acquireSweepLock(dbFile);
  let store: ResultsStore;
  try {
    store = ResultsStore.open(dbFile);
  } catch (error) {
    release();
    throw error;
  }
  try {
    if (!options.resume) refuseExisting(runs, store, options.outDir, dbFile);
    store.plan(runs);
    if (options.studyInfo) store.setStudyInfo(options.studyInfo.name, options.studyInfo);
    const summary: SweepSummary = { dbFile, total: runs.length, completed: 0, failed: 0, skipped: 0, seconds: 0, failures: [] };
    const progress = new SweepProgress(runs, options.log);
    for (const [index, run] of runs.entries()) {
      const status = store.status(run.configHash);
      if (status === 'completed') {
        summary.skipped++;
        progress.skipped(run);
        continue;
      }
      if (options.signal?.aborted) throw new InterruptedError('sweep interrupted; continue it with --resume');
      const runDir = join(options.outDir, run.name);
      progress.starting(run, index);
      const runStarted = performance.now();
      let continueRun = false;
      try {
        await setAsideOtherRun(run, runDir, store, options.log);
        continueRun = await prepareRunFolder(run, runDir, status, options.log);
        await writeRunIdentity(run, runDir);
        store.markRunning(run.configHash, runDir);
        const outcome = await executeRun(withSource(run, store), runDir, continueRun, options);
        store.recordCompleted(run.configHash, outcome);
        summary.completed++;
        progress.finished(run, (performance.now() - runStarted) / 1000, 'completed');
        options.onRecorded?.(run, 'completed');
      } catch (error) {
        if (error instanceof InterruptedError) throw error;
        const message = error instanceof BitpointError ? error.message : ((error as Error)?.stack ?? String(error));
        store.recordFailed(run.configHash, message, (performance.now() - runStarted) / 1000);
        summary.failed++;
        summary.failures.push({ name: run.name, error: message.split('\n')[0]! });
        progress.finished(run, (performance.now() - runStarted) / 1000, `FAILED: ${message.split('\n')[0]}`);
        options.onRecorded?.(run, 'failed');
      }
    }
    summary.seconds = (performance.now() - started) / 1000;
    return summary;
  } finally {
    store.close();
    release();
  }
}

function refuseExisting(runs: readonly PlannedRun[], store: ResultsStore, outDir: string, dbFile: string): void {
  const recorded = runs.filter((run) => (store.status(run.configHash) ?? 'pending') !== 'pending');
  if (recorded.length > 0) {
    throw new SweepError(`${dbFile} already has ${recorded.length} of these ${runs.length} runs (e.g. ${recorded[0]!.name}); pass --resume to continue the sweep, or --db/--out elsewhere`);
  }
  const folder = runs.find((run) => existsSync(join(outDir, run.name, 'checkpoints')));
  if (folder) throw new SweepError(`${join(outDir, folder.name)} already holds a run; pass --resume to continue the sweep, or --out elsewhere`);
}

/**
 * A folder the store records for another config of the same name (e.g. a preset whose rules
 * changed: the folder's config.json still names it, so it would look like this run's) is moved
 * to `<folder>.<its hash>` and its record follows, relabelled `<method>@superseded-<date>` so that
 * reports keep it apart; neither run's files are lost or mixed.
 */
async function setAsideOtherRun(run: PlannedRun, runDir: string, store: ResultsStore, log: (line: string) => void): Promise<void> {
  if (!existsSync(runDir)) return;
  const [other] = store.otherRunsIn(runDir, run.configHash);
  if (!other) return;
  const aside = await moveAside(runDir, other.configHash, `belongs to the run ${other.configHash.slice(0, 12)} (${other.status})`);
  store.supersede(other.configHash, aside);
  log(`${runDir} held the ${other.status} run of another config (${other.configHash.slice(0, 12)}); moved it to ${aside}`);
}

/** Moves a run folder to `<folder>.<hash12>`, keeping its files; `holder` says whose it is, for the error. */
async function moveAside(runDir: string, hash: string, holder: string): Promise<string> {
  const aside = `${runDir}.${hash.slice(0, 12)}`;
  if (existsSync(aside)) throw new SweepError(`${runDir} ${holder}, and ${aside} exists already: move one of them`);
  await rename(runDir, aside);
  return aside;
}

/**
 * Decides whether the run folder is continued or started afresh: an interrupted run ('running')
 * whose folder holds the same config continues from its checkpoint; a failed run's folder is
 * cleared; a folder that holds another config (one the store does not know, e.g. a sweep into the
 * same folder with another --db) is moved to `<folder>.<its hash>`, so no finished run is lost.
 */
export async function prepareRunFolder(run: PlannedRun, runDir: string, status: string | null, log: (line: string) => void): Promise<boolean> {
  if (!existsSync(runDir)) return false;
  const held = folderHash(runDir, run);
  if (held !== null && held !== run.configHash) {
    const aside = await moveAside(runDir, held, `holds the run of another config (${held.slice(0, 12)})`);
    log(`${runDir} holds the run of another config (${held.slice(0, 12)}); moved it to ${aside}`);
    return false;
  }
  if (status !== 'failed' && held === run.configHash && existsSync(join(runDir, 'checkpoints', 'last.safetensors'))) return true;
  log(`${runDir}: ${status === 'failed' ? 'rerunning the failed run from scratch' : 'no checkpoint to continue from'}; clearing it`);
  await rm(runDir, { recursive: true, force: true });
  return false;
}

/** The file in a run folder that names the config the sweep trains there. */
const RUN_IDENTITY_FILE = 'sweep-run.json';

export async function writeRunIdentity(run: PlannedRun, runDir: string): Promise<void> {
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, RUN_IDENTITY_FILE), `${JSON.stringify({ config_hash: run.configHash, name: run.name }, null, 2)}\n`);
}

/**
 * The config hash of the run a folder holds: the one the sweep wrote there, or, for folders from
 * before that file, re-derived from its config.json (which names a preset, so a preset whose rules
 * changed since re-derives to the new hash: only the store can tell those apart).
 */
function folderHash(runDir: string, run: PlannedRun): string | null {
  try {
    const identity = JSON.parse(readFileSync(join(runDir, RUN_IDENTITY_FILE), 'utf8')) as { config_hash?: unknown };
    if (typeof identity.config_hash === 'string') return identity.config_hash;
  } catch {
    // no identity file: an older folder
  }
  try {
    const config = parseRunConfig(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')));
    return configHash(config, run.method, run.source?.configHash, run.teacher?.configHash);
  } catch {
    return null;
  }
}

/**
 * A fine-tuning run starts from its source's last checkpoint, a distilling run learns from its
 * teacher's last checkpoint; either must be recorded as completed.
 */
function withSource(run: PlannedRun, store: ResultsStore): PlannedRun {
  const completedDir = (source: { name: string; configHash: string }, verb: string, method: string | null) => {
    const dir = store.runDir(source.configHash);
    if (store.status(source.configHash) !== 'completed' || !dir) {
      throw new SweepError(`${verb} ${source.name} (method '${method}'), which has not completed in this store: run it first`);
    }
    return dir;
  };
  let config = run.config;
  if (run.source) config = { ...config, initFrom: { run: completedDir(run.source, 'starts from', run.method.from), checkpoint: 'last' } };
  if (run.teacher && config.distill) {
    config = { ...config, distill: { ...config.distill, run: completedDir(run.teacher, 'distills from', run.method.teacher), checkpoint: 'last' } };
  }
  return { ...run, config };
}

async function executeRun(run: PlannedRun, runDir: string, continueRun: boolean, options: SweepOptions): Promise<CompletedOutcome> {
  const result: RunResult = await runProcedure(run, {
    outDir: runDir,
    resume: continueRun,
    log: options.log,
    signal: options.signal,
    syntheticRoot: options.syntheticRoot,
  });
  return trainedOutcome(result, runDir);
}

/** What the store records of a finished run: its result, and figures read from its last checkpoint. */
export async function trainedOutcome(result: RunResult, runDir: string): Promise<CompletedOutcome> {
  const { histograms, compression } = await inspectTrainedRun(runDir);
  return {
    task: result.task,
    environment: result.environment,
    final: result.final,
    finalValidation: result.final_validation,
    best: result.best,
    history: result.history,
    epochs: result.epochs,
    durationSeconds: result.duration_s,
    compression,
    histograms,
  };
}

/** Weight histograms and compression figures of a finished run, from its last checkpoint. */
export async function inspectTrainedRun(runDir: string): Promise<Pick<CompletedOutcome, 'histograms' | 'compression'>> {
  const config = parseRunConfig(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')));
  await useBackend(config.backend);
  const loaded = await loadRunModel(runDir, 'last');
  const initial = buildReplicaModel({ ...loaded.card.spec, replica: 0 });
  try {
    return {
      histograms: weightHistograms(loaded.model, initial, 'checkpoints/last.safetensors'),
      compression: compressionFigures(loaded.model, { points: config.points, ...(loaded.card.task === 'image-classification' ? { inputShape: [28, 28, 1] } : {}) }),
    };
  } finally {
    loaded.model.dispose();
    initial.dispose();
  }
}
