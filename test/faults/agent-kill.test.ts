// Long run: kill -9 of the agent at random moments during pod starts, edits, deletions and
// DaemonSet rollouts (24 kills); the node converges to the manifests, state files intact.
import { describe, it } from 'vitest';
import { agentKillScenario } from './scenarios.js';

describe('faults (long): agent kill -9', () => {
  it('converges to the manifests after 24 random kills', async () => {
    await agentKillScenario({ long: true });
  });
});
