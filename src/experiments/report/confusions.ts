/**
 * Which classes a method confuses: for each (task, method, initializer) of a classification study,
 * the test confusion matrices of its completed runs summed, and the class pairs with the most
 * errors in either direction, per run. Next to each pair, the reference method's errors on the
 * same pair, so a report shows where compression costs accuracy, not only how much
 * (e.g. binarized PointNet loses most on prism↔cylinder and pyramid↔cone, pairs that differ in
 * fine geometry).
 */
import type { RunRow } from '../store.ts';
import { cellKey, referenceOf, type References } from './aggregate.ts';

export interface ConfusedPair {
  /** The two classes, in class order. */
  classes: [string, string];
  /** Test samples of either class predicted as the other, per run (mean over the runs). */
  perRun: number;
  /** The cell's reference method's errors on this pair per run; null without reference runs. */
  referencePerRun: number | null;
}

export interface ConfusionCell {
  task_label: string;
  method: string;
  initializer: string;
  /** The method whose errors `referencePerRun` counts; null for the reference itself or without one. */
  reference: string | null;
  runs: number;
  /** All test errors per run. */
  errorsPerRun: number;
  pairs: ConfusedPair[];
}

/** A cell's test confusion matrices summed over its completed runs (rows: true class). */
export interface SummedConfusion {
  /** The cell's first run (task, method, initializer). */
  first: RunRow;
  names: string[];
  matrix: number[][];
  runs: number;
}

/** Per report cell (cellKey), its runs' final confusion matrices summed; runs without one are skipped. */
export function summedConfusions(rows: readonly RunRow[]): Map<string, SummedConfusion> {
  const groups = new Map<string, SummedConfusion>();
  for (const row of rows) {
    const final = row.status === 'completed' ? row.final : null;
    const matrix = final?.confusion_matrix;
    const names = final?.class_names;
    if (!matrix || !names || matrix.length !== names.length) continue;
    const key = cellKey(row);
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { first: row, names, matrix: matrix.map((r) => [...r]), runs: 1 });
    } else if (sameNames(group.names, names)) {
      matrix.forEach((r, i) => r.forEach((v, j) => (group.matrix[i]![j]! += v)));
      group.runs++;
    }
  }
  return groups;
}

/** The most confused pairs of every classification cell, in the order the rows come. */
export function confusedPairs(rows: readonly RunRow[], references: References, top = 3): ConfusionCell[] {
  const groups = summedConfusions(rows);
  const cells: ConfusionCell[] = [];
  for (const summed of groups.values()) {
    const first = summed.first;
    const own = referenceOf(references, first.method);
    const reference = own !== first.method ? own : null;
    const referenceGroup = reference ? groups.get(cellKey({ ...first, method: reference })) : undefined;
    const referenceSummed = referenceGroup && sameNames(referenceGroup.names, summed.names) ? referenceGroup : null;
    const pairs: ConfusedPair[] = [];
    for (let i = 0; i < summed.names.length; i++) {
      for (let j = i + 1; j < summed.names.length; j++) {
        const errors = pairErrors(summed, i, j);
        if (errors === 0) continue;
        pairs.push({
          classes: [summed.names[i]!, summed.names[j]!],
          perRun: errors / summed.runs,
          referencePerRun: referenceSummed ? pairErrors(referenceSummed, i, j) / referenceSummed.runs : null,
        });
      }
    }
    pairs.sort((a, b) => b.perRun - a.perRun);
    const offDiagonal = summed.matrix.reduce((sum, r, i) => sum + r.reduce((s, v, j) => s + (i === j ? 0 : v), 0), 0);
    cells.push({
      task_label: first.task_label,
      method: first.method,
      initializer: first.initializer,
      reference,
      runs: summed.runs,
      errorsPerRun: offDiagonal / summed.runs,
      pairs: pairs.slice(0, top),
    });
  }
  return cells;
}

function pairErrors(summed: SummedConfusion, i: number, j: number): number {
  return summed.matrix[i]![j]! + summed.matrix[j]![i]!;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

/** `prism↔cylinder 15.5 (fp 10.0)`: errors per run, the reference's in brackets. */
export function formatPair(pair: ConfusedPair, reference: string | null): string {
  const own = `${pair.classes[0]}↔${pair.classes[1]} ${pair.perRun.toFixed(1)}`;
  return pair.referencePerRun === null ? own : `${own} (${reference} ${pair.referencePerRun.toFixed(1)})`;
}
