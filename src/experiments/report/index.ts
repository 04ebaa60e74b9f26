/**
 * A study's report from the results store: `index.html` and `report.md` (the same tables: mean ±
 * std over seeds), `report.json` (the aggregated cells, for scripts), and the d3 figures as
 * standalone SVG files next to them.
 *
 *   const report = await writeReport({ dbFile: 'runs/bit-width/results.sqlite', study: 'bit-width', outDir: 'runs/bit-width/report' });
 *   console.log(report.markdownTable);
 *
 * `buildReport` computes the same numbers, tables and figures without writing anything; the
 * study's results page (page.ts) and the README's table (readme-table.ts) are built from it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BitpointError } from '../../util/errors.ts';
import { ResultsStore, type RunRow, type StudyInfo } from '../store.ts';
import { aggregate, cellKey, formatBits, formatBytes, formatPercent, formatPoints, formatRatio, metricTitle, type Cell, type References } from './aggregate.ts';
import { confusedPairs, formatPair, type ConfusionCell } from './confusions.ts';
import { allPlots, type Plot } from './plots.ts';

export interface ReportOptions {
  dbFile: string;
  study: string;
  outDir: string;
  /** Only these runs (config hashes), e.g. the current plan without superseded runs; default all. */
  only?: ReadonlySet<string>;
  /**
   * The study's question and references, e.g. from its file (`studyInfoOf`), instead of what the
   * last sweep recorded in the store: a `reference` edited since then counts without a sweep.
   */
  info?: StudyInfo;
}

export interface Report {
  study: string;
  info: StudyInfo | null;
  cells: Cell[];
  /** Classification cells: their most confused class pairs. */
  confusions: ConfusionCell[];
  rows: RunRow[];
  plots: Plot[];
  /** The results table in Markdown (what the demo prints). */
  markdownTable: string;
  files: string[];
}

export class ReportError extends BitpointError {}

/** Everything a report shows, computed from the store (nothing written yet). */
export interface ReportData {
  study: string;
  info: StudyInfo | null;
  references: References;
  rows: RunRow[];
  cells: Cell[];
  confusions: ConfusionCell[];
  plots: Plot[];
  table: Table;
  confusionsTable: Table;
  problems: Table;
}

/** `figures: false` skips drawing (a table only needs the numbers). */
export function buildReport(options: Omit<ReportOptions, 'outDir'> & { figures?: boolean }): ReportData {
  const store = ResultsStore.open(options.dbFile, { readonly: true });
  try {
    const rows = store.runs({ study: options.study }).filter((row) => !options.only || options.only.has(row.config_hash));
    if (rows.length === 0) {
      const known = store.studies().map((s) => s.study);
      throw new ReportError(`${options.dbFile} has no runs of study '${options.study}'${known.length ? ` (it has: ${known.join(', ')})` : ''}`);
    }
    const info = options.info ?? store.studyInfo(options.study);
    const references: References = { study: info?.reference ?? null, methods: info?.references };
    const cells = aggregate(rows, references);
    const plots = options.figures === false ? [] : allPlots({ cells, rows, epochs: (hash) => store.epochs(hash), histograms: (hash) => store.histograms(hash) });
    const confusions = inCellOrder(confusedPairs(rows, references), cells);
    return {
      study: options.study,
      info,
      references,
      rows,
      cells,
      confusions,
      plots,
      table: resultsTable(cells, references.study),
      confusionsTable: confusionTable(confusions),
      problems: problemRows(rows),
    };
  } finally {
    store.close();
  }
}

export async function writeReport(options: ReportOptions): Promise<Report> {
  const data = buildReport(options);
  const { info, table, confusionsTable, problems, plots, rows, cells, confusions } = data;
  await mkdir(options.outDir, { recursive: true });
  const files: string[] = [];
  for (const plot of plots) {
    await writeFile(join(options.outDir, plot.file), plot.svg);
    files.push(join(options.outDir, plot.file));
  }
  const markdown = renderMarkdown(options, info, table, confusionsTable, problems, plots, rows);
  const html = renderHtml(options, info, table, confusionsTable, problems, plots, rows);
  await writeFile(join(options.outDir, 'report.md'), markdown);
  await writeFile(join(options.outDir, 'index.html'), html);
  await writeFile(join(options.outDir, 'report.json'), `${JSON.stringify({ study: options.study, info, cells, confusions }, null, 2)}\n`);
  files.push(join(options.outDir, 'report.md'), join(options.outDir, 'index.html'), join(options.outDir, 'report.json'));
  return { study: options.study, info, cells, confusions, rows, plots, markdownTable: markdownOf(table), files };
}

export interface Table {
  header: string[];
  rows: string[][];
}

/**
 * One row per (task, method, initializer): the metric as mean ± std over seeds, in percent (model:
 * see the task). When some method has its own reference, a column says what each row is compared with.
 */
export function resultsTable(cells: Cell[], reference: string | null): Table {
  const withInitializer = new Set(cells.map((c) => c.initializer)).size > 1;
  const ownReferences = cells.some((c) => c.reference !== reference);
  const versus = ownReferences ? 'reference' : reference;
  const withSparsity = cells.some((c) => c.sparsity > 0 || (c.measured_sparsity?.mean ?? 0) > 0);
  const withValidation = cells.some((c) => c.validation !== null);
  const header = [
    'task',
    'method',
    ...(withInitializer ? ['initializer'] : []),
    'W/A bits',
    ...(withSparsity ? ['target sparsity', 'zeros'] : []),
    'seeds',
    'metric',
    'mean ± std (%)',
    'secondary (%)',
    ...(withValidation ? ['validation (%)'] : []),
    ...(ownReferences ? ['reference'] : []),
    ...(versus ? [`vs ${versus} (points, paired)`, `retained vs ${versus} (%)`] : []),
    'packed size',
    'vs float32',
    'time / run',
  ];
  const rows = cells.map((c) => [
    c.task_label,
    c.method,
    ...(withInitializer ? [c.initializer] : []),
    `${formatBits(c.bits)}/${formatBits(c.activation_bits)}`,
    ...(withSparsity ? [`${(c.sparsity * 100).toFixed(0)} %`, c.measured_sparsity ? `${(c.measured_sparsity.mean * 100).toFixed(1)} %` : '–'] : []),
    String(c.metric.n),
    metricTitle(c.metric_name).replace(' (%)', ''),
    formatPercent(c.metric),
    formatPercent(c.secondary),
    ...(withValidation ? [formatPercent(c.validation)] : []),
    ...(ownReferences ? [c.reference ?? '–'] : []),
    ...(versus ? [formatPoints(c.difference), formatPercent(c.retained)] : []),
    formatBytes(c.packed_bytes),
    formatRatio(c.compression_ratio),
    `${c.duration_s.mean.toFixed(0)} s`,
  ]);
  return { header, rows };
}

/** The confusion cells in the order of the results table (the study's plan). */
function inCellOrder(confusions: ConfusionCell[], cells: Cell[]): ConfusionCell[] {
  const rank = new Map(cells.map((c, i) => [cellKey(c), i]));
  return [...confusions].sort((a, b) => (rank.get(cellKey(a)) ?? Infinity) - (rank.get(cellKey(b)) ?? Infinity));
}

/** One row per classification cell: its errors per run and its three most confused class pairs. */
function confusionTable(cells: ConfusionCell[]): Table {
  const withInitializer = new Set(cells.map((c) => c.initializer)).size > 1;
  return {
    header: ['task', 'method', ...(withInitializer ? ['initializer'] : []), 'runs', 'errors / run', 'most confused pairs (errors / run)', '', ''],
    rows: cells.map((c) => [
      c.task_label,
      c.method,
      ...(withInitializer ? [c.initializer] : []),
      String(c.runs),
      c.errorsPerRun.toFixed(1),
      ...[0, 1, 2].map((i) => (c.pairs[i] ? formatPair(c.pairs[i]!, c.reference) : '')),
    ]),
  };
}

export const CONFUSIONS_NOTE =
  'Test errors between two classes in either direction, per run (summed over the seeds, divided by the runs); in brackets the reference method’s errors on the same pair.';

function problemRows(rows: RunRow[]): Table {
  return {
    header: ['run', 'status', 'attempts', 'error'],
    rows: rows.filter((r) => r.status !== 'completed').map((r) => [r.name, r.status, String(r.attempts), (r.error ?? '').split('\n')[0]!.slice(0, 200)]),
  };
}

export function markdownOf(table: Table): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [`| ${table.header.map(escape).join(' | ')} |`, `|${table.header.map(() => '---').join('|')}|`];
  for (const row of table.rows) lines.push(`| ${row.map(escape).join(' | ')} |`);
  return lines.join('\n');
}

export function summaryLine(rows: RunRow[]): string {
  const count = (status: string) => rows.filter((r) => r.status === status).length;
  const seconds = rows.reduce((sum, r) => sum + (r.status === 'completed' ? (r.duration_s ?? 0) : 0), 0);
  const backends = [...new Set(rows.map((r) => (r.environment?.['backend'] as string | undefined) ?? null).filter(Boolean))].join(', ');
  return `${rows.length} runs: ${count('completed')} completed, ${count('failed')} failed, ${count('pending') + count('running')} not done; ${(seconds / 60).toFixed(1)} min of training${backends ? ` on ${backends}` : ''}.`;
}

function renderMarkdown(options: ReportOptions, info: StudyInfo | null, table: Table, confusions: Table, problems: Table, plots: Plot[], rows: RunRow[]): string {
  const parts = [`# Study: ${options.study}`, ''];
  if (info) parts.push(`**Question.** ${info.question}`, '', info.description !== info.question ? `${info.description}\n` : '');
  parts.push(summaryLine(rows), '', `Generated by \`bitpoint report --db ${options.dbFile} --study ${options.study} --out ${options.outDir}\`.`, '', '## Results', '', markdownOf(table), '');
  parts.push(
    'Metric: test overall accuracy (classification) or instance mIoU (part segmentation) after the last epoch; secondary: mean class accuracy or class mIoU. ' +
      'Mean ± sample standard deviation over seeds. Packed size: the weights at their stored bits (see the run’s compression summary).',
    '',
  );
  if (confusions.rows.length) parts.push('## Most confused class pairs', '', CONFUSIONS_NOTE, '', markdownOf(confusions), '');
  if (problems.rows.length) parts.push('## Runs not completed', '', markdownOf(problems), '');
  parts.push('## Figures', '');
  for (const plot of plots) parts.push(`### ${plot.title}`, '', `![${plot.title}](${plot.file})`, '', plot.caption, '');
  return parts.join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function htmlTable(table: Table, className = 'numbers'): string {
  const head = `<tr>${table.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = table.rows.map((row) => `<tr>${row.map((v) => `<td>${escapeHtml(v)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table class="${className}">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

function renderHtml(options: ReportOptions, info: StudyInfo | null, table: Table, confusions: Table, problems: Table, plots: Plot[], rows: RunRow[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>bitpoint study: ${escapeHtml(options.study)}</title>
<style>
  body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1500px; color: #222; padding: 0 1rem; }
  .scroll { overflow-x: auto; }
  table { border-collapse: collapse; margin: 1rem 0; font-size: 0.82rem; }
  th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: right; white-space: nowrap; }
  th { background: #f4f4f4; }
  table.numbers td:nth-child(-n+3), table.numbers th:nth-child(-n+3), table.text td, table.text th { text-align: left; }
  figure { margin: 2rem 0; }
  figure img { max-width: 100%; border: 1px solid #eee; }
  figcaption { color: #555; font-size: 0.9rem; }
  .question { font-size: 1.1rem; }
  code { background: #f4f4f4; padding: 0 0.2rem; }
</style>
</head>
<body>
<h1>Study: ${escapeHtml(options.study)}</h1>
${info ? `<p class="question"><strong>Question.</strong> ${escapeHtml(info.question)}</p>\n${info.description !== info.question ? `<p>${escapeHtml(info.description)}</p>` : ''}` : ''}
<p>${escapeHtml(summaryLine(rows))} Generated by <code>bitpoint report --db ${escapeHtml(options.dbFile)} --study ${escapeHtml(options.study)} --out ${escapeHtml(options.outDir)}</code>.</p>
<h2>Results</h2>
${htmlTable(table)}
<p>Metric: test overall accuracy (classification) or instance mIoU (part segmentation) after the last epoch; secondary: mean class accuracy or class mIoU. Mean ± sample standard deviation over seeds.</p>
${confusions.rows.length ? `<h2>Most confused class pairs</h2>\n<p>${escapeHtml(CONFUSIONS_NOTE)}</p>\n${htmlTable(confusions, 'text')}` : ''}
${problems.rows.length ? `<h2>Runs not completed</h2>\n${htmlTable(problems, 'text')}` : ''}
<h2>Figures</h2>
${plots.map((p) => `<figure><img src="${escapeHtml(p.file)}" alt="${escapeHtml(p.title)}"><figcaption>${escapeHtml(p.caption)}</figcaption></figure>`).join('\n')}
</body>
</html>
`;
}
