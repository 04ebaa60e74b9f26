import { dirname, join } from 'node:path';
import { FlagValueError, UsageError } from '../util/errors.ts';
import type { StudyInfo } from '../experiments/store.ts';
import { booleanFlag, missing, stringFlag, type Command } from './command.ts';

/**
 * `bitpoint report --db FILE --study NAME --out DIR`: tables (Markdown and HTML, mean ± std over
 * seeds) and d3 figures (standalone SVG) of one study in a results store. The study's question
 * and references are those the last sweep recorded; `--study-file STUDY.json [--quick]` reads them
 * from the study file instead (and names the study), so an edited `reference` needs no sweep.
 */
export const reportCommand: Command = {
  name: 'report',
  summary: 'Tables (Markdown, HTML) and d3 SVG plots of a study from its SQLite results store.',
  usage: 'bitpoint report --db FILE [flags]',
  flags: {
    db: { type: 'string', arg: 'FILE', description: 'the SQLite results store of a sweep (required)' },
    study: { type: 'string', arg: 'NAME', description: 'which study of the store', default: 'the only one' },
    'study-file': { type: 'string', arg: 'FILE', description: 'take question, reference and names from this study file (edits need no new sweep)' },
    quick: { type: 'boolean', description: "with --study-file: its quick variant" },
    out: { type: 'string', arg: 'DIR', description: 'where index.html, report.md and the SVG plots go', default: '<folder of --db>/report' },
  },
  examples: [['bitpoint report --db runs/bit-width/results.sqlite', 'tables and plots of the bit-width study']],
  async run(ctx) {
    const dbFile = stringFlag(ctx, 'db');
    if (!dbFile) throw missing(reportCommand, '--db FILE is required');
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
