import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps global engine state; one fork per file keeps files independent
    pool: 'forks',
    maxWorkers: 2,
  },
});
