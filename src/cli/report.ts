import { dirname, join } from 'node:path';
import { FlagValueError, UsageError } from '../util/errors.ts';
import type { StudyInfo } from '../experiments/store.ts';
import { booleanFlag, missing, stringFlag, type Command, type CommandContext } from './command.ts';

/**
 * `bitpoint report` in its four forms:
 *  - `--db FILE --study NAME --out DIR`: tables (Markdown and HTML, mean ± std over seeds) and d3
 *    figures (standalone SVG) of one study in a results store. The study's question and references
 *    are those the last sweep recorded; `--study-file STUDY.json [--quick]` reads them from the
 *    study file instead (and names the study), so an edited `reference` needs no sweep.
 *  - `--db FILE --study-file STUDY.json --page DIR`: the study's results page in the repository,
 *    `DIR/<study>.md` with its figures in `DIR/<study>/` (src/experiments/report/page.ts).
 *  - `--readme-table [--results DIR] [--into README.md]`: the headline table over every store in
 *    DIR (default experiments/results), printed, or written between the README's markers.
 *  - `--run DIR`: the curves and confusion heatmap of one `train` run, into DIR/report.
 */
export const reportCommand: Command = {
  name: 'report',
  summary: 'Tables and d3 SVG figures of a study (or of one run); results pages and the README table from the stores.',
  usage: 'bitpoint report (--db FILE [--study NAME | --study-file STUDY.json] [--out DIR | --page DIR] | --run RUN_DIR | --readme-table) [flags]',
  flags: {
    db: { type: 'string', arg: 'FILE', description: 'the SQLite results store of a sweep' },
    study: { type: 'string', arg: 'NAME', description: 'which study of the store', default: 'the only one' },
    'study-file': { type: 'string', arg: 'FILE', description: 'take question, reference and names from this study file (edits need no new sweep)' },
    quick: { type: 'boolean', description: 'with --study-file: its quick variant' },
    out: { type: 'string', arg: 'DIR', description: 'where index.html, report.md and the SVG plots go', default: '<folder of --db>/report (or RUN_DIR/report)' },
    page: { type: 'string', arg: 'DIR', description: 'write the study\'s results page DIR/<study>.md with its figures in DIR/<study>/ (needs --study-file)' },
    answer: { type: 'string', arg: 'FILE', description: 'with --page: the answer prose with {{task/method:field}} placeholders', default: 'experiments/answers/<study>.md' },
    run: { type: 'string', arg: 'DIR', description: 'draw one train run\'s curves and confusion heatmap instead' },
    'readme-table': { type: 'boolean', description: 'print the headline table over every store in --results' },
    results: { type: 'string', arg: 'DIR', description: 'with --readme-table: where the stores are', default: 'experiments/results' },
    into: { type: 'string', arg: 'FILE', description: 'with --readme-table: write it between the markers of this file (README.md)' },
  },
  examples: [
    ['bitpoint report --db runs/bit-width/results.sqlite', 'tables and plots of the bit-width study'],
    ['bitpoint report --db experiments/results/modelnet40.sqlite --study-file experiments/modelnet40.json --page experiments/results', "the study's results page"],
    ['bitpoint report --run runs/my-run', "one run's curves and confusion heatmap"],
  ],
  async run(ctx) {
    const runDir = stringFlag(ctx, 'run');
    if (runDir) return runReport(ctx, runDir);
    if (booleanFlag(ctx, 'readme-table')) return readmeTableReport(ctx);
    const dbFile = stringFlag(ctx, 'db');
    if (!dbFile) throw missing(reportCommand, '--db, --run or --readme-table is required');
    const pageDir = stringFlag(ctx, 'page');
    if (pageDir) return pageReport(ctx, dbFile, pageDir);
    if (stringFlag(ctx, 'answer')) throw missing(reportCommand, '--answer goes with --page');
    const { ResultsStore } = await import('../experiments/store.ts');
    let study = stringFlag(ctx, 'study');
    const studyFile = stringFlag(ctx, 'study-file');
    let info: StudyInfo | undefined;
    if (studyFile) {
      const { readStudyFile, studyInfoOf } = await import('../experiments/study.ts');
      info = studyInfoOf(readStudyFile(studyFile), booleanFlag(ctx, 'quick'));
      if (study && study !== info.name) throw new FlagValueError('study', study, `the study of ${studyFile} (${info.name})`);
      study = info.name;
    } else if (booleanFlag(ctx, 'quick')) {
      throw missing(reportCommand, '--quick goes with --study-file');
    }
    if (!study) {
      const store = ResultsStore.open(dbFile, { readonly: true });
      const studies = store.studies();
      store.close();
      if (studies.length !== 1) throw new UsageError(`report: ${dbFile} holds ${studies.length} studies (${studies.map((s) => s.study).join(', ')}); name one with --study`);
      study = studies[0]!.study;
    }
    const outDir = stringFlag(ctx, 'out') ?? join(dirname(dbFile), 'report');
    const { writeReport } = await import('../experiments/report/index.ts');
    const report = await writeReport({ dbFile, study, outDir, ...(info ? { info } : {}) });
    if (booleanFlag(ctx, 'json')) {
      ctx.out(JSON.stringify({ study, out: outDir, files: report.files, cells: report.cells }));
    } else {
      ctx.out(`${report.info?.question ? `${report.info.question}\n\n` : ''}${report.markdownTable}\n\nreport: ${join(outDir, 'index.html')} (${report.plots.length} figures)`);
    }
    return 0;
  },
};

async function pageReport(ctx: CommandContext, dbFile: string, dir: string): Promise<number> {
  const studyFile = stringFlag(ctx, 'study-file');
  if (!studyFile) throw new UsageError(`report: --page needs --study-file (the page takes the question and its commands from it)\nusage: ${reportCommand.usage}`);
  if (stringFlag(ctx, 'out')) throw new UsageError('report: --page and --out are two places for the same report; give one');
  if (booleanFlag(ctx, 'quick')) throw new UsageError('report: a results page shows the full study; --quick goes with --out');
  const { writeResultsPage } = await import('../experiments/report/page.ts');
  const answer = stringFlag(ctx, 'answer');
  const page = await writeResultsPage({ dbFile, studyFile, dir, ...(answer ? { answerFile: answer } : {}) });
  if (booleanFlag(ctx, 'json')) {
    ctx.out(JSON.stringify({ study: page.study, page: page.page, figures: page.figures, answer: page.answerFile, cells: page.data.cells }));
  } else {
    ctx.out(`${page.page} (${page.figures.length} figures in ${join(dir, page.study)}/; answer: ${page.answerFile ?? 'not written yet'})`);
  }
  return 0;
}

async function readmeTableReport(ctx: CommandContext): Promise<number> {
  const { readmeTable, replaceReadmeTable } = await import('../experiments/report/readme-table.ts');
  const into = stringFlag(ctx, 'into');
  const table = readmeTable(stringFlag(ctx, 'results') ?? join('experiments', 'results'), into ? dirname(into) : '.');
  if (into) {
    replaceReadmeTable(into, table);
    ctx.log(`report: the results table in ${into} is regenerated`);
  }
  if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify({ table, ...(into ? { into } : {}) }));
  else if (!into) ctx.out(table);
  return 0;
}

async function runReport(ctx: CommandContext, runDir: string): Promise<number> {
  for (const flag of ['db', 'study', 'study-file', 'page', 'readme-table']) {
    if (ctx.flags[flag] !== undefined) throw new UsageError(`report: --run draws one run; --${flag} belongs to a study report\nusage: ${reportCommand.usage}`);
  }
  const { writeRunReport } = await import('../experiments/report/run-report.ts');
  const out = stringFlag(ctx, 'out');
  const report = await writeRunReport({ runDir, ...(out ? { outDir: out } : {}) });
  if (booleanFlag(ctx, 'json')) ctx.out(JSON.stringify({ run: report.run, completed: report.completed, files: report.files }));
  else ctx.out(`${report.run}${report.completed ? '' : ' (not finished)'}: ${report.files.join(', ')}`);
  return 0;
}
