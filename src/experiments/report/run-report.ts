/**
 * The pictures of one `bitpoint train` run, without a study or a store: its training curves
 * (train loss and the test metric per epoch, plus the validation metric when the run holds data
 * out) and, for a classifier, the confusion heatmap of its final test evaluation. A finished run
 * is read from `result.json`; a run still training (or stopped) from `metrics.jsonl`, its
 * heatmap then from the last epoch that evaluated.
 *
 *   const report = await writeRunReport({ runDir: 'runs/pointnet', outDir: 'runs/pointnet/report' });
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Evaluation } from '../../train/evaluate.ts';
import type { EpochMetrics, RunResult } from '../../train/run.ts';
import { FormatError } from '../../util/errors.ts';
import { formatPercent, metricTitle } from './aggregate.ts';
import { curvesPlot, type CurveSeries } from './curves.ts';
import { confusionHeatmap } from './heatmap.ts';
import { markdownOf } from './index.ts';
import type { Plot } from './plots.ts';

export interface RunReport {
  run: string;
  /** Whether result.json exists (the run finished). */
  completed: boolean;
  plots: Plot[];
  files: string[];
}

function primary(evaluation: Evaluation | undefined): number | null {
  if (!evaluation) return null;
  return (evaluation.task === 'segmentation' ? evaluation.instance_miou : evaluation.overall_accuracy) ?? null;
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new FormatError(file, `cannot read it: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function readHistory(file: string): EpochMetrics[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as EpochMetrics;
      } catch {
        throw new FormatError(file, `line ${i + 1} is not JSON`);
      }
    });
}

export async function writeRunReport(options: { runDir: string; outDir?: string }): Promise<RunReport> {
  const { runDir } = options;
  const resultFile = join(runDir, 'result.json');
  const metricsFile = join(runDir, 'metrics.jsonl');
  if (!existsSync(resultFile) && !existsSync(metricsFile)) throw new FormatError(runDir, 'not a run folder: it has neither result.json nor metrics.jsonl');
  const completed = existsSync(resultFile);
  const result = completed ? readJson<RunResult>(resultFile) : null;
  const history = result?.history ?? readHistory(metricsFile);
  const name = result?.name ?? basename(runDir);
  const final = result?.final ?? [...history].reverse().find((m) => m.test)?.test;
  const metricName = final?.task === 'segmentation' ? 'instance_miou' : 'overall_accuracy';
  const outDir = options.outDir ?? join(runDir, 'report');

  const series: CurveSeries[] = [
    {
      label: 'train loss · test',
      loss: history.map((m) => ({ epoch: m.epoch + 1, value: m.train_loss })),
      metric: history.flatMap((m) => (primary(m.test) === null ? [] : [{ epoch: m.epoch + 1, value: primary(m.test)! }])),
    },
  ];
  const validation = history.flatMap((m) => (primary(m.validation) === null ? [] : [{ epoch: m.epoch + 1, value: primary(m.validation)! }]));
  if (validation.length) series.push({ label: 'validation', loss: [], metric: validation });
  const plots: Plot[] = [];
  if (history.length) {
    plots.push(
      curvesPlot({
        file: 'curves.svg',
        title: `${name}: training curves`,
        subtitle: `${history.length} epoch${history.length === 1 ? '' : 's'}${completed ? '' : ' so far (no result.json yet)'}`,
        caption: `Train loss and ${metricTitle(metricName).replace(' (%)', '')} per epoch of ${name}${validation.length ? ', on the test split and the validation hold-out' : ''}.`,
        metricLabel: `test ${metricTitle(metricName)}`,
        series,
      }),
    );
  }
  if (final?.confusion_matrix && final.class_names) {
    plots.push(
      confusionHeatmap({
        file: 'confusion.svg',
        title: `${name}: confusion matrix`,
        subtitle: `${completed ? 'final' : 'latest'} test evaluation, ${final.samples} samples; each row: where that class's samples went (% of the row)`,
        caption: `Where ${name} sends each class of the test set (rows: true class, % of its samples; the diagonal is correct).`,
        names: final.class_names,
        matrix: final.confusion_matrix,
      }),
    );
  }
  if (plots.length === 0) throw new FormatError(runDir, 'nothing to draw yet: no epoch has finished');
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  for (const plot of plots) {
    await writeFile(join(outDir, plot.file), plot.svg);
    files.push(join(outDir, plot.file));
  }
  const summary = {
    header: ['run', 'epochs', metricTitle(metricName), 'status'],
    rows: [[name, String(history.length), final ? formatPercent({ mean: primary(final) ?? NaN, std: 0, n: 1 }) : '–', completed ? 'completed' : 'not finished']],
  };
  const markdown = [`# Run: ${name}`, '', markdownOf(summary), '', ...plots.flatMap((p) => [`## ${p.title}`, '', `![${p.title}](${p.file})`, '', p.caption, ''])].join('\n');
  await writeFile(join(outDir, 'report.md'), markdown);
  files.push(join(outDir, 'report.md'));
  return { run: name, completed, plots, files };
}
