import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Loaded by the processes the lowest-BullMQ project spawns, so they resolve `bullmq` as it does. */
const lowestHooks = fileURLToPath(new URL('./test/bullmq/lowest/register.mjs', import.meta.url));

export default defineConfig({
  test: {
    // Tests spawn real child processes; every wait inside them is bounded well below this.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two cores: more parallel files only add contention to timing-sensitive process tests.
    maxWorkers: 2,
    fileParallelism: true,
    projects: [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'] } },
      {
        // The distributed tests again, on the lowest BullMQ the peer range allows (the default
        // project has the newest): `bullmq` is the `bullmq-lowest` devDependency, in this
        // process (alias) and in every process it spawns (module hooks through NODE_OPTIONS).
        extends: true,
        resolve: { alias: [{ find: /^bullmq$/, replacement: 'bullmq-lowest' }] },
        test: {
          name: 'bullmq-lowest',
          include: ['test/bullmq/**/*.test.ts'],
          env: { FORKPOOL_TEST_BULLMQ: 'lowest', NODE_OPTIONS: `--import=${lowestHooks}` },
        },
      },
    ],
  },
});
