import { readPointFileFromDisk } from '../data/formats/node-files.ts';
import { summarizePointFile, type PointFileSummary } from '../data/formats/summary.ts';
import { booleanFlag, missing, type Command } from './command.ts';

/**
 * `bitpoint inspect FILE [--json]`: what a PLY, OFF, PCD, point text, NumPy, HDF5 or IDX file holds.
 * Reads the file with the same parsers training uses, so a file that inspects cleanly loads
 * cleanly; one that does not fails here with the same one-line FormatError. No tfjs here.
 */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'Show a data file: format, encoding, element counts, property names and types, bounding box.',
  usage: 'bitpoint inspect FILE [--json]',
  flags: {},
  examples: [
    ['bitpoint inspect datasets/synthetic/synth-cls/train/0001.ply', 'format, element counts, properties and bounding box'],
    ['bitpoint inspect ply_data_train0.h5 --json', 'the data sets of an HDF5 file, as JSON'],
  ],
  async run(ctx) {
    if (ctx.positionals.length !== 1) throw missing(inspectCommand, 'give exactly one file');
    const summary = summarizePointFile(await readPointFileFromDisk(ctx.positionals[0]!));
    ctx.out(booleanFlag(ctx, 'json') ? JSON.stringify(summary) : describe(summary));
    return 0;
  },
};

function describe(summary: PointFileSummary): string {
  const rows: [string, string][] = [
    ['file', summary.file],
    ['format', `${summary.format} (${summary.encoding})`],
    ['elements', Object.entries(summary.elements).map(([name, count]) => `${name} ${count}`).join(', ') || 'none'],
  ];
  if (summary.dims) rows.push(['dims', summary.dims.join(' × ')]);
  if (summary.pcd) {
    const { width, height, fields, viewpoint } = summary.pcd;
    rows.push(['grid', `${width} × ${height}${height > 1 ? ' (organized)' : ''}`]);
    rows.push(['fields', fields.map((field) => `${field.name} ${field.type}${field.size}${field.count > 1 ? `×${field.count}` : ''}`).join(', ')]);
    rows.push(['viewpoint', viewpoint.join(' ')]);
  }
  for (const [element, properties] of Object.entries(summary.properties)) {
    if (properties.length > 0) rows.push([element, properties.map((property) => `${property.name} ${property.type}`).join(', ')]);
  }
  for (const dataset of summary.datasets ?? []) rows.push([`dataset`, `${dataset.name} [${dataset.shape.join(', ')}] ${dataset.type}`]);
  if (summary.bbox) rows.push(['bbox', `min (${summary.bbox.min.map(round).join(', ')})  max (${summary.bbox.max.map(round).join(', ')})`]);
  if (summary.range) rows.push(['range', `${summary.range.min} … ${summary.range.max}`]);
  for (const comment of summary.comments ?? []) rows.push(['comment', comment]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

function round(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(6))) : String(value);
}
