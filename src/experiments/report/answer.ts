/**
 * A study's answer in plain words, written by a person, with every number taken from the store:
 * the prose names a figure by `{{task/method:field}}` (or `{{task/method/initializer:field}}`)
 * and the page generator puts the store's value there. So the words can be edited freely, and a
 * rerun of the study changes the numbers the words cite without anyone retyping them.
 *
 *   On ModelNet40, BiPointNet keeps {{pointnet-vanilla/bipointnet:retained}} % of full precision's
 *   accuracy ({{pointnet-vanilla/bipointnet:difference}} points, {{pointnet-vanilla/bipointnet:seeds}} seeds).
 *
 * A placeholder whose cell has no completed run is an error naming the file and the placeholder:
 * an answer that cites a number the store does not hold is not an answer.
 */
import { formatBits, formatBytes, formatPercent, formatPoints, formatRatio, type Cell } from './aggregate.ts';
import { ReportError } from './index.ts';

/** What a placeholder can name, and how it prints (the results table's formats). */
export const ANSWER_FIELDS: Record<string, (cell: Cell) => string> = {
  /** The metric (accuracy or instance mIoU) in percent: `86.21 ± 0.40`. */
  metric: (c) => formatPercent(c.metric),
  /** Mean class accuracy or class mIoU in percent. */
  secondary: (c) => formatPercent(c.secondary),
  validation: (c) => formatPercent(c.validation),
  /** The paired difference to the cell's reference in points: `−3.20 ± 0.80`. */
  difference: (c) => formatPoints(c.difference),
  /** The metric as a percentage of the reference's. */
  retained: (c) => formatPercent(c.retained),
  packed: (c) => formatBytes(c.packed_bytes),
  /** Compression against float32: `22.1×`. */
  ratio: (c) => formatRatio(c.compression_ratio),
  bits: (c) => `${formatBits(c.bits)}/${formatBits(c.activation_bits)}`,
  /** How many seeds the cell averages. */
  seeds: (c) => String(c.metric.n),
  reference: (c) => c.reference ?? '–',
};

const PLACEHOLDER = /\{\{\s*([^{}]+?)\s*\}\}/g;

/** The answer text with every placeholder replaced by the store's figure; `source` names the file in errors. */
export function fillAnswer(text: string, cells: readonly Cell[], source: string): string {
  return text.replace(PLACEHOLDER, (whole, inner: string) => {
    const match = /^([^/:]+)\/([^/:]+)(?:\/([^/:]+))?:(\w+)$/.exec(inner);
    if (!match) throw new ReportError(`${source}: ${whole} is not a placeholder of the form {{task/method:field}} or {{task/method/initializer:field}}`);
    const [, task, method, initializer, field] = match as unknown as [string, string, string, string | undefined, string];
    const format = ANSWER_FIELDS[field];
    if (!format) throw new ReportError(`${source}: ${whole}: unknown field '${field}' (fields: ${Object.keys(ANSWER_FIELDS).join(', ')})`);
    const candidates = cells.filter((c) => c.task_label === task && c.method === method && (initializer === undefined || c.initializer === initializer));
    if (candidates.length === 0) throw new ReportError(`${source}: ${whole}: the store has no completed runs of ${task}/${method}${initializer ? `/${initializer}` : ''}`);
    if (candidates.length > 1) {
      throw new ReportError(`${source}: ${whole}: ${task}/${method} ran with several initializers (${candidates.map((c) => c.initializer).join(', ')}); name one: {{${task}/${method}/INITIALIZER:${field}}}`);
    }
    return format(candidates[0]!);
  });
}
