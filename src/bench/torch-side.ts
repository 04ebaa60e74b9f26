import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BenchmarkError, UsageError } from '../util/errors.ts';

/**
 * The PyTorch side of a benchmark, run as a child process right after bitpoint's own measurement
 * in the same invocation: absolute speeds move with machine load and CPU, their ratio much less.
 *
 * The script is called as
 *   python3 SCRIPT --what pointnet|dgcnn --threads T --batch B --points N --steps S --warmup W
 * and must print one JSON object on stdout (progress goes to stderr) with at least
 * `train_samples_per_s` and `infer_samples_per_s`; the whole object is kept. `PYTHON` in the
 * environment names another interpreter. Threads are pinned with OMP_NUM_THREADS too, so BLAS
 * and OpenMP pools match what bitpoint used.
 */
export interface TorchRunOptions {
  script: string;
  model: string;
  threads: number;
  batchSize: number;
  points: number;
  steps: number;
  warmup: number;
  log?: (text: string) => void;
}

export interface TorchResult {
  train_samples_per_s: number;
  infer_samples_per_s: number;
  [key: string]: unknown;
}

/** The script's `--what` for a bitpoint model; only these two have a PyTorch counterpart. */
const COUNTERPARTS: Record<string, string> = { 'pointnet-vanilla': 'pointnet', dgcnn: 'dgcnn' };

/** Checks the flag before any measurement starts, so a typo does not cost a whole benchmark. */
export function checkTorchScript(script: string, model: string): void {
  if (!existsSync(script)) throw new UsageError(`--torch ${script}: no such file`);
  if (!COUNTERPARTS[model]) throw new UsageError(`--torch: no PyTorch counterpart for model '${model}' (only ${Object.keys(COUNTERPARTS).join(', ')})`);
}

export async function runTorchSideBySide(options: TorchRunOptions): Promise<TorchResult> {
  checkTorchScript(options.script, options.model);
  const python = process.env['PYTHON'] ?? 'python3';
  const args = [
    options.script,
    '--what', COUNTERPARTS[options.model]!,
    '--threads', String(options.threads),
    '--batch', String(options.batchSize),
    '--points', String(options.points),
    '--steps', String(options.steps),
    '--warmup', String(options.warmup),
  ];
  options.log?.(`torch: ${python} ${args.join(' ')}`);
  const { code, stdout, stderr } = await run(python, args, { ...process.env, OMP_NUM_THREADS: String(options.threads) });
  if (code !== 0) {
    const last = stderr.trim().split('\n').pop() ?? '';
    throw new BenchmarkError(`--torch ${options.script}: exited with status ${code}${last ? `: ${last}` : ''}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.slice(stdout.indexOf('{')));
  } catch {
    throw new BenchmarkError(`--torch ${options.script}: stdout is not one JSON object`);
  }
  const result = parsed as Partial<TorchResult>;
  if (typeof result.train_samples_per_s !== 'number' || typeof result.infer_samples_per_s !== 'number') {
    throw new BenchmarkError(`--torch ${options.script}: its JSON lacks train_samples_per_s or infer_samples_per_s`);
  }
  return result as TorchResult;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => reject(new BenchmarkError(`--torch: cannot start ${command} (${error.message}); set PYTHON to the interpreter with torch`)));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
