// `npm run corpus:verdicts`: re-records test/fixtures/corpus/verdicts.json against the real
// kube-apiserver (test/helpers/kube-cluster.ts). Not part of `npm test`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/corpus/record-verdicts.test.ts'],
    testTimeout: 60 * 60_000,
    hookTimeout: 30 * 60_000,
  },
});
