/**
 * A study's results page in the repository: `<dir>/<study>.md` with its figures in
 * `<dir>/<study>/*.svg`. The question, a short answer in plain words, the table, the figures, the
 * most confused classes and the exact commands that made it. Every number on the page comes from
 * the store; the only hand-written part is the answer's prose (answer.ts), read from
 * `answers/<study>.md` next to the study file, whose placeholders are filled from the store too.
 * Runs a sweep set aside (`@superseded-<date>`: an older config of a method) are left out: the
 * page shows the study as its file defines it now.
 *
 *   await writeResultsPage({ dbFile: 'experiments/results/modelnet40.sqlite', studyFile: 'experiments/modelnet40.json', dir: 'experiments/results' });
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readStudyFile, studyInfoOf, type Study } from '../study.ts';
import { ResultsStore, type RunRow } from '../store.ts';
import { fillAnswer } from './answer.ts';
import { buildReport, CONFUSIONS_NOTE, markdownOf, ReportError, summaryLine, type ReportData } from './index.ts';

export interface PageOptions {
  dbFile: string;
  /** The study file: the question, the references and the commands on the page come from it. */
  studyFile: string;
  /** Where the page goes (`<dir>/<study>.md`, figures in `<dir>/<study>/`). */
  dir: string;
  /** The answer's prose; default `answers/<study>.md` next to the study file (optional there). */
  answerFile?: string;
}

export interface ResultsPage {
  study: string;
  page: string;
  figures: string[];
  /** Where the answer came from; null when the study has none written yet. */
  answerFile: string | null;
  data: ReportData;
}

export const SUPERSEDED = '@superseded-';

export function defaultAnswerFile(studyFile: string, study: string): string {
  return join(dirname(studyFile), 'answers', `${study}.md`);
}

export async function writeResultsPage(options: PageOptions): Promise<ResultsPage> {
  const study = readStudyFile(options.studyFile);
  const info = studyInfoOf(study, false);
  const current = currentRuns(options.dbFile, info.name);
  const data = buildReport({ dbFile: options.dbFile, study: info.name, info, only: current });
  const answerFile = options.answerFile ?? defaultAnswerFile(options.studyFile, info.name);
  const answerGiven = options.answerFile !== undefined || existsSync(answerFile);
  const answer = answerGiven ? fillAnswer(readAnswer(answerFile), data.cells, answerFile) : null;

  const figureDir = join(options.dir, info.name);
  await mkdir(figureDir, { recursive: true });
  // figures of cells that no longer exist must not linger next to the page
  for (const old of await readdir(figureDir)) if (old.endsWith('.svg')) await rm(join(figureDir, old));
  const figures: string[] = [];
  for (const plot of data.plots) {
    await writeFile(join(figureDir, plot.file), plot.svg);
    figures.push(join(figureDir, plot.file));
  }
  const page = join(options.dir, `${info.name}.md`);
  await writeFile(page, renderPage(options, study, data, answer, answerGiven ? answerFile : null));
  return { study: info.name, page, figures, answerFile: answerGiven ? answerFile : null, data };
}

function readAnswer(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new ReportError(`${file}: cannot read the study's answer: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The config hashes of the study's runs that a sweep has not set aside as superseded. */
function currentRuns(dbFile: string, study: string): Set<string> {
  const store = ResultsStore.open(dbFile, { readonly: true });
  try {
    return new Set(store.runs({ study }).filter((r) => !r.method.includes(SUPERSEDED)).map((r) => r.config_hash));
  } finally {
    store.close();
  }
}

/** The sweep command that reproduces the store's runs: the seeds, tasks and methods it holds. */
export function sweepCommand(studyFile: string, dbFile: string, study: Study, rows: readonly RunRow[]): string {
  const done = rows.filter((r) => r.status === 'completed');
  const seeds = [...new Set(done.map((r) => r.seed))].sort((a, b) => a - b);
  const tasks = [...new Set(done.map((r) => r.task_label))];
  const methods = [...new Set(done.map((r) => r.method))];
  const parts = ['npx bitpoint sweep', studyFile, '--db', dbFile];
  if (seeds.length && seeds.join() !== study.seeds.join()) parts.push('--seeds', seeds.join(','));
  if (tasks.length && tasks.length < study.tasks.length) parts.push('--tasks', tasks.join(','));
  const planned = study.methods.map((m) => m.label);
  if (methods.length && methods.length < planned.length) parts.push('--methods', planned.filter((m) => methods.includes(m)).join(','));
  return parts.join(' ');
}

function renderPage(options: PageOptions, study: Study, data: ReportData, answer: string | null, answerFile: string | null): string {
  // figures are linked relative to the page, which sits next to their folder
  const figureDir = data.study;
  const lines = [
    `# ${data.study}`,
    '',
    `<!-- Generated by \`bitpoint report --page\` from ${options.dbFile}; edit the study file or the answer's prose (${answerFile ?? defaultAnswerFile(options.studyFile, data.study)}), not this page. -->`,
    '',
    `**Question.** ${study.question}`,
    '',
    '## Answer',
    '',
    answer ??
      `_Not written yet._ The answer goes in \`${defaultAnswerFile(options.studyFile, data.study)}\`: 3–6 sentences with \`{{task/method:field}}\` placeholders for its numbers, then rerun the command below.`,
    '',
    '## Results',
    '',
    summaryLine(data.rows),
    '',
    markdownOf(data.table),
    '',
    'Metric: test overall accuracy (classification) or instance mIoU (part segmentation) after the last epoch; secondary: mean class accuracy or class mIoU. ' +
      'Mean ± sample standard deviation over seeds; "vs" columns pair each run with the reference run of the same seed. Packed size: the weights at their stored bits.',
    '',
  ];
  if (data.problems.rows.length) lines.push('### Runs not completed', '', markdownOf(data.problems), '');
  lines.push('## Figures', '');
  for (const plot of data.plots.filter((p) => !p.file.startsWith('confusion-'))) lines.push(`### ${plot.title}`, '', `![${plot.title}](${figureDir}/${plot.file})`, '', plot.caption, '');
  const heatmaps = data.plots.filter((p) => p.file.startsWith('confusion-'));
  if (data.confusionsTable.rows.length || heatmaps.length) {
    lines.push('## Where the classifiers err', '');
    if (data.confusionsTable.rows.length) lines.push(CONFUSIONS_NOTE, '', markdownOf(data.confusionsTable), '');
    for (const plot of heatmaps) lines.push(`![${plot.title}](${figureDir}/${plot.file})`, '');
  }
  lines.push(
    '## How this page was made',
    '',
    ...(study.description !== study.question ? [study.description, ''] : []),
    '```sh',
    sweepCommand(options.studyFile, options.dbFile, study, data.rows),
    `npx bitpoint report --db ${options.dbFile} --study-file ${options.studyFile} --page ${options.dir}`,
    '```',
    '',
  );
  return lines.join('\n');
}
