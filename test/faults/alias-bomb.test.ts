// Long run: string alias bombs (160 KB -> 2 GB, 8.5 MB -> 280 GB) in the manifest directory at
// every start (3 starts, kill -9 in between): each start syncs and converges, memory stays bounded.
import { describe, it } from 'vitest';
import { aliasBombScenario } from './scenarios.js';

describe('faults (long): a string alias bomb present at start', () => {
  it('refuses the bombs, becomes ready and converges at every start', async () => {
    await aliasBombScenario({ long: true });
  });
});
