import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKEND_REQUESTS } from '../../src/backend/select.ts';
import { PRESET_NAMES } from '../../src/compress/presets.ts';
import { modelNames } from '../../src/models/registry.ts';
import { commandHelp, COMMON_FLAGS, type Command } from '../../src/cli/command.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'bin/bitpoint.js');
const bitpoint = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: repo, encoding: 'utf8' });

const COMMAND_FILES = ['activations', 'bench', 'data', 'demo', 'eval', 'export', 'inspect', 'predict', 'report', 'summary', 'sweep', 'train', 'view'];

async function allCommands(): Promise<Command[]> {
  return Promise.all(COMMAND_FILES.map(async (file) => Object.values((await import(`../../src/cli/${file}.ts`)) as Record<string, unknown>).find((v): v is Command => typeof v === 'object' && v !== null && 'run' in v && 'flags' in v)!));
}

describe('help', () => {
  it('bitpoint with no command is a usage error: the command list on stderr, nothing on stdout, exit 2', () => {
    const result = bitpoint();
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^usage: bitpoint <command>/);
    for (const name of COMMAND_FILES) expect(result.stderr).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
  });

  it('bitpoint --help lists every command with what it does, on stdout', () => {
    const result = bitpoint('--help');
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^  train +Train a model/m);
    expect(result.stdout).toMatch(/^  inspect +Show a data file/m);
  });

  it("train --help lists the registries' models, presets and backends, defaults and examples", () => {
    const result = bitpoint('train', '--help');
    expect(result.status).toBe(0);
    const line = (flag: string) => result.stdout.split('\n').find((l) => l.startsWith(`      --${flag} `))!;
    expect(line('model')).toContain(`one of: ${modelNames().join(', ')}`);
    expect(line('compress')).toContain(`known: ${PRESET_NAMES.join(', ')}, or a policy file`);
    expect(line('backend')).toContain(`one of: ${BACKEND_REQUESTS.join(', ')}`);
    expect(line('epochs')).toMatch(/an integer from 1 to 100000; default: 20/);
    expect(result.stdout).toMatch(/\nexamples:\n  bitpoint train --model /);
  });

  it('every flag of every command has a description, and every command an example', async () => {
    for (const command of await allCommands()) {
      for (const [name, def] of Object.entries({ ...COMMON_FLAGS, ...command.flags })) expect(def.description, `${command.name} --${name}`).toBeTruthy();
      expect(command.examples?.length, command.name).toBeGreaterThan(0);
      const help = await commandHelp(command);
      for (const name of Object.keys(command.flags)) expect(help, command.name).toContain(`--${name}`);
    }
  });
});

describe('bad flags: exit 1 and one line for a bad value, exit 2 for wrong usage', () => {
  it.each([
    [['train', '--model', 'pointnet', '--epochs', '-1'], "bitpoint: --epochs '-1': must be an integer from 1 to 100000"],
    [['train', '--model', 'pointnet', '--epochs', '1e300'], "bitpoint: --epochs '1e300': must be an integer from 1 to 100000"],
    [['train', '--model', 'pointnet', '--lr', '0'], "bitpoint: --lr '0': must be a number > 0 and ≤ 10"],
    [['train', '--model', 'pointnett'], `bitpoint: --model 'pointnett': must be one of ${modelNames().join(', ')}`],
    [['predict', '--run', 'runs/x', '--input', 'a.ply', '--out', 'b.ply', '--checkpoint', 'bogus'], "bitpoint: --checkpoint 'bogus': must be one of best, last"],
    [['eval', '--run', 'runs/x', '--workers', 'many'], "bitpoint: --workers 'many': must be an integer from 0 to 256 or auto"],
    [['view', '--port', '70000'], "bitpoint: --port '70000': must be an integer from 0 to 65535"],
    [['train', '--model', 'pointnet', '--backend', 'cuda'], `bitpoint: --backend 'cuda': must be one of ${BACKEND_REQUESTS.join(', ')}`],
  ])('%j', (args, message) => {
    const result = bitpoint(...args);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`${message}\n`);
    expect(result.stdout).toBe('');
  });

  it.each([
    [['inspect', 'file.ply', '--backend', 'cuda'], "bitpoint: inspect: unknown flag --backend (see 'bitpoint inspect --help')"],
    [['train', '--epohcs', '3'], "bitpoint: train: unknown flag --epohcs (did you mean --epochs?) (see 'bitpoint train --help')"],
    [['train', '--model', 'pointnet', '--epochs'], "bitpoint: train: --epochs needs a value (see 'bitpoint train --help')"],
    [['eval'], "bitpoint: eval: --run DIR is required (see 'bitpoint eval --help')"],
    [['trian'], expect.stringMatching(/^bitpoint: unknown command 'trian' \(see 'bitpoint --help'\); commands: activations, bench/)],
  ])('%j', (args, message) => {
    const result = bitpoint(...args);
    expect(result.status).toBe(2);
    expect(result.stderr.trimEnd()).toEqual(message);
  });

  it('a 50 MB flag value comes back clipped', () => {
    const result = bitpoint('predict', '--run', 'x', '--input', 'a', '--out', 'b', '--checkpoint', 'x'.repeat(100_000));
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`bitpoint: --checkpoint '${'x'.repeat(80)}…': must be one of best, last\n`);
  });
});

describe('eval --workers on a trained run', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-cli-eval-'));
  const data = join(work, 'ModelNet-tiny');
  const runDir = join(work, 'run');

  beforeAll(() => {
    cpSync(fileURLToPath(new URL('../fixtures/datasets/ModelNet-tiny', import.meta.url)), data, { recursive: true });
    // the fixture's stray notes.txt now reads as a point file (the NumPy change); not this test's subject
    rmSync(join(data, 'box/train/notes.txt'));
    const trained = spawnSync(process.execPath, [cli, 'train', '--model', 'pointnet-vanilla', '--dataset', data, '--points', '64', '--batch-size', '2', '--epochs', '2', '--workers', '0', '--out', runDir], { cwd: repo, encoding: 'utf8' });
    expect(trained.status).toBe(0);
    trainLog = trained.stderr;
    trainResult = trained.stdout;
  });
  let trainLog = '';
  let trainResult = '';

  it('training says up front what it runs, gives elapsed time and ETA per epoch, and one accuracy format', () => {
    expect(trainLog).toMatch(/^train pointnet-vanilla: pointnet-vanilla on .*ModelNet-tiny \(\d+ training, \d+ test samples\), 2 epochs of \d+ steps, backend wasm, 0 worker threads, into .*run$/m);
    expect(trainLog).toMatch(/^epoch 1\/2 loss [\d.]+ acc [\d.]+ \(elapsed \d+ s, ETA \d+ s\)$/m);
    expect(trainLog).toMatch(/^epoch 2\/2 loss [\d.]+ acc [\d.]+ \(elapsed \d+ s\)$/m);
    // the test accuracy on stderr in the form the result line on stdout has
    const logged = /^  test accuracy (\d+\.\d\d) %$/m.exec(trainLog)?.[1];
    expect(logged).toBeDefined();
    expect(trainResult).toContain(`test accuracy ${logged} %`);
  });

  it('a run name that cannot be a folder is refused before anything starts (no ENAMETOOLONG, no stack)', () => {
    const result = bitpoint('train', '--model', 'pointnet-vanilla', '--name', 'n'.repeat(300));
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`bitpoint: config name: must be at most 100 characters (it names a folder), got '${'n'.repeat(80)}…'\n`);
  });

  it('evaluating on a worker thread gives the same numbers as on the main thread', () => {
    const alone = bitpoint('eval', '--run', runDir, '--workers', '0', '--json');
    const shared = bitpoint('eval', '--run', runDir, '--workers', '1', '--json');
    expect(alone.status).toBe(0);
    expect(shared.status).toBe(0);
    expect(shared.stderr).toMatch(/with 1 worker threads/);
    const [a, b] = [JSON.parse(alone.stdout), JSON.parse(shared.stdout)];
    expect(b.samples).toBe(a.samples);
    expect(b.overall_accuracy).toBe(a.overall_accuracy);
    expect(b.confusion_matrix).toEqual(a.confusion_matrix);
  });
});
