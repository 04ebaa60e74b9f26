import type { Rng } from '../../util/rng.ts';
import type { Sample } from '../sample.ts';

/**
 * A transform maps a sample to a new sample using randomness only from `rng`, so the same seed
 * always gives the same result. Transforms never modify their input: datasets hand out cached
 * samples that are reused every epoch.
 *
 *   const augment = compose(randomSample(1024), centerAndScaleToUnitSphere(), jitter());
 *   const out = augment(sample, rng.fork(sample.id));
 */
export type Transform = (sample: Sample, rng: Rng) => Sample;

/** Applies transforms left to right, all drawing from the same stream. */
export function compose(...transforms: Transform[]): Transform {
  return (sample, rng) => transforms.reduce((current, transform) => transform(current, rng), sample);
}
