// Long run: the agent's wall clock stepped back an hour (libfaketime) inside a crash-looping
// container's back-off window; the next restart still comes within the window (issue 12 item 5).
import { describe, it } from 'vitest';
import { BACKWARD_HOUR, clockStepScenario } from './clock-step.js';

describe('faults (long): wall-clock step', () => {
  it('a 1 h backward step does not stall CrashLoopBackOff', async () => {
    await clockStepScenario({ stepSeconds: BACKWARD_HOUR });
  });

  it('a 1 h forward step does not cut a back-off window short', async () => {
    await clockStepScenario({ stepSeconds: -BACKWARD_HOUR });
  });
});
