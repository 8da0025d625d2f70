// The corpus tools (not part of `npm test`): `npm run corpus:verdicts` re-records
// test/fixtures/corpus/verdicts.json against the real kube-apiserver (test/helpers/kube-cluster.ts);
// `npm run corpus:mismatches` lists nodelet's mismatches by class and rewrites known-mismatches.json.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/corpus/*.test.ts'],
    testTimeout: 60 * 60_000,
    hookTimeout: 30 * 60_000,
  },
});
