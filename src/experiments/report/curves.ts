/**
 * Training curves: train loss and the test metric per epoch, side by side, one line per series.
 * A study report draws one series per method (the mean over its runs); `report --run` draws one
 * run. Each series is drawn once per panel, through the epochs where every run it averages has a
 * value: a mean over fewer runs at some epochs (a seed evaluated on other epochs, a run cut short)
 * would zigzag, and a second path per method would look like a second series.
 */
import * as d3 from 'd3';
import type { EpochRow, RunRow } from '../store.ts';
import { metricTitle, stat, type Cell } from './aggregate.ts';
import type { Plot, PlotData } from './plots.ts';
import { drawAxes, drawLegend, Figure, legendRows, PALETTE, seriesDash } from './svg.ts';

export interface CurvePoint {
  /** 1-based, as a reader counts epochs. */
  epoch: number;
  value: number;
}

export interface CurveSeries {
  label: string;
  loss: CurvePoint[];
  metric: CurvePoint[];
}

export interface CurvesFigure {
  file: string;
  title: string;
  subtitle: string;
  caption: string;
  /** The y label of the right panel, e.g. 'test accuracy (%)'. */
  metricLabel: string;
  series: CurveSeries[];
}

/** The mean over runs of one per-epoch value, at the epochs every run has it. */
export function meanCurve(runs: EpochRow[][], value: (e: EpochRow) => number | null): CurvePoint[] {
  if (runs.length === 0) return [];
  const perRun = runs.map((epochs) => new Map(epochs.flatMap((e) => (value(e) === null ? [] : [[e.epoch, value(e)!] as const]))));
  const shared = [...perRun[0]!.keys()].filter((epoch) => perRun.every((m) => m.has(epoch))).sort((a, b) => a - b);
  return shared.map((epoch) => ({ epoch: epoch + 1, value: stat(perRun.map((m) => m.get(epoch)!)).mean }));
}

/** A study's curves for one task: a series per method of the first initializer, mean over seeds. */
export function trainingCurves(task: string, cells: Cell[], data: PlotData): Plot | null {
  const initializer = cells[0]?.initializer;
  const shown = cells.filter((c) => c.initializer === initializer);
  const series = shown.map((cell) => {
    const runs = data.rows
      .filter((r: RunRow) => r.status === 'completed' && r.task_label === task && r.method === cell.method && r.initializer === initializer)
      .map((r) => data.epochs(r.config_hash));
    return { label: cell.method, loss: meanCurve(runs, (e) => e.train_loss), metric: meanCurve(runs, (e) => e.test_metric) };
  });
  if (!series.some((s) => s.loss.length > 0)) return null;
  const metric = [...new Set(shown.map((c) => metricTitle(c.metric_name)))].join(' / ');
  return curvesPlot({
    file: `curves-${task.replace(/[^A-Za-z0-9_.-]+/g, '_')}.svg`,
    title: `${task}: training curves`,
    subtitle: `mean over seeds, at the epochs every seed has${new Set(cells.map((c) => c.initializer)).size > 1 ? `; initializer ${initializer}` : ''}`,
    caption: `Train loss and test ${metric} per epoch for each method of ${task} (mean over seeds).`,
    metricLabel: `test ${metric}`,
    series,
  });
}

export function curvesPlot(figureSpec: CurvesFigure): Plot {
  const { series } = figureSpec;
  const width = 900;
  const legend = legendRows(series.map((c) => c.label), width - 100);
  const figure = new Figure(width, 400 + legend * 18, figureSpec.title, figureSpec.subtitle);
  const top = 60 + legend * 18;
  const panelWidth = (width - 70 * 2 - 60) / 2;
  const maxEpoch = d3.max(series.flatMap((c) => [...c.loss, ...c.metric].map((p) => p.epoch))) ?? 1;
  const x = d3.scaleLinear().domain([1, Math.max(2, maxEpoch)]).range([0, panelWidth]);
  const panels: Array<{ key: 'loss' | 'metric'; label: string; format?: (v: d3.NumberValue) => string }> = [
    { key: 'loss', label: 'train loss' },
    { key: 'metric', label: figureSpec.metricLabel, format: (v) => `${Math.round(Number(v) * 100)}` },
  ];
  panels.forEach((panel, p) => {
    const box = { x: 70 + p * (panelWidth + 90), y: top, width: panelWidth, height: 270 };
    const g = figure.panel(box);
    const values = series.flatMap((c) => c[panel.key].map((v) => v.value));
    const lo = d3.min(values) ?? 0;
    const hi = d3.max(values) ?? 1;
    const pad = Math.max((hi - lo) * 0.1, 0.02);
    const y = d3.scaleLinear().domain([Math.max(0, lo - pad), hi + pad]).range([box.height, 0]).nice();
    drawAxes(g, box, x, y, { x: 'epoch', y: panel.label }, { xTicks: Math.min(maxEpoch, 8), xTickFormat: d3.format('d'), ...(panel.format ? { yTickFormat: panel.format } : {}) });
    series.forEach((curve, i) => {
      const points = curve[panel.key];
      if (points.length === 0) return;
      const color = PALETTE[i % PALETTE.length]!;
      const line = d3
        .line<CurvePoint>()
        .x((d) => x(d.epoch))
        .y((d) => y(d.value));
      const path = g.append('path').attr('class', 'series').attr('data-series', curve.label).attr('d', line(points)).attr('fill', 'none').attr('stroke', color).attr('stroke-width', 2);
      const dash = seriesDash(i);
      if (dash) path.attr('stroke-dasharray', dash);
      for (const point of points) g.append('circle').attr('cx', x(point.epoch)).attr('cy', y(point.value)).attr('r', 2.5).attr('fill', color);
    });
  });
  drawLegend(figure.svg, series.map((c, i) => ({ label: c.label, color: PALETTE[i % PALETTE.length]!, dash: seriesDash(i) })), 70, 62, width - 100);
  return { file: figureSpec.file, title: figureSpec.title, caption: figureSpec.caption, svg: figure.toString() };
}
