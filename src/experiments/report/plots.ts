/**
 * The report's figures, each a standalone SVG drawn with d3 from the store's numbers:
 *  - accuracy retained vs bits, one line per task (methods without pruning, mean ± std over
 *    seeds; retained % of the reference, so tasks of different accuracy share one axis);
 *  - accuracy vs sparsity per task, one line per initializer (and method family);
 *  - accuracy vs packed size per task with its Pareto front (pareto.ts);
 *  - training curves per task: train loss and the test metric per epoch, one line per method (curves.ts);
 *  - a confusion-matrix heatmap per classification method (heatmap.ts);
 *  - weight histograms per task and initializer: initial, trained latent and effective
 *    (masked + quantized) weights of every method, all weight layers together.
 */
import * as d3 from 'd3';
import type { EpochRow, RunRow, WeightHistogram } from '../store.ts';
import { cellKey, formatBits, metricTitle, type Cell, type Stat } from './aggregate.ts';
import { summedConfusions } from './confusions.ts';
import { trainingCurves } from './curves.ts';
import { confusionHeatmap } from './heatmap.ts';
import { accuracyVsSize } from './pareto.ts';
import { drawAxes, drawLegend, Figure, legendRows, PALETTE } from './svg.ts';

export interface Plot {
  file: string;
  title: string;
  /** What the figure shows, for the report's caption. */
  caption: string;
  svg: string;
}

export interface PlotData {
  cells: Cell[];
  rows: RunRow[];
  epochs: (configHash: string) => EpochRow[];
  histograms: (configHash: string) => WeightHistogram[];
}

export function allPlots(data: PlotData): Plot[] {
  const plots: Plot[] = [];
  const bits = accuracyVsBits(data.cells);
  if (bits) plots.push(bits);
  const tasks = [...new Set(data.cells.map((c) => c.task_label))];
  for (const task of tasks) {
    const cells = data.cells.filter((c) => c.task_label === task);
    const sparsity = accuracyVsSparsity(task, cells);
    if (sparsity) plots.push(sparsity);
    const size = accuracyVsSize(task, cells);
    if (size) plots.push(size);
    const curves = trainingCurves(task, cells, data);
    if (curves) plots.push(curves);
    for (const initializer of [...new Set(cells.map((c) => c.initializer))]) {
      const histograms = weightHistogramPlot(task, initializer, cells.filter((c) => c.initializer === initializer), data);
      if (histograms) plots.push(histograms);
    }
  }
  plots.push(...confusionHeatmaps(data));
  return plots;
}

/** One heatmap per classification cell, in the order of the results table. */
export function confusionHeatmaps(data: Pick<PlotData, 'cells' | 'rows'>): Plot[] {
  const summed = summedConfusions(data.rows);
  const withInitializer = new Set(data.cells.map((c) => c.initializer)).size > 1;
  return data.cells.flatMap((cell) => {
    const confusion = summed.get(cellKey(cell));
    if (!confusion) return [];
    const name = withInitializer ? `${cell.task_label} · ${cell.method} · ${cell.initializer}` : `${cell.task_label} · ${cell.method}`;
    return [
      confusionHeatmap({
        file: `confusion-${fileSafe(cell.task_label)}-${fileSafe(cell.method)}${withInitializer ? `-${fileSafe(cell.initializer)}` : ''}.svg`,
        title: `${name}: confusion matrix`,
        subtitle: `test set, ${confusion.runs} run${confusion.runs === 1 ? '' : 's'} summed; each row: where that class's samples went (% of the row)`,
        caption: `Where ${cell.method} sends each class of ${cell.task_label}'s test set (rows: true class, % of its samples; the diagonal is correct), summed over ${confusion.runs} run${confusion.runs === 1 ? '' : 's'}.`,
        names: confusion.names,
        matrix: confusion.matrix,
      }),
    ];
  });
}

export function fileSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

const percent = (v: d3.NumberValue) => `${Math.round(Number(v) * 100)}`;

function metricLabel(cells: Cell[]): string {
  const names = [...new Set(cells.map((c) => metricTitle(c.metric_name)))];
  return names.join(' / ');
}

function yDomain(values: Array<{ mean: number; std: number }>): [number, number] {
  const lo = d3.min(values, (v) => v.mean - v.std) ?? 0;
  const hi = d3.max(values, (v) => v.mean + v.std) ?? 1;
  const pad = Math.max(0.02, (hi - lo) * 0.1);
  return [Math.max(0, lo - pad), Math.min(1, hi + pad)];
}

/**
 * Accuracy retained vs weight bits: x = methods without pruning ordered by bits (descending), a
 * line per task. y is each method's metric as a percentage of its reference's (per seed, then
 * mean ± std), so a classification and a segmentation task share one axis; without a reference
 * run the plot falls back to the metric itself.
 */
export function accuracyVsBits(allCells: Cell[]): Plot | null {
  const cells = allCells.filter((c) => c.sparsity === 0);
  const methods = [...new Map(cells.map((c) => [c.method, c.bits])).entries()].sort((a, b) => b[1] - a[1]).map(([m]) => m);
  if (methods.length < 2) return null;
  const retained = cells.every((c) => c.retained !== null);
  const valueOf = (c: Cell): Stat => (retained ? c.retained! : c.metric);
  const references = [...new Set(cells.map((c) => c.reference).filter((r): r is string => r !== null))];
  const initializers = [...new Set(cells.map((c) => c.initializer))];
  const seriesKey = (c: Cell) => (initializers.length > 1 ? `${c.task_label} · ${c.initializer}` : c.task_label);
  const series = d3.groups(cells, seriesKey);
  const width = 760;
  const plotWidth = width - 100;
  const legend = legendRows(series.map(([k]) => k), plotWidth);
  const height = 420 + legend * 18;
  const title = retained ? 'Accuracy retained vs weight bits' : 'Accuracy vs weight bits';
  const figure = new Figure(width, height, title, `mean ± std over seeds; x: methods without pruning, ordered by weight bits${retained ? `; y: % of ${references.join(' / ')} (paired by seed)` : ''}`);
  const box = { x: 70, y: 60 + legend * 18, width: plotWidth, height: 290 };
  const g = figure.panel(box);
  const bitsOf = new Map(cells.map((c) => [c.method, c.bits]));
  const x = d3.scalePoint<string>().domain(methods).range([0, box.width]).padding(0.4);
  const values = cells.map(valueOf);
  const y = retained ? d3.scaleLinear().domain(retainedDomain(values)).range([box.height, 0]).nice() : d3.scaleLinear().domain(yDomain(values)).range([box.height, 0]).nice();
  drawAxes(g, box, x, y, { x: 'method (weight bits)', y: retained ? `${metricLabel(cells).replace(/ \(%\)/g, '')} retained (% of ${references.join(' / ')})` : metricLabel(cells) }, {
    xTickFormat: (m: string) => `${String(m)} (${formatBits(bitsOf.get(String(m)) ?? 32)})`,
    yTickFormat: percent,
  });
  if (retained) g.append('line').attr('x1', 0).attr('x2', box.width).attr('y1', y(1)).attr('y2', y(1)).attr('stroke', '#888').attr('stroke-dasharray', '3,3');
  series.forEach(([, items], i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const points = methods.map((m) => items.find((c) => c.method === m)).filter((c): c is Cell => c !== undefined);
    // series side by side by a few pixels, so equal values and error bars stay visible
    const xOf = (c: Cell) => x(c.method)! + (i - (series.length - 1) / 2) * 3;
    // solid between neighbouring methods, dashed across methods this series did not run
    for (let k = 0; k + 1 < points.length; k++) {
      const [a, b] = [points[k]!, points[k + 1]!];
      const adjacent = methods.indexOf(b.method) - methods.indexOf(a.method) === 1;
      const segment = g.append('line').attr('x1', xOf(a)).attr('y1', y(valueOf(a).mean)).attr('x2', xOf(b)).attr('y2', y(valueOf(b).mean)).attr('stroke', color).attr('stroke-width', 2.5);
      if (!adjacent) segment.attr('stroke-dasharray', '4,5').attr('stroke-opacity', 0.6);
    }
    errorBars(g, points, xOf, y, color, valueOf);
  });
  drawLegend(figure.svg, series.map(([k], i) => ({ label: k, color: PALETTE[i % PALETTE.length]! })), 70, 62, plotWidth);
  return {
    file: 'accuracy-vs-bits.svg',
    title,
    caption: retained
      ? `Each task’s test metric as a percentage of its reference method’s (${references.join(', ')}; per seed, then mean), for every method without pruning, ordered by weight bits; error bars are ±1 std over seeds; a dashed line passes over methods the task did not run.`
      : 'Each task’s test metric for every method without pruning, ordered by weight bits; error bars are ±1 std over seeds; a dashed line passes over methods the task did not run.',
    svg: figure.toString(),
  };
}

/** The retained axis always shows 100 % (the reference) and the lowest value. */
function retainedDomain(values: Stat[]): [number, number] {
  const lo = d3.min(values, (v) => v.mean - v.std) ?? 0;
  const hi = Math.max(1, d3.max(values, (v) => v.mean + v.std) ?? 1);
  const pad = Math.max(0.02, (hi - lo) * 0.08);
  return [Math.max(0, lo - pad), hi + pad];
}

function errorBars(g: d3.Selection<SVGGElement, unknown, null, undefined>, cells: Cell[], xOf: (c: Cell) => number, y: d3.ScaleLinear<number, number>, color: string, valueOf: (c: Cell) => Stat = (c) => c.metric): void {
  for (const c of cells) {
    const cx = xOf(c);
    const v = valueOf(c);
    if (v.n > 1) {
      g.append('line').attr('x1', cx).attr('x2', cx).attr('y1', y(v.mean - v.std)).attr('y2', y(v.mean + v.std)).attr('stroke', color).attr('stroke-width', 1.5);
      for (const end of [v.mean - v.std, v.mean + v.std]) {
        g.append('line').attr('x1', cx - 4).attr('x2', cx + 4).attr('y1', y(end)).attr('y2', y(end)).attr('stroke', color).attr('stroke-width', 1.5);
      }
    }
    g.append('circle').attr('cx', cx).attr('cy', y(v.mean)).attr('r', 4).attr('fill', color).attr('stroke', '#fff');
  }
}

/**
 * Accuracy vs sparsity for one task: a line per initializer (and per method family when there are
 * several, dashed), through the pruned methods and the unpruned method of the same bits at 0 %.
 */
export function accuracyVsSparsity(task: string, cells: Cell[]): Plot | null {
  const pruned = cells.filter((c) => c.sparsity > 0);
  if (pruned.length === 0) return null;
  const families = [...new Set(pruned.map((c) => c.family))];
  const initializers = [...new Set(cells.map((c) => c.initializer))];
  const series: Array<{ label: string; color: string; dashed: boolean; points: Cell[] }> = [];
  for (const [f, family] of families.entries()) {
    for (const [i, initializer] of initializers.entries()) {
      const members = pruned.filter((c) => c.family === family && c.initializer === initializer);
      if (members.length === 0) continue;
      const bits = members[0]!.bits;
      const anchor = cells.find((c) => c.sparsity === 0 && c.bits === bits && c.initializer === initializer);
      const points = [...(anchor ? [anchor] : []), ...members].sort((a, b) => a.sparsity - b.sparsity);
      const label = [families.length > 1 ? family : null, initializers.length > 1 || families.length === 1 ? initializer : null].filter(Boolean).join(' · ');
      series.push({ label, color: PALETTE[(initializers.length > 1 ? i : f) % PALETTE.length]!, dashed: initializers.length > 1 && f > 0, points });
    }
  }
  const width = 760;
  const plotWidth = width - 100;
  const legend = legendRows(series.map((s) => s.label), plotWidth);
  const figure = new Figure(width, 420 + legend * 18, `${task}: accuracy vs sparsity`, 'mean ± std over seeds; 0 % is the unpruned method of the same bits');
  const box = { x: 70, y: 60 + legend * 18, width: plotWidth, height: 290 };
  const g = figure.panel(box);
  const all = series.flatMap((s) => s.points);
  const x = d3.scaleLinear().domain([0, Math.max(0.5, d3.max(all, (c) => c.sparsity) ?? 1)]).range([0, box.width]).nice();
  const y = d3.scaleLinear().domain(yDomain(all.map((c) => c.metric))).range([box.height, 0]).nice();
  drawAxes(g, box, x, y, { x: 'weights pruned (%)', y: metricLabel(all) }, { xTickFormat: percent, yTickFormat: percent });
  series.forEach((s, i) => {
    const line = d3
      .line<Cell>()
      .x((c) => x(c.sparsity))
      .y((c) => y(c.metric.mean));
    const xOf = (c: Cell) => x(c.sparsity) + (i - (series.length - 1) / 2) * 2;
    line.x(xOf);
    const path = g.append('path').attr('d', line(s.points)).attr('fill', 'none').attr('stroke', s.color).attr('stroke-width', 2.5);
    if (s.dashed) path.attr('stroke-dasharray', '6,4');
    errorBars(g, s.points, xOf, y, s.color);
  });
  drawLegend(figure.svg, series, 70, 62, plotWidth);
  return {
    file: `accuracy-vs-sparsity-${fileSafe(task)}.svg`,
    title: `${task}: accuracy vs sparsity`,
    caption: `Test metric of ${task} against the fraction of weights pruned, one line per initializer${families.length > 1 ? ' and method family' : ''}.`,
    svg: figure.toString(),
  };
}

const KINDS: Array<{ kind: WeightHistogram['kind']; title: string; color: string }> = [
  { kind: 'initial', title: 'initial weights', color: '#9c755f' },
  { kind: 'latent', title: 'trained latent weights', color: '#4e79a7' },
  { kind: 'effective', title: 'effective (masked + quantized)', color: '#e15759' },
];

/**
 * Small multiples: a row per method, columns initial / trained latent / effective weights, all
 * weight layers together, from the run with the lowest seed. Bar heights are fractions of the
 * weights on a square-root scale so that a spike of pruned zeros does not hide the rest.
 */
export function weightHistogramPlot(task: string, initializer: string, cells: Cell[], data: PlotData): Plot | null {
  const rows = cells
    .map((cell) => {
      const run = data.rows
        .filter((r) => r.status === 'completed' && r.task_label === task && r.method === cell.method && r.initializer === initializer)
        .sort((a, b) => a.seed - b.seed)[0];
      const histograms = run ? data.histograms(run.config_hash).filter((h) => h.layer === '*') : [];
      return { cell, seed: run?.seed, histograms };
    })
    .filter((r) => r.histograms.length > 0);
  if (rows.length === 0) return null;
  const cellWidth = 250;
  const cellHeight = 110;
  const left = 130;
  const width = left + KINDS.length * (cellWidth + 30) + 10;
  const height = 90 + rows.length * (cellHeight + 52);
  const figure = new Figure(width, height, `${task}: weight histograms (${initializer})`, 'all weight layers together, lowest seed; bar height: fraction of weights (√ scale); label: distinct values, zeros');
  KINDS.forEach((k, j) => figure.svg.append('text').attr('x', left + j * (cellWidth + 30) + cellWidth / 2).attr('y', 64).attr('text-anchor', 'middle').attr('font-weight', 'bold').attr('fill', k.color).text(k.title));
  rows.forEach((row, i) => {
    const top = 80 + i * (cellHeight + 52);
    figure.svg.append('text').attr('x', 12).attr('y', top + cellHeight / 2).attr('font-weight', 'bold').attr('fill', '#222').text(row.cell.method);
    figure.svg.append('text').attr('x', 12).attr('y', top + cellHeight / 2 + 16).attr('font-size', 10).attr('fill', '#555').text(`${formatBits(row.cell.bits)} bit${row.cell.bits === 1 ? '' : 's'}, seed ${row.seed}`);
    KINDS.forEach((k, j) => {
      const h = row.histograms.find((x) => x.kind === k.kind);
      const g = figure.panel({ x: left + j * (cellWidth + 30), y: top, width: cellWidth, height: cellHeight });
      if (!h) return;
      const fractions = h.counts.map((c) => c / Math.max(1, h.total));
      const x = d3.scaleLinear().domain([h.lo, h.hi]).range([0, cellWidth]);
      const y = d3.scaleSqrt().domain([0, d3.max(fractions) || 1]).range([cellHeight, 0]);
      const binWidth = cellWidth / h.counts.length;
      fractions.forEach((f, b) => {
        if (f <= 0) return;
        g.append('rect').attr('x', b * binWidth + 0.5).attr('y', y(f)).attr('width', Math.max(1, binWidth - 1)).attr('height', cellHeight - y(f)).attr('fill', k.color);
      });
      g.append('line').attr('x1', 0).attr('x2', cellWidth).attr('y1', cellHeight).attr('y2', cellHeight).attr('stroke', '#888');
      g.append('g').attr('transform', `translate(0,${cellHeight})`).call(d3.axisBottom(x).ticks(5).tickFormat(d3.format('.2~g'))).attr('font-size', 9);
      g.append('text').attr('x', cellWidth / 2).attr('y', cellHeight + 32).attr('text-anchor', 'middle').attr('font-size', 10).attr('fill', '#333')
        .text(`${h.distinctValues >= 1000 ? '≥1000' : h.distinctValues} values, ${((h.zeros / Math.max(1, h.total)) * 100).toFixed(1)} % zero`);
    });
  });
  return {
    file: `weights-${fileSafe(task)}-${fileSafe(initializer)}.svg`,
    title: `${task}: weight histograms (${initializer})`,
    caption: `Weights of ${task} with initializer ${initializer}: at initialization, the trained latent (float) weights, and the effective weights the forward pass uses after masking and quantization (QuantizedLayer.effectiveWeight() on the last checkpoint).`,
    svg: figure.toString(),
  };
}
