// Long run: kill -9 of the harness's private dockerd in the middle of operations, three times.
import { describe, it } from 'vitest';
import { dockerdKillScenario, privateEngineReason } from './scenarios.js';

describe('faults (long): dockerd kill -9', () => {
  it('converges after every dockerd restart', async () => {
    const reason = privateEngineReason();
    if (reason !== undefined) {
      console.warn(`[faults] dockerd kill -9 ${reason}`);
      return;
    }
    await dockerdKillScenario({ long: true });
  });
});
