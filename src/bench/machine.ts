import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform } from 'node:os';

/**
 * What a benchmark ran on, recorded with every figure: the same code runs at different speeds on
 * different CPUs and under different load, so a number without its machine cannot be compared.
 */
export interface MachineInfo {
  cpu: string;
  /** The CPU's vector extensions (SSE/AVX/FMA/AVX-512/AMX on x86, NEON/SVE on Arm). */
  simd_flags: string[];
  cores: number;
  platform: string;
  node: string;
  /** 1-minute load average when the benchmark started: above ~0.5 per core, timings are not quotable. */
  load_average_1m: number;
}

const SIMD_FLAG = /^(sse\d?(_\d)?|ssse3|avx.*|fma4?|f16c|amx.*|neon|asimd.*|sve\d?|sme\d?)$/;

export function machineInfo(): MachineInfo {
  const cpuinfo = readCpuinfo();
  const flagsLine = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return {
    cpu: model.trim(),
    simd_flags: flagsLine.split(/\s+/).filter((flag) => SIMD_FLAG.test(flag)),
    cores: availableParallelism(),
    platform: platform(),
    node: process.version,
    load_average_1m: Number(loadavg()[0]!.toFixed(2)),
  };
}

function readCpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return ''; // not Linux: the model name comes from os.cpus(), the flags stay unknown
  }
}
