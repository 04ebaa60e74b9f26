import { parseOff, writeOff } from '../data/formats/off.ts';
import { parsePly } from '../data/formats/ply/read.ts';
import { plyScalar } from '../data/formats/ply/types.ts';
import { writePly } from '../data/formats/ply/write.ts';
import { parsePointText, writePointText } from '../data/formats/txt.ts';
import { sampleSurface, type Mesh } from '../data/mesh.ts';
import { Rng } from '../util/rng.ts';
import { machineInfo, type MachineInfo } from './machine.ts';

/**
 * How fast files become point clouds: parse throughput per format on a few MB generated in
 * memory (no disk in the measurement), and area-weighted surface sampling. Each figure is the
 * median of 7 timed runs after 2 warm-up runs. Run with `bitpoint bench load --json`.
 *
 * `cpu_*` figures time the same runs by this process's CPU time, which waiting for a busy CPU
 * does not inflate: on a shared machine they say more about the code than the wall clock does.
 *
 * Targets: binary PLY ≥ 300 MB/s, OFF and point text ≥ 40 MB/s, 1024 points from a 30k-face
 * mesh in under 2 ms.
 */
export async function runLoadBenchmark(): Promise<Record<string, number | string | MachineInfo>> {
  const machine = machineInfo();
  const rng = new Rng(2024);

  // The common case: fixed-size float32 records (positions and normals), 200k points, 4.8 MB.
  const cloudSize = 200_000;
  const columns = ['x', 'y', 'z', 'nx', 'ny', 'nz'].map((name) => plyScalar(name, 'float32', randomFloats(rng, cloudSize)));
  const binaryPly = writePly({ elements: [{ name: 'vertex', properties: columns }] }, { format: 'binary_little_endian' });
  const asciiPly = writePly({ elements: [{ name: 'vertex', properties: columns.map((c) => ({ ...c, values: c.values.subarray(0, 50_000) })) }] }, { format: 'ascii' });

  // A ModelNet-like mesh as OFF (6 decimals, as the originals), and ModelNet's resampled text.
  const offMesh = gridSphere(200, 250);
  const offText = encode(writeOff(offMesh, { decimals: 6, countsOnKeywordLine: true }));
  const points = Float32Array.from(randomFloats(rng, 3 * 60_000));
  const normals = Float32Array.from(randomFloats(rng, 3 * 60_000));
  const pointText = encode(writePointText({ points, normals }, { delimiter: ',', decimals: 6 }));

  const sampledMesh = gridSphere(100, 150);
  const binary = median(() => parsePly(binaryPly, 'bench.ply'));
  const ascii = median(() => parsePly(asciiPly, 'bench.ply'));
  const off = median(() => parseOff(offText, 'bench.off'));
  const txt = median(() => parsePointText(pointText, 'bench.txt'));
  const sample = median(() => sampleSurface(sampledMesh, 1024, rng));

  return {
    binary_ply_mb_per_s: megabytesPerSecond(binaryPly, binary.wallMs),
    ascii_ply_mb_per_s: megabytesPerSecond(asciiPly, ascii.wallMs),
    off_mb_per_s: megabytesPerSecond(offText, off.wallMs),
    txt_mb_per_s: megabytesPerSecond(pointText, txt.wallMs),
    mesh_samples_per_s: Math.round(1000 / sample.wallMs),
    sample_1024_from_30k_faces_ms: round(sample.wallMs, 3),
    cpu_binary_ply_mb_per_s: megabytesPerSecond(binaryPly, binary.cpuMs),
    cpu_ascii_ply_mb_per_s: megabytesPerSecond(asciiPly, ascii.cpuMs),
    cpu_off_mb_per_s: megabytesPerSecond(offText, off.cpuMs),
    cpu_txt_mb_per_s: megabytesPerSecond(pointText, txt.cpuMs),
    cpu_sample_1024_from_30k_faces_ms: round(sample.cpuMs, 3),
    binary_ply_mb: round(binaryPly.length / 1e6, 2),
    ascii_ply_mb: round(asciiPly.length / 1e6, 2),
    off_mb: round(offText.length / 1e6, 2),
    txt_mb: round(pointText.length / 1e6, 2),
    sampled_mesh_faces: sampledMesh.faces.length / 3,
    machine,
  };
}

const WARMUP_RUNS = 2;
const TIMED_RUNS = 7;

/** Median wall-clock and CPU milliseconds of the timed runs. */
function median(run: () => unknown): { wallMs: number; cpuMs: number } {
  for (let i = 0; i < WARMUP_RUNS; i++) run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < TIMED_RUNS; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    run();
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  const middle = (times: number[]) => times.sort((a, b) => a - b)[TIMED_RUNS >> 1]!;
  return { wallMs: middle(wall), cpuMs: middle(cpu) };
}

/** Megabytes (10^6 bytes) of input parsed per second. */
function megabytesPerSecond(bytes: Uint8Array, ms: number): number {
  return round(bytes.length / 1e6 / (ms / 1000), 1);
}

function randomFloats(rng: Rng, count: number): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = rng.normal();
  return values;
}

/** A closed sphere of rings × segments quads (2 triangles each): 100 × 150 gives 30k faces. */
function gridSphere(rings: number, segments: number): Mesh {
  const vertices = new Float32Array((rings + 1) * segments * 3);
  for (let r = 0, v = 0; r <= rings; r++) {
    const theta = (Math.PI * r) / rings;
    for (let s = 0; s < segments; s++, v += 3) {
      const phi = (2 * Math.PI * s) / segments;
      vertices[v] = Math.sin(theta) * Math.cos(phi);
      vertices[v + 1] = Math.sin(theta) * Math.sin(phi);
      vertices[v + 2] = Math.cos(theta);
    }
  }
  const faces = new Uint32Array(rings * segments * 6);
  for (let r = 0, f = 0; r < rings; r++) {
    for (let s = 0; s < segments; s++, f += 6) {
      const a = r * segments + s;
      const b = r * segments + ((s + 1) % segments);
      faces.set([a, a + segments, b, b, a + segments, b + segments], f);
    }
  }
  return { vertices, faces };
}

function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
