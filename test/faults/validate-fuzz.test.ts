// Long run: 10,000 mutated manifests through the validate path; no throw, bounded heap.
import { describe, expect, it } from 'vitest';
import { FUZZ_HEAP_BOUND_BYTES, fuzzScenario } from './scenarios.js';

describe('faults (long): validate fuzz', () => {
  it('never throws and keeps the heap bounded over 10,000 mutated manifests', () => {
    const figures = fuzzScenario({ long: true });
    expect(Number(figures.heapGrowthMiB) * 2 ** 20).toBeLessThan(FUZZ_HEAP_BOUND_BYTES);
  });
});
