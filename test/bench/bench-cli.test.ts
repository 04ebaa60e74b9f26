import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Every `bitpoint bench` subcommand at tiny sizes: one valid JSON object on stdout with the
 * fields docs/speed.md promises, and figures that follow from the sizes asked for. Timings are
 * only checked to be positive; their values depend on the machine.
 */
const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(repo, 'bin/bitpoint.js');
const run = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [cli, 'bench', ...args], { cwd: repo, encoding: 'utf8', env });
const json = (args: string[]) => {
  const result = run([...args, '--json']);
  expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout);
};

// pointnet-vanilla's weight layers for one cloud of N points: the shared MLP 3-64-64-64-128-1024
// on every point, then the head 1024-512-256-40 once.
const pointnetMacs = (points: number) => points * (3 * 64 + 64 * 64 + 64 * 64 + 64 * 128 + 128 * 1024) + 1024 * 512 + 512 * 256 + 256 * 40;

describe('bitpoint bench train', () => {
  it('trains the compressed model and relates the step to a GEMM peak measured on the same threads', () => {
    const report = json(['train', '--compress', 'ternary-twn', '--batch-size', '2', '--points', '64', '--steps', '1', '--workers', '1', '--gemm-ms', '20']);
    expect(report).toMatchObject({ benchmark: 'train', model: 'pointnet-vanilla', compress: 'ternary-twn', batch_size: 2, points: 64, threads: 2, torch: null });
    expect(report.forward_macs_per_example).toBe(pointnetMacs(64));
    // forward 2 FLOPs per MAC, backward twice the forward
    expect(report.train_step_gflop).toBeCloseTo((6 * pointnetMacs(64) * 2) / 1e9, 2);
    expect(report.train_step_ms).toBeGreaterThan(0);
    expect(report.train_step_cpu_ms).toBeGreaterThan(0);
    expect(report.train_gflops).toBeGreaterThan(0);

    const gemm = report.gemm;
    expect(gemm.threads).toBe(2);
    expect(gemm.shapes.map((s: { shape: string }) => s.shape)).toContain('square 1024');
    for (const shape of gemm.shapes) {
      expect(shape.gflops_per_thread).toHaveLength(2);
      expect(shape.gflops).toBeCloseTo(shape.gflops_per_thread[0] + shape.gflops_per_thread[1], 1);
    }
    expect(report.gemm_peak_gflops).toBe(Math.max(...gemm.shapes.map((s: { gflops: number }) => s.gflops)));
    expect(report.train_fraction_of_gemm_peak).toBeCloseTo(report.train_gflops / report.gemm_peak_gflops, 2);

    expect(report.machine.cpu.length).toBeGreaterThan(0);
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(Array.isArray(report.machine.simd_flags)).toBe(true);
  }, 600_000); // the probe's products are full size (about 8 GFLOP per thread): minutes on a busy machine

  it('skips the probe with --gemm-ms 0, and refuses a --torch script that does not exist before measuring', () => {
    const report = json(['train', '--batch-size', '2', '--points', '32', '--steps', '1', '--workers', '0', '--gemm-ms', '0']);
    expect(report).toMatchObject({ compress: 'fp', threads: 1, gemm: null, gemm_peak_gflops: null, train_fraction_of_gemm_peak: null });
    expect(report.forward_macs_per_example).toBe(pointnetMacs(32));

    const missing = run(['train', '--torch', 'no/such/torch_bench.py', '--json']);
    expect(missing.status).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr.trim()).toBe('bitpoint: --torch no/such/torch_bench.py: no such file');
  });

  // Needs PyTorch: BITPOINT_TORCH_SCRIPT names the side-by-side script (and PYTHON its interpreter).
  it.skipIf(!process.env['BITPOINT_TORCH_SCRIPT'])('runs the PyTorch side-by-side in the same invocation', () => {
    const report = json(['train', '--batch-size', '2', '--points', '32', '--steps', '1', '--workers', '0', '--gemm-ms', '0', '--torch', process.env['BITPOINT_TORCH_SCRIPT']!]);
    expect(report.torch).toMatchObject({ what: 'pointnet', points: 32, batch: 2, num_threads: 1 });
    expect(report.train_speed_vs_torch).toBeCloseTo(report.train_samples_per_s / report.torch.train_samples_per_s, 2);
  });
});

describe('bitpoint bench epoch', () => {
  const work = mkdtempSync(join(tmpdir(), 'bitpoint-bench-epoch-'));
  const generated = join(work, 'generated');

  it('times a cold and a warm epoch of a generated set of the asked size, loading included', () => {
    const report = json(['epoch', '--generated-root', generated, '--train-size', '10', '--test-size', '5', '--batch-size', '4', '--points', '64', '--workers', '1']);
    expect(report).toMatchObject({ benchmark: 'epoch', train_samples: 10, test_samples: 5, steps_per_epoch: 2, threads: 2, max_steps: null });
    for (const pass of [report.cold, report.warm]) {
      // the last partial training batch is dropped, evaluation keeps every sample
      expect(pass.train).toMatchObject({ batches: 2, samples: 8 });
      expect(pass.test).toMatchObject({ batches: 2, samples: 5 });
      expect(pass.loading_share).toBeGreaterThanOrEqual(0);
      expect(pass.loading_share).toBeLessThan(1);
      expect(pass.seconds_per_epoch).toBe(pass.train.seconds);
      expect(pass.rss_mib).toBeGreaterThan(0);
    }
    // the cold pass parsed and sampled every mesh while the loop waited
    expect(report.cold.loading_seconds).toBeGreaterThan(0);
    expect(report.peak_rss_mib).toBeGreaterThanOrEqual(report.cold.rss_mib);
    // the set is kept for the next run: ModelNet's layout with synth-cls's 12 classes
    expect(readdirSync(join(generated, 'synth-cls')).filter((name) => !name.endsWith('.json'))).toHaveLength(12);
  });

  it('reads a given --dataset folder and stops each pass at --max-steps', () => {
    const dataset = join(generated, 'synth-cls');
    expect(existsSync(dataset)).toBe(true);
    const report = json(['epoch', '--dataset', dataset, '--max-steps', '1', '--batch-size', '4', '--points', '64', '--workers', '0', '--compress', 'bipointnet']);
    expect(report).toMatchObject({ dataset, train_samples: 12, test_samples: 12, steps_per_epoch: 3, max_steps: 1, compress: 'bipointnet' });
    expect(report.cold.train.batches).toBe(1);
    expect(report.cold.test.batches).toBe(1);
    expect(report.cold.seconds_per_epoch).toBeCloseTo(report.cold.train.seconds * 3, 1);
  });
});

describe('bitpoint bench load and infer', () => {
  it('load reports parse throughput per format', () => {
    const report = json(['load']);
    for (const key of ['binary_ply_mb_per_s', 'ascii_ply_mb_per_s', 'off_mb_per_s', 'txt_mb_per_s', 'sample_1024_from_30k_faces_ms']) expect(report[key]).toBeGreaterThan(0);
    expect(report.machine.cpu.length).toBeGreaterThan(0);
  });

  it('infer compares the packed engine with the float model at the same size', () => {
    const report = json(['infer', '--points', '64', '--workers', '0']);
    expect(report).toMatchObject({ benchmark: 'infer', model: 'pointnet-vanilla', compress: 'bipointnet', points: 64, threads: 1 });
    expect(report.compression_ratio).toBeCloseTo(report.float32_bytes / report.packed_bytes, 1);
    expect(report.engine_samples_per_s_b32).toBeGreaterThan(0);
    expect(report.machine.cores).toBeGreaterThan(0);
  });

  it('names the benchmarks when none is given', () => {
    const result = run([]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/say which benchmark: train, epoch, load, infer or queue/);
  });
});
