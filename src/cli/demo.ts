import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { booleanFlag, stringFlag, type Command } from './command.ts';
import { BACKEND_FLAG } from './shared-flags.ts';

/**
 * `bitpoint demo` (the README's main job): generates the default data if missing, runs the quick
 * variant of the bit-width study on PointNet classification (full precision, 4-bit, ternary,
 * BiPointNet binary) and PointNet part segmentation (full precision, binary), and writes under
 * `runs/demo/`: `results.sqlite`, the report (`report/index.html` + SVG plots) and per-point
 * predictions of every model on a few test shapes (`predictions/**.ply`). Rerunning reuses the
 * finished runs recorded in the store and continues an interrupted one from its checkpoint.
 */
export const DEMO_SELECTION = [
  { task: 'pointnet-cls', methods: ['fp', 'int4', 'ternary', 'binary'] },
  { task: 'pointnet-seg', methods: ['fp', 'binary'] },
];

export const demoCommand: Command = {
  name: 'demo',
  summary: 'The main job: quick bit-width study on PointNet classification and part segmentation; results, report and PLY predictions in runs/demo/.',
  usage: 'bitpoint demo [flags]',
  flags: {
    out: { type: 'string', arg: 'DIR', description: 'where results, report and predictions go', default: 'runs/demo' },
    study: { type: 'string', arg: 'FILE', description: 'the study whose quick variant runs', default: 'experiments/bit-width.json' },
    backend: BACKEND_FLAG,
  },
  examples: [
    ['bitpoint demo', 'the whole demo; rerunning it reuses finished runs'],
    ['bitpoint demo --out /tmp/demo --json', 'into another folder, with a JSON summary on stdout'],
  ],
  async run(ctx) {
    const started = performance.now();
    const { readStudyFile, expandStudy, methodReferences } = await import('../experiments/study.ts');
    const { runSweep } = await import('../experiments/runner.ts');
    const { writeReport } = await import('../experiments/report/index.ts');
    const { writePredictions } = await import('../experiments/demo-predictions.ts');
    const { ResultsStore } = await import('../experiments/store.ts');
    const { ensureSyntheticData } = await import('../data/datasets/synthetic/ensure.ts');
    const { useBackend, parseBackendRequest } = await import('../backend/select.ts');
    const { formatSeconds } = await import('../experiments/progress.ts');

    const out = stringFlag(ctx, 'out') ?? join('runs', 'demo');
    const studyFile = stringFlag(ctx, 'study') ?? fileURLToPath(new URL('../../experiments/bit-width.json', import.meta.url));
    const dbFile = join(out, 'results.sqlite');
    const reportDir = join(out, 'report');
    const predictionsDir = join(out, 'predictions');

    const study = readStudyFile(studyFile);
    const backend = stringFlag(ctx, 'backend');
    const runs = expandStudy(study, { quick: true, only: { pairs: DEMO_SELECTION }, override: backend ? { backend } : {} }).map((run) => ({ ...run, study: 'demo' }));
    const generated = [...new Set(runs.map((r) => r.config.dataset))].filter((d): d is 'synth-cls' | 'synth-seg' => d === 'synth-cls' || d === 'synth-seg');
    if (generated.length > 0) {
      ctx.log(`bitpoint demo: making sure the generated data sets (${generated.join(', ')}) exist in datasets/synthetic/ …`);
      await ensureSyntheticData('datasets/synthetic', { which: generated, logger: ctx.log });
    }
    const resuming = existsSync(dbFile);
    ctx.log(
      `bitpoint demo: ${runs.length} runs of the quick '${study.name}' study (${describeRuns(runs)}) into ${out}` +
        (resuming ? ' (reusing finished runs)' : ''),
    );
    const summary = await runSweep(runs, {
      outDir: out,
      dbFile,
      resume: true,
      log: ctx.log,
      studyInfo: {
        name: 'demo',
        question: study.question,
        description:
          `The demo: the quick variant of the ${study.name} study (${describeRuns(runs)}) on ${DEMO_SELECTION.map((p) => `${p.task} (${p.methods.join(', ')})`).join(' and ')}. ` +
          `Short runs for a 2-core machine: the numbers show the ordering, not converged accuracy; \`npx bitpoint sweep ${relative(process.cwd(), studyFile)}\` runs the full study.`,
        reference: study.reference,
        references: methodReferences(study),
        quick: true,
      },
    });

    ctx.log('bitpoint demo: writing the report …');
    // the runs of this plan only: a folder of an older config (kept, relabelled) is not the demo's
    const planned = new Set(runs.map((run) => run.configHash));
    const report = await writeReport({ dbFile, study: 'demo', outDir: reportDir, only: planned });
    await useBackend(parseBackendRequest(backend));
    ctx.log('bitpoint demo: writing per-point predictions of every model on a few test shapes …');
    const store = ResultsStore.open(dbFile, { readonly: true });
    const rows = store.runs({ study: 'demo' }).filter((row) => planned.has(row.config_hash));
    store.close();
    const predictions = await writePredictions(rows, predictionsDir, { shapes: 3, references: { study: study.reference, methods: methodReferences(study) }, log: ctx.log });
    const ordering = orderingCheck(report.cells.filter((c) => c.task_label === 'pointnet-cls'), ['fp', 'int4', 'ternary', 'binary']);
    const seconds = (performance.now() - started) / 1000;

    if (booleanFlag(ctx, 'json')) {
      ctx.out(JSON.stringify({ out, db: dbFile, report: join(reportDir, 'index.html'), predictions: predictionsDir, ...summary, cells: report.cells, ordering, seconds }));
      return summary.failed > 0 ? 1 : 0;
    }
    const lines = [
      '',
      `bitpoint demo — the whole pipeline on generated data, ${describeRuns(runs)} per network`,
      '',
      report.markdownTable,
      '',
      ordering.message,
      '',
      DEMO_CAVEAT,
      '',
      `runs:         ${summary.completed} trained now, ${summary.skipped} reused, ${summary.failed} failed (${formatSeconds(seconds)} in all)`,
      `results:      ${dbFile}  (SQLite: tables runs, epochs, histograms)`,
      `report:       ${join(reportDir, 'index.html')}  (+ ${report.plots.length} SVG plots, report.md)`,
      `predictions:  ${predictionsDir}/  (${predictions.length} PLY files: label, pred, prob_<class>; open them in the viewer)`,
      `run folders:  ${out}/<run>/  (config, metrics.jsonl, checkpoints, result.json)`,
      `again:        npm run demo  (reuses finished runs); full study: npx bitpoint sweep ${relative(process.cwd(), studyFile)}`,
    ];
    for (const failure of summary.failures) lines.push(`failed:       ${failure.name}: ${failure.error}`);
    ctx.out(lines.join('\n'));
    return summary.failed > 0 ? 1 : 0;
  },
};

/**
 * What the demo's table is and is not. Its runs are minutes long so that a newcomer sees every
 * stage work; a 5-epoch binary network is far from converged, and its gap to full precision read
 * as the method's would mislead. The converged figures are on the study pages.
 */
export const DEMO_CAVEAT = [
  'These are short runs, sized to finish in minutes: they show that data, training, compression, the',
  'results store, the report and the predictions all work, not what each method reaches. The binary',
  'networks in particular are far from converged after 5 epochs, so their gap here is not the method\'s.',
  'Converged figures: the study pages in experiments/results/ (the README\'s results table links them).',
].join('\n');

function describeRuns(runs: Array<{ seed: number; config: { points: number; epochs: number } }>): string {
  const sizes = [...new Set(runs.map((r) => `${r.config.points} points × ${r.config.epochs} epochs`))].join(', ');
  const seeds = [...new Set(runs.map((r) => r.seed))];
  return `${sizes}, seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')}`;
}

/**
 * Whether the classifiers keep the expected order (more bits, no less accuracy) within noise:
 * a pair counts as out of order only if the lower-bit method beats the higher-bit one by more than
 * two standard errors of a test-set accuracy (binomial, n test shapes) — or 2 std over seeds.
 */
export function orderingCheck(
  cells: Array<{ method: string; metric: { mean: number; std: number; n: number } }>,
  order: string[],
  testSamples = 300,
): { holds: boolean; message: string } {
  const present = order.map((m) => cells.find((c) => c.method === m)).filter((c): c is NonNullable<typeof c> => c !== undefined);
  if (present.length < 2) return { holds: true, message: 'ordering: not enough finished classifiers to compare' };
  const violations: string[] = [];
  for (let i = 0; i + 1 < present.length; i++) {
    const high = present[i]!;
    const low = present[i + 1]!;
    const p = (high.metric.mean + low.metric.mean) / 2;
    const noise = Math.max(2 * Math.sqrt((2 * p * (1 - p)) / testSamples), 2 * Math.max(high.metric.std, low.metric.std));
    if (low.metric.mean - high.metric.mean > noise) violations.push(`${low.method} > ${high.method} by ${((low.metric.mean - high.metric.mean) * 100).toFixed(1)} points`);
  }
  const chain = present.map((c) => `${c.method} ${(c.metric.mean * 100).toFixed(1)} %`).join(', ');
  return violations.length
    ? { holds: false, message: `ordering: NOT as expected beyond noise (${violations.join('; ')}): ${chain}` }
    : { holds: true, message: `ordering: as expected within noise: ${chain}` };
}
