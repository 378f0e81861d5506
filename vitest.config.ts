import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests spawn real child processes; every wait inside them is bounded well below this.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two cores: more parallel files only add contention to timing-sensitive process tests.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
