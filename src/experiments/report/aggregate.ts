/**
 * The numbers of a report, computed from the store's rows and nothing else: completed runs grouped
 * by (task, method, initializer), mean and sample standard deviation over seeds of each metric, and
 * the accuracy retained relative to the study's reference method of the same task and initializer
 * (per seed when the reference has that seed, as a ratio of the two metrics), and the paired
 * difference to it in points (metric − reference metric per seed, then mean ± std over seeds).
 * The paired difference is what "within N points of full precision" asks about, and it is less
 * noisy than two independent means: a seed that draws a lucky split helps both runs. A method may
 * name its own reference (a longer-trained fp run for a longer-trained binary one), so that it is
 * compared with full precision at equal training.
 */
import type { RunRow } from '../store.ts';

export interface Stat {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  std: number;
  n: number;
}

/** What each method is compared with: the study's reference, or the method's own (`methods`). */
export interface References {
  study: string | null;
  methods?: Readonly<Record<string, string>>;
}

export function referenceOf(references: References, method: string): string | null {
  return references.methods?.[method] ?? references.study;
}

export interface Cell {
  task_label: string;
  model: string;
  dataset: string;
  task: string;
  method: string;
  family: string;
  initializer: string;
  bits: number;
  activation_bits: number;
  sparsity: number;
  seeds: number[];
  /** overall_accuracy (classification) or instance_miou (segmentation). */
  metric_name: string;
  metric: Stat;
  /** mean_class_accuracy or class_miou. */
  secondary_name: string;
  secondary: Stat | null;
  /** The metric on the runs' validation hold-out (config `validation`); null without one. */
  validation: Stat | null;
  /** The method this cell is compared with (`retained`, `difference`); null without one. */
  reference: string | null;
  retained: Stat | null;
  /** metric − the reference's metric of the same seed; null without a reference run. */
  difference: Stat | null;
  packed_bytes: Stat | null;
  compression_ratio: Stat | null;
  measured_sparsity: Stat | null;
  duration_s: Stat;
}

export function stat(values: readonly number[]): Stat {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), n };
}

function optionalStat(values: Array<number | null>): Stat | null {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return present.length ? stat(present) : null;
}

/** The plot series a method belongs to: its label without a trailing number (prune-90 → prune). */
export function methodFamily(method: string): string {
  const stripped = method.replace(/[-_]?\d+(\.\d+)?$/, '');
  return stripped || method;
}

/** The key of a report cell: runs of one task, method and initializer, over seeds. */
export function cellKey(c: { task_label: string; method: string; initializer: string }): string {
  return `${c.task_label}\u0000${c.method}\u0000${c.initializer}`;
}

export function aggregate(rows: readonly RunRow[], references: References): Cell[] {
  const completed = rows.filter((r) => r.status === 'completed' && r.metric !== null);
  const groups = new Map<string, RunRow[]>();
  for (const row of completed) {
    const key = cellKey(row);
    const group = groups.get(key) ?? [];
    group.push(row);
    groups.set(key, group);
  }
  const referenceMetric = (row: RunRow): number | null => {
    const reference = referenceOf(references, row.method);
    if (!reference) return null;
    const match = completed.find((r) => r.task_label === row.task_label && r.initializer === row.initializer && r.method === reference && r.seed === row.seed);
    return match?.metric ?? null;
  };
  const cells: Cell[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const segmentation = first.metric_name === 'instance_miou';
    const paired = group.map((row) => ({ value: row.metric!, base: referenceMetric(row) })).filter((p): p is { value: number; base: number } => p.base !== null);
    const retained = paired.filter((p) => p.base > 0).map((p) => p.value / p.base);
    const differences = paired.map((p) => p.value - p.base);
    cells.push({
      task_label: first.task_label,
      model: first.model,
      dataset: first.dataset,
      task: first.task ?? '',
      method: first.method,
      family: methodFamily(first.method),
      initializer: first.initializer,
      bits: first.bits,
      activation_bits: first.activation_bits,
      sparsity: first.sparsity,
      seeds: group.map((r) => r.seed).sort((a, b) => a - b),
      metric_name: first.metric_name ?? 'metric',
      metric: stat(group.map((r) => r.metric!)),
      secondary_name: segmentation ? 'class_miou' : 'mean_class_accuracy',
      secondary: optionalStat(group.map((r) => (segmentation ? r.class_miou : r.mean_class_accuracy))),
      validation: optionalStat(group.map((r) => r.validation_metric)),
      reference: referenceOf(references, first.method),
      retained: retained.length ? stat(retained) : null,
      difference: differences.length ? stat(differences) : null,
      packed_bytes: optionalStat(group.map((r) => r.packed_bytes)),
      compression_ratio: optionalStat(group.map((r) => r.compression_ratio)),
      measured_sparsity: optionalStat(group.map((r) => r.measured_sparsity)),
      duration_s: stat(group.map((r) => r.duration_s ?? 0)),
    });
  }
  return orderCells(cells, rows);
}

/** Cells in the order their runs were planned (the study's order), not alphabetically. */
function orderCells(cells: Cell[], rows: readonly RunRow[]): Cell[] {
  const rank = (list: string[], value: string) => list.indexOf(value);
  const tasks = [...new Set(rows.map((r) => r.task_label))];
  const methods = [...new Set(rows.map((r) => r.method))];
  const initializers = [...new Set(rows.map((r) => r.initializer))];
  return cells.sort(
    (a, b) =>
      rank(tasks, a.task_label) - rank(tasks, b.task_label) ||
      rank(methods, a.method) - rank(methods, b.method) ||
      rank(initializers, a.initializer) - rank(initializers, b.initializer),
  );
}

/** `71.23 ± 1.05` in percent (two decimals); a single seed shows no ±. */
export function formatPercent(s: Stat | null): string {
  if (!s || !Number.isFinite(s.mean)) return '–';
  return s.n > 1 ? `${(s.mean * 100).toFixed(2)} ± ${(s.std * 100).toFixed(2)}` : (s.mean * 100).toFixed(2);
}

/** A paired difference in points of percent, signed: "−1.20 ± 0.80" (n > 1) or "+0.33". */
export function formatPoints(s: Stat | null): string {
  if (!s || !Number.isFinite(s.mean)) return '–';
  // the sign of what is printed: a mean of −1e-16 (float noise) prints as +0.00, not −0.00
  const signed = (v: number) => {
    const digits = Math.abs(v * 100).toFixed(2);
    return `${v < 0 && Number(digits) !== 0 ? '−' : '+'}${digits}`;
  };
  return s.n > 1 ? `${signed(s.mean)} ± ${(s.std * 100).toFixed(2)}` : signed(s.mean);
}

export function formatBytes(s: Stat | null): string {
  if (!s || !Number.isFinite(s.mean)) return '–';
  const bytes = s.mean;
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes.toFixed(0)} B`;
}

export function formatRatio(s: Stat | null): string {
  return s && Number.isFinite(s.mean) ? `${s.mean.toFixed(1)}×` : '–';
}

export function formatBits(bits: number): string {
  return Number.isInteger(bits) ? String(bits) : bits.toFixed(2);
}

export function metricTitle(name: string): string {
  switch (name) {
    case 'overall_accuracy':
      return 'accuracy (%)';
    case 'instance_miou':
      return 'instance mIoU (%)';
    case 'mean_class_accuracy':
      return 'mean class acc. (%)';
    case 'class_miou':
      return 'class mIoU (%)';
    default:
      return name;
  }
}
