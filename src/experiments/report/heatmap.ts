/**
 * A confusion-matrix heatmap: rows are the true classes, columns the predictions, each row
 * normalized to the fraction of that class's test samples. The colour scale is a square root, so
 * an error rate of a few percent shows as a visible tint next to the dark diagonal; cells with
 * at least 10 % of their row carry the number.
 */
import * as d3 from 'd3';
import type { Plot } from './plots.ts';
import { Figure } from './svg.ts';

export interface HeatmapSpec {
  file: string;
  title: string;
  subtitle: string;
  caption: string;
  names: string[];
  /** Counts, rows = true class. */
  matrix: number[][];
}

/** Row-normalized fractions; a class with no test samples is a row of zeros. */
export function rowFractions(matrix: number[][]): number[][] {
  return matrix.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (total > 0 ? v / total : 0));
  });
}

export function confusionHeatmap(spec: HeatmapSpec): Plot {
  const n = spec.names.length;
  const cell = Math.max(10, Math.min(36, Math.floor(640 / Math.max(1, n))));
  const longest = d3.max(spec.names, (name) => name.length) ?? 4;
  const labelSpace = Math.min(160, 16 + longest * 6.5);
  const left = labelSpace + 30;
  const top = 70;
  const grid = n * cell;
  const width = Math.max(560, left + grid + 110);
  const height = top + grid + labelSpace + 40;
  const figure = new Figure(width, height, spec.title, spec.subtitle);
  const fractions = rowFractions(spec.matrix);
  const colour = d3.scaleSequentialSqrt(d3.interpolateBlues).domain([0, 1]);
  const g = figure.panel({ x: left, y: top, width: grid, height: grid });
  const fontSize = Math.max(7, Math.min(11, cell - 3));
  fractions.forEach((row, i) => {
    row.forEach((f, j) => {
      g.append('rect').attr('x', j * cell).attr('y', i * cell).attr('width', cell).attr('height', cell).attr('fill', f > 0 ? colour(f) : '#ffffff').attr('stroke', '#eeeeee').attr('stroke-width', 0.5);
      if (f >= 0.1 && cell >= 18) {
        g.append('text').attr('x', j * cell + cell / 2).attr('y', i * cell + cell / 2 + 3.5).attr('text-anchor', 'middle').attr('font-size', Math.min(10, cell / 3)).attr('fill', f > 0.5 ? '#ffffff' : '#222')
          .text(Math.round(f * 100));
      }
    });
  });
  g.append('rect').attr('width', grid).attr('height', grid).attr('fill', 'none').attr('stroke', '#888');
  spec.names.forEach((name, i) => {
    g.append('text').attr('x', -6).attr('y', i * cell + cell / 2 + fontSize / 3).attr('text-anchor', 'end').attr('font-size', fontSize).attr('fill', '#222').text(name);
    g.append('text')
      .attr('transform', `translate(${i * cell + cell / 2 + fontSize / 3},${grid + 6}) rotate(-90)`)
      .attr('text-anchor', 'end')
      .attr('font-size', fontSize)
      .attr('fill', '#222')
      .text(name);
  });
  g.append('text').attr('transform', `translate(${-labelSpace - 14},${grid / 2}) rotate(-90)`).attr('text-anchor', 'middle').attr('fill', '#222').text('true class');
  g.append('text').attr('x', grid / 2).attr('y', grid + labelSpace + 20).attr('text-anchor', 'middle').attr('fill', '#222').text('predicted class');
  // the colour key: fraction of the true class's samples
  const key = figure.panel({ x: left + grid + 30, y: top, width: 16, height: Math.min(grid, 240) });
  const keyHeight = Math.min(grid, 240);
  const steps = 40;
  for (let s = 0; s < steps; s++) {
    const f = 1 - s / steps;
    key.append('rect').attr('y', (s * keyHeight) / steps).attr('width', 16).attr('height', keyHeight / steps + 0.5).attr('fill', colour(f));
  }
  const keyScale = d3.scaleSqrt().domain([0, 1]).range([keyHeight, 0]);
  key.append('g').attr('transform', 'translate(16,0)').call(d3.axisRight(keyScale).tickValues([0, 0.01, 0.05, 0.2, 0.5, 1]).tickFormat((v) => `${Math.round(Number(v) * 100)} %`)).attr('font-size', 9);
  return { file: spec.file, title: spec.title, caption: spec.caption, svg: figure.toString() };
}
