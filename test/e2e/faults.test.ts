// Short version of the fault scenarios of test/faults (nodelet issue 8), inside `npm test`:
// the same code with `long: false` (5 agent kills, one dockerd kill, a full state dir, a
// 100-file storm for 8 s, 2,000 fuzzed manifests, 50 churn cycles, one start with
// string alias bombs in the directory). The long version:
// `npm run test:faults`. Runs dist/, which `npm test` builds first.
import { describe, expect, it } from 'vitest';
import {
  FUZZ_HEAP_BOUND_BYTES,
  agentKillScenario,
  aliasBombScenario,
  churnScenario,
  dockerdKillScenario,
  fullStateDirScenario,
  fuzzScenario,
  manifestStormScenario,
  privateEngineReason,
  tmpfsReason,
} from '../faults/scenarios.js';

describe('faults (short)', () => {
  it('kill -9 of the agent during starts, edits, deletions and rollouts: converges, history intact', async () => {
    await agentKillScenario({ long: false });
  }, 180_000);

  it('kill -9 of dockerd in the middle of operations: converges after the restart', async () => {
    const reason = privateEngineReason();
    if (reason !== undefined) {
      console.warn(`[faults] dockerd kill -9 ${reason}`);
      return;
    }
    await dockerdKillScenario({ long: false });
  }, 240_000);

  it('a full state dir: logged and reported, running pods untouched, no corrupt state, recovers', async () => {
    const reason = await tmpfsReason();
    if (reason !== undefined) {
      console.warn(`[faults] full state dir ${reason}`);
      return;
    }
    await fullStateDirScenario({ long: false });
  }, 180_000);

  it('a manifest storm ends with exactly the pods the directory defines', async () => {
    await manifestStormScenario({ long: false });
  }, 240_000);

  it('fuzzed manifests never crash the validate path and the heap stays bounded', () => {
    const figures = fuzzScenario({ long: false });
    expect(Number(figures.heapGrowthMiB) * 2 ** 20).toBeLessThan(FUZZ_HEAP_BOUND_BYTES);
  }, 120_000);

  it('a string alias bomb present at start: refused, the agent becomes ready and converges', async () => {
    await aliasBombScenario({ long: false });
  }, 180_000);

  it('pod churn leaks neither agent memory nor Docker objects', async () => {
    await churnScenario({ long: false });
  }, 240_000);
});
