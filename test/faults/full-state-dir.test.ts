// Long run: the state dir (a 64 KiB tmpfs) fills up under running pods and a rollout.
import { describe, it } from 'vitest';
import { fullStateDirScenario, tmpfsReason } from './scenarios.js';

describe('faults (long): full state dir', () => {
  it('logs and reports the full disk, leaves running pods alone, keeps state files whole, recovers', async () => {
    const reason = await tmpfsReason();
    if (reason !== undefined) {
      console.warn(`[faults] full state dir ${reason}`);
      return;
    }
    await fullStateDirScenario({ long: true });
  });
});
