// Long run: 1,000 pod create/delete cycles; agent RSS after GC grows by less than 10 MiB and
// no container, volume or emptyDir directory is left behind.
import { describe, it } from 'vitest';
import { churnScenario } from './scenarios.js';

describe('faults (long): churn', () => {
  it('1,000 create/delete cycles leak neither memory nor Docker objects', async () => {
    await churnScenario({ long: true });
  });
});
