/**
 * The sane range of every numeric run-config value (issue 28: `epochs: 1e300` used to pass).
 * One table for the config schema and the `train` flags, so a flag and its config key accept the
 * same numbers. Bounds are generous: they catch typos and overflow, not unusual research.
 */
export interface NumericRange {
  min?: number;
  max?: number;
  /** `min` itself is not allowed (a learning rate of 0 trains nothing). */
  exclusiveMin?: boolean;
}

export const RUN_CONFIG_RANGES = {
  epochs: { min: 1, max: 100_000 },
  batchSize: { min: 1, max: 65_536 },
  points: { min: 1, max: 1_000_000 },
  seed: { min: 0, max: 2 ** 32 - 1 },
  workers: { min: 0, max: 256 },
  evalEvery: { min: 1, max: 100_000 },
  lr: { min: 0, max: 10, exclusiveMin: true },
  validation: { min: 0, max: 0.9, exclusiveMin: true },
  labelSmoothing: { min: 0, max: 0.5 },
} as const satisfies Record<string, NumericRange>;
