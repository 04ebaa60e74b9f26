import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandArgs, type CommandContext } from '../../src/cli/command.ts';
import { resumeCommand, sweepCommand } from '../../src/cli/sweep.ts';
import { FlagValueError } from '../../src/util/errors.ts';

/** `bitpoint sweep --dry-run --json` with the selection flags: which runs of the grid it keeps. */
async function plannedRuns(studyFile: string, flags: string[]): Promise<string[]> {
  let out = '';
  const ctx: CommandContext = { ...(await parseCommandArgs(sweepCommand, [studyFile, '--dry-run', '--json', ...flags])), out: (text) => (out += text), log: () => {} };
  expect(await sweepCommand.run(ctx)).toBe(0);
  return (JSON.parse(out) as { runs: Array<{ name: string }> }).runs.map((run) => run.name);
}

describe('sweep: --seeds, --tasks and --methods select part of the grid', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitpoint-sweep-select-'));
  const studyFile = join(dir, 'study.json');
  writeFileSync(
    studyFile,
    JSON.stringify({
      name: 'select',
      question: 'Which runs does a selection keep?',
      base: { points: 32, epochs: 1 },
      tasks: [
        { label: 'deep', model: 'pointnet-vanilla', dataset: 'synth-cls' },
        { label: 'compact', model: 'pointnet-vanilla', dataset: 'synth-cls', config: { modelOptions: { encoder: [[64], [128, 1024]] } } },
      ],
      methods: [
        { label: 'fp', compress: 'fp' },
        { label: 'binary', compress: 'bipointnet', bits: 1, activationBits: 1 },
        { label: 'int4-ft', compress: 'int4', bits: 4, from: 'fp', tasks: ['deep'] },
      ],
      seeds: [1, 2],
    }),
  );

  it('keeps the runs every given flag lists, in the grid order', async () => {
    expect(await plannedRuns(studyFile, [])).toHaveLength(10);
    expect(await plannedRuns(studyFile, ['--tasks', 'compact'])).toEqual(['compact__fp__s1', 'compact__fp__s2', 'compact__binary__s1', 'compact__binary__s2']);
    expect(await plannedRuns(studyFile, ['--methods', 'binary,int4-ft', '--seeds', '2'])).toEqual(['deep__binary__s2', 'deep__int4-ft__s2', 'compact__binary__s2']);
    expect(await plannedRuns(studyFile, ['--tasks', 'deep', '--methods', 'fp', '--seeds', '1'])).toEqual(['deep__fp__s1']);
  });

  it('an entry the study does not have is a bad flag value that lists the known ones', async () => {
    const ctx = async (flags: string[]): Promise<CommandContext> => ({ ...(await parseCommandArgs(sweepCommand, [studyFile, '--dry-run', ...flags])), out: () => {}, log: () => {} });
    await expect(sweepCommand.run(await ctx(['--methods', 'fp,xnor']))).rejects.toThrow(FlagValueError);
    await expect(sweepCommand.run(await ctx(['--methods', 'fp,xnor']))).rejects.toThrow(/--methods 'fp,xnor': must be among the study's methods \(fp, binary, int4-ft\); not: xnor/);
    await expect(sweepCommand.run(await ctx(['--tasks', 'wide']))).rejects.toThrow(/--tasks 'wide': .*\(deep, compact\)/);
    await expect(sweepCommand.run(await ctx(['--seeds', '3']))).rejects.toThrow(/--seeds '3': .*\(1, 2\)/);
  });

  it('after an interrupt, the hint repeats the selection and the flags that are part of each run\'s identity', async () => {
    const flags = (argv: string[]) => parseCommandArgs(sweepCommand, [studyFile, ...argv]);
    expect(resumeCommand('s.json', await flags(['--methods', 'binary', '--seeds', '2', '--workers', '0', '--backend', 'cpu', '--out', 'runs/x']))).toBe(
      'bitpoint sweep s.json --seeds 2 --methods binary --backend cpu --workers 0 --out runs/x --resume',
    );
    expect(resumeCommand('s.json', await flags(['--quick']))).toBe('bitpoint sweep s.json --quick --resume');
  });
});
