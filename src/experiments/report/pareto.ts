/**
 * Accuracy against packed size for one task: every method of the study as a point (mean over
 * seeds, ±1 std), and the Pareto front through the methods no smaller method beats. What a reader
 * wants from a compression study is that front: for a byte budget, the best method under it.
 */
import * as d3 from 'd3';
import { formatBytes, metricTitle, type Cell } from './aggregate.ts';
import type { Plot } from './plots.ts';
import { drawAxes, Figure, PALETTE } from './svg.ts';

/** The cells on the front: ordered by size, each more accurate than every smaller one. */
export function paretoFront(cells: readonly Cell[]): Cell[] {
  const sized = cells.filter((c) => c.packed_bytes && Number.isFinite(c.packed_bytes.mean) && Number.isFinite(c.metric.mean));
  // equal sizes: the more accurate first, so the other one is dominated
  const bySize = [...sized].sort((a, b) => a.packed_bytes!.mean - b.packed_bytes!.mean || b.metric.mean - a.metric.mean);
  const front: Cell[] = [];
  for (const cell of bySize) if (front.length === 0 || cell.metric.mean > front[front.length - 1]!.metric.mean) front.push(cell);
  return front;
}

/** Powers of 4 from 1 KiB inside the domain: few, round, and evenly spaced on a log axis. */
function sizeTicks([lo, hi]: [number, number]): number[] {
  const ticks: number[] = [];
  for (let v = 1024; v <= hi; v *= 4) if (v >= lo) ticks.push(v);
  return ticks.length >= 2 ? ticks : [lo * 1.5, hi / 1.5];
}

export function accuracyVsSize(task: string, cells: Cell[]): Plot | null {
  const sized = cells.filter((c) => c.packed_bytes && Number.isFinite(c.packed_bytes.mean) && c.packed_bytes.mean > 0);
  if (sized.length < 2) return null;
  const withInitializer = new Set(sized.map((c) => c.initializer)).size > 1;
  const labelOf = (c: Cell) => (withInitializer ? `${c.method} · ${c.initializer}` : c.method);
  const front = paretoFront(sized);
  const onFront = new Set(front);
  const width = 760;
  const figure = new Figure(width, 440, `${task}: accuracy vs packed size`, 'every method, mean ± std over seeds; line: the Pareto front (no smaller model is more accurate)');
  const box = { x: 70, y: 60, width: width - 200, height: 320 };
  const g = figure.panel(box);
  const [lo, hi] = d3.extent(sized, (c) => c.packed_bytes!.mean) as [number, number];
  const x = d3.scaleLog().domain([lo / 1.5, hi * 1.5]).range([0, box.width]);
  const metricValues = sized.flatMap((c) => [c.metric.mean - c.metric.std, c.metric.mean + c.metric.std]);
  const [yLo, yHi] = d3.extent(metricValues) as [number, number];
  const pad = Math.max(0.02, (yHi - yLo) * 0.1);
  const y = d3.scaleLinear().domain([Math.max(0, yLo - pad), Math.min(1, yHi + pad)]).range([box.height, 0]).nice();
  drawAxes(g, box, x, y, { x: 'packed size (log scale)', y: metricTitle(sized[0]!.metric_name) }, {
    xTickFormat: (v) => formatBytes({ mean: Number(v), std: 0, n: 1 }),
    yTickFormat: (v) => `${Math.round(Number(v) * 100)}`,
    xTickValues: sizeTicks(x.domain() as [number, number]),
  });
  const line = d3
    .line<Cell>()
    .x((c) => x(c.packed_bytes!.mean))
    .y((c) => y(c.metric.mean))
    .curve(d3.curveStepAfter);
  g.append('path').attr('class', 'pareto-front').attr('d', line(front)).attr('fill', 'none').attr('stroke', '#222').attr('stroke-width', 1.5).attr('stroke-dasharray', '5,3');
  sized.forEach((c, i) => {
    const cx = x(c.packed_bytes!.mean);
    const color = onFront.has(c) ? PALETTE[0]! : '#999999';
    if (c.metric.n > 1) g.append('line').attr('x1', cx).attr('x2', cx).attr('y1', y(c.metric.mean - c.metric.std)).attr('y2', y(c.metric.mean + c.metric.std)).attr('stroke', color).attr('stroke-width', 1.5);
    g.append('circle').attr('class', onFront.has(c) ? 'front' : 'dominated').attr('cx', cx).attr('cy', y(c.metric.mean)).attr('r', 5).attr('fill', color).attr('stroke', '#fff');
    // labels alternate above and below the point so neighbours of similar size stay readable
    g.append('text').attr('x', cx + 7).attr('y', y(c.metric.mean) + (i % 2 === 0 ? -7 : 13)).attr('font-size', 10).attr('fill', onFront.has(c) ? '#222' : '#777').text(labelOf(c));
  });
  return {
    file: `accuracy-vs-size-${task.replace(/[^A-Za-z0-9_.-]+/g, '_')}.svg`,
    title: `${task}: accuracy vs packed size`,
    caption: `Test ${metricTitle(sized[0]!.metric_name).replace(' (%)', '')} of every method of ${task} against its packed size (weights at their stored bits); blue points are on the Pareto front: ${front.map(labelOf).join(' → ')}.`,
    svg: figure.toString(),
  };
}
