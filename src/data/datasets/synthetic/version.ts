/**
 * Version of the synthetic generators. Bump it whenever a change would alter the generated files
 * for the same seed, so existing folders are regenerated instead of silently mixing versions.
 */
export const SYNTH_GENERATOR_VERSION = 1;

/** The marker written last into a generated data set folder; it also records how it was made. */
export const SYNTH_MARKER_FILE = 'bitpoint-synthetic.json';

/** Seed of the default generated data sets, so `synth-cls` names the same data on every machine. */
export const DEFAULT_SYNTH_SEED = 1;

/** Difficulty of the default synth-cls: see `deform.ts` and the README for what it changes. */
export const DEFAULT_SYNTH_DIFFICULTY = 0.5;
