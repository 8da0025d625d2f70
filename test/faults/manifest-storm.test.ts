// Long run: 500 manifest files created, edited and deleted at random for 30 s.
import { describe, it } from 'vitest';
import { manifestStormScenario } from './scenarios.js';

describe('faults (long): manifest storm', () => {
  it('ends with exactly the pods the directory defines', async () => {
    await manifestStormScenario({ long: true });
  });
});
