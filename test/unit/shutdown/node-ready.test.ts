// The Ready condition while the node shuts down (node/node-status.ts): False, KubeletNotReady,
// with the shutdown manager's error, aggregated with the runtime's as the kubelet prints them.
import { describe, expect, it } from 'vitest';
import { nodeConditions } from '../../../agent/node/node-status.js';

const health = { runtimeReady: true, memoryPressure: false, diskPressure: false, pidPressure: false };
const ready = (h: Parameters<typeof nodeConditions>[0]) => nodeConditions(h, Date.UTC(2026, 0, 1)).find((c) => c.type === 'Ready');

describe('Ready condition and node shutdown', () => {
  it('is False with "node is shutting down" while the node shuts down', () => {
    expect(ready({ ...health, shutdown: 'node is shutting down' })).toMatchObject({ status: 'False', reason: 'KubeletNotReady', message: 'node is shutting down' });
    expect(ready(health)).toMatchObject({ status: 'True', reason: 'KubeletReady' });
  });

  it('aggregates with a runtime error as utilerrors.NewAggregate prints several', () => {
    expect(ready({ ...health, runtimeReady: false, shutdown: 'node is shutting down' })?.message).toBe('[container runtime is down, node is shutting down]');
  });
});
