/**
 * The README's headline table, generated from the committed results stores: one row per method
 * of each study (its first initializer), linking the study's page. The README keeps it between
 * two markers, and `bitpoint report --readme-table --into README.md` rewrites what is between
 * them, so the README never holds a number typed by hand.
 *
 *   <!-- results-table:begin -->
 *   …generated…
 *   <!-- results-table:end -->
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ResultsStore } from '../store.ts';
import { formatBits, formatBytes, formatPercent, formatPoints, formatRatio } from './aggregate.ts';
import { buildReport, markdownOf, ReportError, type Table } from './index.ts';
import { SUPERSEDED } from './page.ts';

export const TABLE_BEGIN = '<!-- results-table:begin -->';
export const TABLE_END = '<!-- results-table:end -->';

/**
 * The table over every `*.sqlite` in `resultsDir`, each study linked to `<resultsDir>/<study>.md`
 * (relative to `linkFrom`, the folder of the file the table goes into).
 */
export function readmeTable(resultsDir: string, linkFrom = '.'): string {
  const stores = existsSync(resultsDir) ? readdirSync(resultsDir).filter((f) => f.endsWith('.sqlite')).sort() : [];
  const table: Table = { header: ['study', 'task', 'method', 'W/A bits', 'seeds', 'test metric (%)', 'vs reference (points)', 'packed size', 'vs float32'], rows: [] };
  for (const file of stores) {
    const dbFile = join(resultsDir, file);
    const store = ResultsStore.open(dbFile, { readonly: true });
    const studies = store.studies().filter((s) => s.completed > 0);
    const current = new Set(store.runs().filter((r) => !r.method.includes(SUPERSEDED)).map((r) => r.config_hash));
    store.close();
    for (const { study } of studies) {
      const data = buildReport({ dbFile, study, only: current, figures: false });
      const page = join(resultsDir, `${study}.md`);
      const link = existsSync(page) ? `[${study}](${relative(linkFrom, page)})` : study;
      const firstInitializer = data.cells[0]?.initializer;
      for (const c of data.cells.filter((cell) => cell.initializer === firstInitializer)) {
        table.rows.push([
          link,
          c.task_label,
          c.method,
          `${formatBits(c.bits)}/${formatBits(c.activation_bits)}`,
          String(c.metric.n),
          `${formatPercent(c.metric)} ${c.metric_name === 'instance_miou' ? 'mIoU' : 'acc.'}`,
          c.reference && c.reference !== c.method ? `${formatPoints(c.difference)} vs ${c.reference}` : '–',
          formatBytes(c.packed_bytes),
          formatRatio(c.compression_ratio),
        ]);
      }
    }
  }
  if (table.rows.length === 0) return `_No study has finished runs in ${resultsDir} yet._`;
  return markdownOf(table);
}

/** Rewrites the block between the markers in `file` with `table`; the rest of the file is untouched. */
export function replaceReadmeTable(file: string, table: string): void {
  const text = readFileSync(file, 'utf8');
  const begin = text.indexOf(TABLE_BEGIN);
  const end = text.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new ReportError(`${file}: no '${TABLE_BEGIN}' … '${TABLE_END}' block to put the results table in`);
  writeFileSync(file, `${text.slice(0, begin + TABLE_BEGIN.length)}\n${table}\n${text.slice(end)}`);
}
