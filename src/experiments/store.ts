/**
 * The results store: one SQLite file (better-sqlite3, WAL journal) holding every run of one or
 * more sweeps. A run is written in one transaction when it ends (its row, its epochs and its weight
 * histograms together), so killing the process at any moment loses at most the run in progress.
 *
 *   const store = ResultsStore.open('runs/bit-width/results.sqlite');
 *   store.plan(plannedRuns);                       // rows with status 'pending' (done ones untouched)
 *   store.markRunning(hash, runDir);
 *   store.recordCompleted(hash, outcome);          // or store.recordFailed(hash, error, seconds)
 *   store.runs({ study: 'bit-width' });            // RunRow[]
 *
 * Tables (see SCHEMA): `runs` (one row per config hash), `epochs` (per-epoch metrics, one row per
 * run and epoch), `histograms` (weight histograms per run, layer and kind), `meta` (schema version).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Evaluation } from '../train/evaluate.ts';
import type { EpochMetrics } from '../train/run.ts';
import { FormatError } from '../util/errors.ts';
import type { PlannedRun } from './study.ts';

/**
 * 2 added runs.validation_metric, 3 epochs.flip_ratio, 4 runs.worker. An older file is upgraded in place when
 * opened for writing; opened read-only, its missing columns read as null.
 */
export const STORE_SCHEMA_VERSION = 4;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  config_hash        TEXT PRIMARY KEY,
  study              TEXT NOT NULL,
  name               TEXT NOT NULL,
  task_label         TEXT NOT NULL,
  model              TEXT NOT NULL,
  dataset            TEXT NOT NULL,
  task               TEXT,
  method             TEXT NOT NULL,
  procedure          TEXT NOT NULL DEFAULT 'train',
  compress           TEXT NOT NULL,
  bits               REAL NOT NULL,
  activation_bits    REAL NOT NULL,
  sparsity           REAL NOT NULL,
  initializer        TEXT NOT NULL,
  seed               INTEGER NOT NULL,
  backend            TEXT NOT NULL,
  config             TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
  error              TEXT,
  attempts           INTEGER NOT NULL DEFAULT 0,
  run_dir            TEXT,
  environment        TEXT,
  metric_name        TEXT,
  metric             REAL,
  overall_accuracy   REAL,
  mean_class_accuracy REAL,
  instance_miou      REAL,
  class_miou         REAL,
  final              TEXT,
  best_epoch         INTEGER,
  best_metric        REAL,
  validation_metric  REAL,
  epochs             INTEGER,
  packed_bytes       INTEGER,
  float32_bytes      INTEGER,
  compression_ratio  REAL,
  measured_sparsity  REAL,
  compression        TEXT,
  duration_s         REAL,
  started_at         TEXT,
  finished_at        TEXT,
  worker             TEXT
);
CREATE INDEX IF NOT EXISTS runs_study ON runs (study, task_label, method, initializer, seed);
CREATE TABLE IF NOT EXISTS epochs (
  config_hash     TEXT NOT NULL REFERENCES runs (config_hash) ON DELETE CASCADE,
  epoch           INTEGER NOT NULL,
  train_loss      REAL,
  train_accuracy  REAL,
  learning_rate   REAL,
  samples_per_s   REAL,
  seconds         REAL,
  test_metric     REAL,
  test            TEXT,
  flip_ratio      REAL,
  PRIMARY KEY (config_hash, epoch)
);
CREATE TABLE IF NOT EXISTS histograms (
  config_hash  TEXT NOT NULL REFERENCES runs (config_hash) ON DELETE CASCADE,
  layer        TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('initial', 'latent', 'effective')),
  source       TEXT NOT NULL,
  lo           REAL NOT NULL,
  hi           REAL NOT NULL,
  counts       TEXT NOT NULL,
  total        INTEGER NOT NULL,
  zeros        INTEGER NOT NULL,
  distinct_values INTEGER NOT NULL,
  PRIMARY KEY (config_hash, layer, kind)
);
`;

export type RunStatus = 'pending' | 'running' | 'completed' | 'failed';

/** A row of `runs`, JSON columns parsed. */
export interface RunRow {
  config_hash: string;
  study: string;
  name: string;
  task_label: string;
  model: string;
  dataset: string;
  task: string | null;
  method: string;
  procedure: string;
  compress: unknown;
  bits: number;
  activation_bits: number;
  sparsity: number;
  initializer: string;
  seed: number;
  backend: string;
  config: Record<string, unknown>;
  status: RunStatus;
  error: string | null;
  attempts: number;
  run_dir: string | null;
  environment: Record<string, unknown> | null;
  metric_name: string | null;
  metric: number | null;
  overall_accuracy: number | null;
  mean_class_accuracy: number | null;
  instance_miou: number | null;
  class_miou: number | null;
  final: Evaluation | null;
  best_epoch: number | null;
  best_metric: number | null;
  /** Primary metric on the run's validation hold-out after the last epoch; null without one. */
  validation_metric: number | null;
  epochs: number | null;
  packed_bytes: number | null;
  float32_bytes: number | null;
  compression_ratio: number | null;
  measured_sparsity: number | null;
  compression: Record<string, unknown> | null;
  duration_s: number | null;
  started_at: string | null;
  finished_at: string | null;
  /** The queue worker that ran it (distributed sweeps); null for a local sweep. */
  worker: string | null;
}

export interface EpochRow {
  config_hash: string;
  epoch: number;
  train_loss: number | null;
  train_accuracy: number | null;
  learning_rate: number | null;
  samples_per_s: number | null;
  seconds: number | null;
  test_metric: number | null;
  /** Mean per-step fraction of changed binary or ternary codes (null: no such layers). */
  flip_ratio: number | null;
}

/** A compact histogram of weight values: `counts.length` equal bins over [lo, hi]. */
export interface WeightHistogram {
  layer: string;
  kind: 'initial' | 'latent' | 'effective';
  /** Where the values came from, e.g. 'checkpoints/last.safetensors: effectiveWeight()'. */
  source: string;
  lo: number;
  hi: number;
  counts: number[];
  total: number;
  zeros: number;
  /** Distinct values (capped at 1000): 2 for binary, 3 for ternary, 2^k for k-bit. */
  distinctValues: number;
}

/** Compression numbers of a trained model (from the compression module's summary when it has one). */
export interface CompressionFigures {
  packedBytes: number | null;
  float32Bytes: number | null;
  compressionRatio: number | null;
  measuredSparsity: number | null;
  summary: Record<string, unknown> | null;
}

export interface CompletedOutcome {
  task: string;
  environment: Record<string, unknown>;
  final: Evaluation;
  /** After the last epoch, on the run's validation hold-out (config `validation`), if any. */
  finalValidation?: Evaluation;
  best: { epoch: number; metric: number };
  history: EpochMetrics[];
  epochs: number;
  durationSeconds: number;
  compression: CompressionFigures;
  histograms: WeightHistogram[];
}

export interface StudyInfo {
  name: string;
  question: string;
  description: string;
  reference: string;
  /** Methods compared with another method than `reference` (method → its reference). */
  references?: Record<string, string>;
  quick: boolean;
}

export class ResultsStore {
  private constructor(
    readonly file: string,
    readonly db: Database.Database,
  ) {}

  /** Opens (creating if needed) a results file. `readonly` refuses a missing file. */
  static open(file: string, options: { readonly?: boolean } = {}): ResultsStore {
    if (!options.readonly) mkdirSync(dirname(file), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    } catch (error) {
      throw new FormatError(file, `cannot open the results store: ${(error as Error).message}`);
    }
    try {
      if (!options.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
        db.pragma('busy_timeout = 5000');
        db.exec(SCHEMA);
        const version = db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`).get();
        if (!version) db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?)`).run(String(STORE_SCHEMA_VERSION));
        else if (Number(version.value) < STORE_SCHEMA_VERSION) upgradeSchema(db);
        else if (Number(version.value) !== STORE_SCHEMA_VERSION) throw new Error(`schema version ${version.value}, this bitpoint reads ${STORE_SCHEMA_VERSION}`);
      } else {
        const table = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'runs'`).get();
        if (!table) throw new Error('no runs table: not a bitpoint results file');
      }
    } catch (error) {
      db.close();
      throw new FormatError(file, `not a usable results store: ${(error as Error).message}`);
    }
    return new ResultsStore(file, db);
  }

  close(): void {
    this.db.close();
  }

  /**
   * Inserts planned runs as 'pending'; rows that already exist keep their status and results
   * (their descriptive columns are refreshed, e.g. after a method was relabelled).
   */
  plan(runs: readonly PlannedRun[]): void {
    const upsert = this.db.prepare(`
      INSERT INTO runs (config_hash, study, name, task_label, model, dataset, method, procedure, compress, bits, activation_bits,
                        sparsity, initializer, seed, backend, config, status)
      VALUES (@config_hash, @study, @name, @task_label, @model, @dataset, @method, @procedure, @compress, @bits, @activation_bits,
              @sparsity, @initializer, @seed, @backend, @config, 'pending')
      ON CONFLICT (config_hash) DO UPDATE SET study = excluded.study, name = excluded.name, task_label = excluded.task_label,
        method = excluded.method, bits = excluded.bits, activation_bits = excluded.activation_bits, initializer = excluded.initializer`);
    this.db.transaction(() => {
      for (const run of runs) {
        upsert.run({
          config_hash: run.configHash,
          study: run.study,
          name: run.name,
          task_label: run.task.label,
          model: run.config.model,
          dataset: run.config.dataset,
          method: run.method.label,
          procedure: run.method.procedure,
          compress: JSON.stringify(run.config.compress),
          bits: run.method.bits,
          activation_bits: run.method.activationBits,
          sparsity: run.method.sparsity,
          initializer: run.initializer.label,
          seed: run.seed,
          backend: run.config.backend,
          config: JSON.stringify(run.config),
        });
      }
    })();
  }

  /** What a study asks and which method is its reference, for reports (kept in `meta`). */
  setStudyInfo(study: string, info: StudyInfo): void {
    this.db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(`study:${study}`, JSON.stringify(info));
  }

  studyInfo(study: string): StudyInfo | null {
    const row = this.db.prepare<[string], { value: string }>(`SELECT value FROM meta WHERE key = ?`).get(`study:${study}`);
    return row ? (JSON.parse(row.value) as StudyInfo) : null;
  }

  status(configHash: string): RunStatus | null {
    const row = this.db.prepare<[string], { status: RunStatus }>(`SELECT status FROM runs WHERE config_hash = ?`).get(configHash);
    return row?.status ?? null;
  }

  /** The folder a run was (last) carried out in, or null. */
  runDir(configHash: string): string | null {
    const row = this.db.prepare<[string], { run_dir: string | null }>(`SELECT run_dir FROM runs WHERE config_hash = ?`).get(configHash);
    return row?.run_dir ?? null;
  }

  /** Runs other than `configHash` recorded with this folder (a config that changed under the same name). */
  otherRunsIn(runDir: string, configHash: string): Array<{ configHash: string; status: RunStatus }> {
    return this.db
      .prepare<[string, string], { config_hash: string; status: RunStatus }>(`SELECT config_hash, status FROM runs WHERE run_dir = ? AND config_hash != ?`)
      .all(runDir, configHash)
      .map((row) => ({ configHash: row.config_hash, status: row.status }));
  }

  /**
   * Points a superseded run's record at the folder its files were moved to, and suffixes its name
   * and method with `@superseded-<date>` so reports show it apart from the current config's runs
   * (the runs of one method superseded on the same day stay one row, over their seeds).
   */
  supersede(configHash: string, runDir: string, date = new Date()): void {
    const suffix = `@superseded-${date.toISOString().slice(0, 10)}`;
    // a record superseded before keeps its first label
    this.db
      .prepare(
        `UPDATE runs SET run_dir = @runDir,
           name = CASE WHEN instr(method, '@') = 0 THEN name || @suffix ELSE name END,
           method = CASE WHEN instr(method, '@') = 0 THEN method || @suffix ELSE method END
         WHERE config_hash = @configHash`,
      )
      .run({ runDir, suffix, configHash });
  }

  /**
   * A run starts (another attempt). A queue worker's run gives its worker's name, when it started
   * and how many times the queue has started it (instead of counting calls here).
   */
  markRunning(configHash: string, runDir: string, remote?: { worker: string; startedAt: string; attempts: number }): void {
    this.db
      .prepare(
        `UPDATE runs SET status = 'running', run_dir = @runDir, attempts = COALESCE(@attempts, attempts + 1), error = NULL,
           started_at = @startedAt, worker = @worker WHERE config_hash = @configHash`,
      )
      .run({ runDir, configHash, attempts: remote?.attempts ?? null, startedAt: remote?.startedAt ?? new Date().toISOString(), worker: remote?.worker ?? null });
  }

  recordFailed(configHash: string, error: string, durationSeconds: number): void {
    this.db
      .prepare(`UPDATE runs SET status = 'failed', error = ?, duration_s = ?, finished_at = ? WHERE config_hash = ?`)
      .run(error, durationSeconds, new Date().toISOString(), configHash);
  }

  /** The run's row, epochs and histograms in one transaction. */
  recordCompleted(configHash: string, outcome: CompletedOutcome): void {
    const final = outcome.final;
    const metricName = final.task === 'segmentation' ? 'instance_miou' : 'overall_accuracy';
    const updateRun = this.db.prepare(`
      UPDATE runs SET status = 'completed', error = NULL, task = @task, environment = @environment, metric_name = @metric_name,
        metric = @metric, overall_accuracy = @overall_accuracy, mean_class_accuracy = @mean_class_accuracy,
        instance_miou = @instance_miou, class_miou = @class_miou, final = @final, best_epoch = @best_epoch,
        best_metric = @best_metric, validation_metric = @validation_metric, epochs = @epochs, packed_bytes = @packed_bytes, float32_bytes = @float32_bytes,
        compression_ratio = @compression_ratio, measured_sparsity = @measured_sparsity, compression = @compression,
        duration_s = @duration_s, finished_at = @finished_at
      WHERE config_hash = @config_hash`);
    const insertEpoch = this.db.prepare(`
      INSERT INTO epochs (config_hash, epoch, train_loss, train_accuracy, learning_rate, samples_per_s, seconds, test_metric, test, flip_ratio)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insertHistogram = this.db.prepare(`
      INSERT INTO histograms (config_hash, layer, kind, source, lo, hi, counts, total, zeros, distinct_values)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.db.transaction(() => {
      const changed = updateRun.run({
        config_hash: configHash,
        task: outcome.task,
        environment: JSON.stringify(outcome.environment),
        metric_name: metricName,
        metric: final[metricName] ?? null,
        overall_accuracy: final.overall_accuracy ?? null,
        mean_class_accuracy: final.mean_class_accuracy ?? null,
        instance_miou: final.instance_miou ?? null,
        class_miou: final.class_miou ?? null,
        final: JSON.stringify(final),
        best_epoch: outcome.best.epoch,
        best_metric: Number.isFinite(outcome.best.metric) ? outcome.best.metric : null,
        validation_metric: outcome.finalValidation ? primaryOf(outcome.finalValidation) : null,
        epochs: outcome.epochs,
        packed_bytes: outcome.compression.packedBytes,
        float32_bytes: outcome.compression.float32Bytes,
        compression_ratio: outcome.compression.compressionRatio,
        measured_sparsity: outcome.compression.measuredSparsity,
        compression: outcome.compression.summary ? JSON.stringify(outcome.compression.summary) : null,
        duration_s: outcome.durationSeconds,
        finished_at: new Date().toISOString(),
      });
      if (changed.changes !== 1) throw new Error(`run ${configHash} is not in the store (plan it first)`);
      this.db.prepare(`DELETE FROM epochs WHERE config_hash = ?`).run(configHash);
      this.db.prepare(`DELETE FROM histograms WHERE config_hash = ?`).run(configHash);
      for (const m of outcome.history) {
        const test = m.test ? primaryOf(m.test) : null;
        const evaluation = m.test ? JSON.stringify(slimEvaluation(m.test)) : null;
        insertEpoch.run(configHash, m.epoch, m.train_loss, m.train_accuracy, m.learning_rate, m.samples_per_s, m.seconds, test, evaluation, m.flip_ratio ?? null);
      }
      for (const h of outcome.histograms) {
        insertHistogram.run(configHash, h.layer, h.kind, h.source, h.lo, h.hi, JSON.stringify(h.counts), h.total, h.zeros, h.distinctValues);
      }
    })();
  }

  /** Runs of a study (all studies when omitted), in grid order. */
  runs(filter: { study?: string; status?: RunStatus } = {}): RunRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.study !== undefined) (where.push('study = ?'), params.push(filter.study));
    if (filter.status !== undefined) (where.push('status = ?'), params.push(filter.status));
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY rowid`;
    return (this.db.prepare(sql).all(...params) as Record<string, unknown>[]).map(parseRunRow);
  }

  studies(): Array<{ study: string; runs: number; completed: number }> {
    return this.db
      .prepare<[], { study: string; runs: number; completed: number }>(
        `SELECT study, COUNT(*) AS runs, SUM(status = 'completed') AS completed FROM runs GROUP BY study ORDER BY MIN(rowid)`,
      )
      .all();
  }

  epochs(configHash: string): EpochRow[] {
    // A file older than version 3, opened read-only, has no flip_ratio column.
    const flipRatio = hasColumn(this.db, 'epochs', 'flip_ratio') ? 'flip_ratio' : 'NULL AS flip_ratio';
    return this.db
      .prepare<[string], EpochRow>(
        `SELECT config_hash, epoch, train_loss, train_accuracy, learning_rate, samples_per_s, seconds, test_metric, ${flipRatio} FROM epochs WHERE config_hash = ? ORDER BY epoch`,
      )
      .all(configHash);
  }

  histograms(configHash: string): WeightHistogram[] {
    const rows = this.db
      .prepare<[string], { layer: string; kind: WeightHistogram['kind']; source: string; lo: number; hi: number; counts: string; total: number; zeros: number; distinct_values: number }>(
        `SELECT layer, kind, source, lo, hi, counts, total, zeros, distinct_values FROM histograms WHERE config_hash = ? ORDER BY rowid`,
      )
      .all(configHash);
    return rows.map((r) => ({ layer: r.layer, kind: r.kind, source: r.source, lo: r.lo, hi: r.hi, counts: JSON.parse(r.counts) as number[], total: r.total, zeros: r.zeros, distinctValues: r.distinct_values }));
  }
}

/**
 * Older versions → this one, adding the columns later versions have: runs.validation_metric (2),
 * epochs.flip_ratio (3) and runs.worker (4). Rows already there get null: they had no hold-out, or were recorded
 * before the flip ratio was.
 */
function upgradeSchema(db: Database.Database): void {
  db.transaction(() => {
    if (!hasColumn(db, 'runs', 'validation_metric')) db.exec(`ALTER TABLE runs ADD COLUMN validation_metric REAL`);
    if (!hasColumn(db, 'epochs', 'flip_ratio')) db.exec(`ALTER TABLE epochs ADD COLUMN flip_ratio REAL`);
    if (!hasColumn(db, 'runs', 'worker')) db.exec(`ALTER TABLE runs ADD COLUMN worker TEXT`);
    db.prepare(`UPDATE meta SET value = ? WHERE key = 'schema_version'`).run(String(STORE_SCHEMA_VERSION));
  })();
}

function hasColumn(db: Database.Database, table: 'runs' | 'epochs', column: string): boolean {
  return db.prepare<[string], { name: string }>(`SELECT name FROM pragma_table_info(?)`).all(table).some((c) => c.name === column);
}

function primaryOf(evaluation: Evaluation): number | null {
  return (evaluation.task === 'segmentation' ? evaluation.instance_miou : evaluation.overall_accuracy) ?? null;
}

/** Per-epoch evaluations without the bulky parts (the final one keeps its confusion matrix). */
function slimEvaluation(evaluation: Evaluation): Partial<Evaluation> {
  const { confusion_matrix: _matrix, class_names: _names, ...rest } = evaluation;
  return rest;
}

const JSON_COLUMNS = ['compress', 'config', 'environment', 'final', 'compression'] as const;

function parseRunRow(row: Record<string, unknown>): RunRow {
  const out: Record<string, unknown> = { ...row };
  for (const column of JSON_COLUMNS) {
    const value = row[column];
    out[column] = typeof value === 'string' ? (JSON.parse(value) as unknown) : null;
  }
  // Read-only files of schema version 1 have no validation column, those before 4 no worker column.
  out['validation_metric'] ??= null;
  out['worker'] ??= null;
  return out as unknown as RunRow;
}
