import { axisBottom, max, scaleBand, scaleLinear, select } from 'd3';
import { rgbHex, type Rgb } from './colors.ts';

/**
 * Small d3 bar charts beside each panel: a classifier's class probabilities, and a segmentation
 * model's IoU per part. Horizontal bars with the name on the left and the value on the bar's end,
 * so a long list of classes stays readable; the width follows the panel.
 */

export interface Bar {
  name: string;
  value: number;
  color: Rgb;
  /** Drawn with a marker: the ground-truth class. */
  marked?: boolean;
}

const ROW = 18;
const LABEL_WIDTH = 96;
const VALUE_WIDTH = 44;

export function barChart(container: HTMLElement, bars: readonly Bar[], options: { title: string; width: number; domainMax?: number; format?: (value: number) => string }): void {
  const format = options.format ?? ((value: number) => `${(value * 100).toFixed(1)} %`);
  const width = Math.max(200, options.width);
  const height = bars.length * ROW + 26;
  const x = scaleLinear()
    .domain([0, options.domainMax ?? Math.max(1e-9, max(bars, (bar) => bar.value) ?? 1)])
    .range([LABEL_WIDTH, width - VALUE_WIDTH]);
  const y = scaleBand<number>()
    .domain(bars.map((_, i) => i))
    .range([4, bars.length * ROW + 4])
    .padding(0.18);
  const root = select(container);
  root.selectAll('*').remove();
  root.append('div').attr('class', 'chart-title').text(options.title);
  const svg = root.append('svg').attr('class', 'bar-chart').attr('width', width).attr('height', height).attr('viewBox', `0 0 ${width} ${height}`);
  const rows = svg
    .selectAll('g.row')
    .data(bars)
    .join('g')
    .attr('class', (bar) => (bar.marked ? 'row marked' : 'row'))
    .attr('transform', (_, i) => `translate(0, ${y(i)})`);
  rows
    .append('text')
    .attr('class', 'bar-name')
    .attr('x', LABEL_WIDTH - 6)
    .attr('y', y.bandwidth() / 2)
    .attr('dy', '0.35em')
    .attr('text-anchor', 'end')
    .text((bar) => (bar.marked ? `✓ ${bar.name}` : bar.name));
  rows.append('title').text((bar) => `${bar.name}${bar.marked ? ' (ground truth)' : ''}: ${format(bar.value)}`);
  rows
    .append('rect')
    .attr('x', LABEL_WIDTH)
    .attr('width', (bar) => Math.max(1, x(bar.value) - LABEL_WIDTH))
    .attr('height', y.bandwidth())
    .attr('rx', 2)
    .attr('fill', (bar) => rgbHex(bar.color));
  rows
    .append('text')
    .attr('class', 'bar-value')
    .attr('x', (bar) => x(bar.value) + 4)
    .attr('y', y.bandwidth() / 2)
    .attr('dy', '0.35em')
    .text((bar) => format(bar.value));
  svg
    .append('g')
    .attr('class', 'axis')
    .attr('transform', `translate(0, ${bars.length * ROW + 6})`)
    .call(
      axisBottom(x)
        .ticks(Math.min(5, Math.max(2, Math.floor((width - LABEL_WIDTH - VALUE_WIDTH) / 60))))
        .tickFormat((value) => format(Number(value)).replace(/\.0 %$/, ' %')),
    );
}
