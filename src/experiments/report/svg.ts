/**
 * Standalone SVG figures drawn with d3 on a server-side DOM (linkedom): the same d3 code a
 * browser would run, serialized to a file that any viewer, browser or rasterizer opens.
 *
 *   const figure = new Figure(640, 400, 'Accuracy vs bits');
 *   const panel = figure.panel({ x: 60, y: 40, width: 540, height: 300 });
 *   …d3 calls on panel.g…
 *   await writeFile('plot.svg', figure.toString());
 */
import * as d3 from 'd3';
import { parseHTML } from 'linkedom';

export const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
/** Tableau 10: distinguishable series colours. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/**
 * The dash pattern of the i-th series: solid for the first ten (one palette colour each), then
 * dashed and dotted, so an eleventh series does not pass for the first one drawn again.
 */
export function seriesDash(i: number): string | null {
  return [null, '7,4', '2,3'][Math.floor(i / PALETTE.length) % 3]!;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySelection = d3.Selection<any, unknown, null, undefined>;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export class Figure {
  readonly svg: AnySelection;

  constructor(
    readonly width: number,
    readonly height: number,
    title: string,
    subtitle?: string,
  ) {
    const { document } = parseHTML('<!doctype html><html><body></body></html>');
    this.svg = d3
      .select(document.body)
      .append('svg')
      .attr('xmlns', 'http://www.w3.org/2000/svg')
      .attr('width', width)
      .attr('height', height)
      .attr('viewBox', `0 0 ${width} ${height}`)
      .attr('font-family', FONT)
      .attr('font-size', 12)
      .attr('color', '#222');
    this.svg.append('rect').attr('width', width).attr('height', height).attr('fill', '#ffffff');
    this.svg.append('text').attr('x', 16).attr('y', 24).attr('font-size', 16).attr('font-weight', 'bold').attr('fill', '#222').text(title);
    if (subtitle) this.svg.append('text').attr('x', 16).attr('y', 42).attr('font-size', 11).attr('fill', '#555').text(subtitle);
  }

  /** A translated group for one chart area. */
  panel(box: Box): AnySelection {
    return this.svg.append('g').attr('transform', `translate(${box.x},${box.y})`);
  }

  toString(): string {
    const node = this.svg.node() as { outerHTML: string };
    return `<?xml version="1.0" encoding="UTF-8"?>\n${node.outerHTML}\n`;
  }
}

/** Axes with light grid lines; axis text in the figure's font. */
export function drawAxes<X extends d3.AxisDomain>(
  g: AnySelection,
  box: { width: number; height: number },
  x: d3.AxisScale<X>,
  y: d3.AxisScale<d3.NumberValue>,
  labels: { x: string; y: string },
  options: { xTickFormat?: (value: X) => string; yTickFormat?: (value: d3.NumberValue) => string; xTicks?: number; xTickValues?: X[]; yTicks?: number } = {},
): void {
  const yAxis = d3.axisLeft(y).ticks(options.yTicks ?? 5);
  if (options.yTickFormat) yAxis.tickFormat(options.yTickFormat);
  const xAxis = d3.axisBottom(x).ticks(options.xTicks ?? 6);
  if (options.xTickFormat) xAxis.tickFormat(options.xTickFormat);
  if (options.xTickValues) xAxis.tickValues(options.xTickValues);
  g.append('g')
    .attr('class', 'grid')
    .call(d3.axisLeft(y).ticks(options.yTicks ?? 5).tickSize(-box.width).tickFormat(() => ''))
    .call((s: AnySelection) => s.select('.domain').remove())
    .selectAll('line')
    .attr('stroke', '#e5e5e5');
  g.append('g').attr('transform', `translate(0,${box.height})`).call(xAxis).attr('font-family', FONT).attr('font-size', 11);
  g.append('g').call(yAxis).attr('font-family', FONT).attr('font-size', 11);
  g.append('text').attr('x', box.width / 2).attr('y', box.height + 38).attr('text-anchor', 'middle').attr('fill', '#222').text(labels.x);
  g.append('text')
    .attr('transform', `translate(-44,${box.height / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .attr('fill', '#222')
    .text(labels.y);
}

/** A legend: coloured swatches with labels, in rows from (x, y). */
export function drawLegend(g: AnySelection, entries: Array<{ label: string; color: string; dashed?: boolean; dash?: string | null }>, x: number, y: number, maxWidth: number): void {
  let cx = x;
  let cy = y;
  for (const entry of entries) {
    const width = 26 + entry.label.length * 6.6 + 14;
    if (cx + width > x + maxWidth && cx > x) {
      cx = x;
      cy += 18;
    }
    const line = g.append('line').attr('x1', cx).attr('x2', cx + 20).attr('y1', cy - 4).attr('y2', cy - 4).attr('stroke', entry.color).attr('stroke-width', 3);
    if (entry.dash) line.attr('stroke-dasharray', entry.dash);
    else if (entry.dashed) line.attr('stroke-dasharray', '5,3');
    g.append('text').attr('x', cx + 26).attr('y', cy).attr('fill', '#222').attr('font-size', 11).text(entry.label);
    cx += width;
  }
}

/** Rows a legend of these entries takes at this width (to size figures). */
export function legendRows(labels: string[], maxWidth: number): number {
  let rows = labels.length ? 1 : 0;
  let used = 0;
  for (const label of labels) {
    const width = 26 + label.length * 6.6 + 14;
    if (used + width > maxWidth && used > 0) {
      rows++;
      used = 0;
    }
    used += width;
  }
  return rows;
}
