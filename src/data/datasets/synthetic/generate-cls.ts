import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng } from '../../../util/rng.ts';
import { writeOff } from '../../formats/off.ts';
import { SYNTH_CLS_CLASSES } from './cls-classes.ts';
import { deform } from './deform.ts';
import { DEFAULT_SYNTH_DIFFICULTY, SYNTH_GENERATOR_VERSION, SYNTH_MARKER_FILE } from './version.ts';

/**
 * Writes `synth-cls`, a ModelNet-style classification set, in ModelNet's own layout
 * `<dir>/<class>/{train,test}/<class>_NNNN.off` (train shapes numbered first, test after, as in
 * ModelNet), so it is read by exactly the code that reads ModelNet40. Every shape has its own
 * random stream derived from the seed and its id, so changing the counts does not change the
 * other shapes. The marker json is written last.
 */
export interface SynthClsOptions {
  seed: number;
  /** 0 = clean canonical shapes (easy) … 1 = heavy stretching, bending, noise and cut-aways. */
  difficulty?: number;
  trainPerClass?: number;
  testPerClass?: number;
}

export interface SynthClsInfo {
  generator: 'synth-cls';
  version: number;
  seed: number;
  difficulty: number;
  trainPerClass: number;
  testPerClass: number;
  classes: string[];
}

export function synthClsInfo(options: SynthClsOptions): SynthClsInfo {
  return {
    generator: 'synth-cls',
    version: SYNTH_GENERATOR_VERSION,
    seed: options.seed,
    difficulty: options.difficulty ?? DEFAULT_SYNTH_DIFFICULTY,
    trainPerClass: options.trainPerClass ?? 80,
    testPerClass: options.testPerClass ?? 25,
    classes: SYNTH_CLS_CLASSES.map((shapeClass) => shapeClass.name),
  };
}

export async function generateSynthCls(dir: string, options: SynthClsOptions): Promise<SynthClsInfo> {
  const info = synthClsInfo(options);
  if (!(info.difficulty >= 0 && info.difficulty <= 1)) throw new RangeError(`synth-cls difficulty must be in [0, 1], got ${info.difficulty}`);
  const root = new Rng(info.seed);
  for (const shapeClass of SYNTH_CLS_CLASSES) {
    for (const split of ['train', 'test'] as const) await mkdir(join(dir, shapeClass.name, split), { recursive: true });
    const writes: Promise<void>[] = [];
    for (let i = 0; i < info.trainPerClass + info.testPerClass; i++) {
      const name = `${shapeClass.name}_${String(i + 1).padStart(4, '0')}`;
      const split = i < info.trainPerClass ? 'train' : 'test';
      const rng = root.fork(name);
      const mesh = deform(shapeClass.make(rng, info.difficulty), rng, info.difficulty);
      writes.push(writeFile(join(dir, shapeClass.name, split, `${name}.off`), writeOff(mesh)));
    }
    await Promise.all(writes);
  }
  await writeFile(join(dir, SYNTH_MARKER_FILE), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}
