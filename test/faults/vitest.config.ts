// The long fault runs of nodelet issue 8: `npm run test:faults` (build first; the scenarios run
// dist/). Same engine global setup as the integration project; one file at a time, since the
// dockerd scenario restarts the engine under everything else.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/engine/global-setup.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
