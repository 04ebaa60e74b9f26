import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng } from '../../../util/rng.ts';
import { SurfaceSampler } from '../../mesh.ts';
import { writePointText } from '../../formats/txt.ts';
import { partTableToJson } from '../part-table.ts';
import { mergeMeshes } from './mesh-ops.ts';
import { SYNTH_SEG_CATEGORIES, synthSegPartTable } from './seg-categories.ts';
import { SYNTH_GENERATOR_VERSION, SYNTH_MARKER_FILE } from './version.ts';

/**
 * Writes `synth-seg`, a ShapeNetPart-style part segmentation set, in ShapeNetPart's own layout:
 * `synsetoffset2category.txt`, `<synset>/<id>.txt` with `x y z nx ny nz part` rows (global part
 * ids), `train_test_split/shuffled_{train,val,test}_file_list.json` listing `shape_data/<synset>/<id>`,
 * plus `part_table.json` (the category → part ids table, since these are not the standard 50
 * parts). Points are spread over the parts in proportion to their area and shuffled.
 */
export interface SynthSegOptions {
  seed: number;
  points?: number;
  trainPerCategory?: number;
  valPerCategory?: number;
  testPerCategory?: number;
}

export interface SynthSegInfo {
  generator: 'synth-seg';
  version: number;
  seed: number;
  points: number;
  trainPerCategory: number;
  valPerCategory: number;
  testPerCategory: number;
  categories: string[];
}

export function synthSegInfo(options: SynthSegOptions): SynthSegInfo {
  return {
    generator: 'synth-seg',
    version: SYNTH_GENERATOR_VERSION,
    seed: options.seed,
    points: options.points ?? 2048,
    trainPerCategory: options.trainPerCategory ?? 72,
    valPerCategory: options.valPerCategory ?? 8,
    testPerCategory: options.testPerCategory ?? 20,
    categories: SYNTH_SEG_CATEGORIES.map((category) => category.name),
  };
}

export async function generateSynthSeg(dir: string, options: SynthSegOptions): Promise<SynthSegInfo> {
  const info = synthSegInfo(options);
  const root = new Rng(info.seed);
  const table = synthSegPartTable();
  const lists: Record<'train' | 'val' | 'test', string[]> = { train: [], val: [], test: [] };
  await mkdir(join(dir, 'train_test_split'), { recursive: true });
  for (const [c, category] of SYNTH_SEG_CATEGORIES.entries()) {
    await mkdir(join(dir, category.synset), { recursive: true });
    const globalParts = table[c]!.parts;
    const total = info.trainPerCategory + info.valPerCategory + info.testPerCategory;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const id = `${category.name.toLowerCase()}_${String(i + 1).padStart(4, '0')}`;
      const split = i < info.trainPerCategory ? 'train' : i < info.trainPerCategory + info.valPerCategory ? 'val' : 'test';
      lists[split].push(`shape_data/${category.synset}/${id}`);
      const rng = root.fork(`${category.synset}/${id}`);
      const cloud = sampleParts(category.make(rng), globalParts, info.points, rng);
      writes.push(writeFile(join(dir, category.synset, `${id}.txt`), writePointText(cloud, { delimiter: ' ', decimals: 5 })));
    }
    await Promise.all(writes);
  }
  for (const split of ['train', 'val', 'test'] as const) {
    root.fork(`order ${split}`).shuffle(lists[split]);
    await writeFile(join(dir, 'train_test_split', `shuffled_${split}_file_list.json`), JSON.stringify(lists[split]));
  }
  const categoryLines = SYNTH_SEG_CATEGORIES.map((category) => `${category.name}\t${category.synset}`).join('\n');
  await writeFile(join(dir, 'synsetoffset2category.txt'), `${categoryLines}\n`);
  await writeFile(join(dir, 'part_table.json'), partTableToJson({ categories: table, partCount: table.at(-1)!.parts.at(-1)! + 1, source: 'json' }));
  await writeFile(join(dir, SYNTH_MARKER_FILE), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

/**
 * `count` points over the parts (each part's meshes merged), each point's part drawn with
 * probability proportional to part area, i.e. area-weighted sampling of the whole object that
 * remembers which part every point came from. Rows are shuffled so any prefix is a fair subsample.
 */
function sampleParts(
  parts: ReturnType<(typeof SYNTH_SEG_CATEGORIES)[number]['make']>,
  globalParts: readonly number[],
  count: number,
  rng: Rng,
): { points: Float32Array; normals: Float32Array; labels: Int32Array } {
  const present = parts.flatMap((meshes, part) => (meshes.length ? [{ sampler: new SurfaceSampler(mergeMeshes(meshes), `synth part ${part}`), label: globalParts[part]! }] : []));
  const totalArea = present.reduce((sum, part) => sum + part.sampler.totalArea, 0);
  const perPart = new Int32Array(present.length);
  for (let i = 0; i < count; i++) {
    let target = rng.uniform() * totalArea;
    let p = 0;
    while (p < present.length - 1 && target >= present[p]!.sampler.totalArea) target -= present[p++]!.sampler.totalArea;
    perPart[p]!++;
  }
  const points = new Float32Array(count * 3);
  const normals = new Float32Array(count * 3);
  const labels = new Int32Array(count);
  const order = Int32Array.from({ length: count }, (_, i) => i);
  rng.shuffle(order);
  let next = 0;
  present.forEach((part, p) => {
    const surface = part.sampler.sample(perPart[p]!, rng, { withNormals: true });
    for (let k = 0; k < perPart[p]!; k++, next++) {
      const row = order[next]!;
      points.set(surface.points.subarray(3 * k, 3 * k + 3), 3 * row);
      normals.set(surface.normals!.subarray(3 * k, 3 * k + 3), 3 * row);
      labels[row] = part.label;
    }
  });
  return { points, normals, labels };
}
