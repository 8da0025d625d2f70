// PatchPodStatus's two-way strategic merge patch. The expected patches are the ones
// strategicpatch.CreateTwoWayMergePatch(old, new, v1.Pod{}) produces for the same inputs.
import { describe, expect, it } from 'vitest';
import type { PodStatus } from 'kubernetes-types/core/v1.js';
import { mergePodStatus, podStatusPatch } from '../../../agent/mirror/two-way-patch.js';

describe('podStatusPatch (two-way strategic merge diff)', () => {
  it('is only the uid precondition when the API server already holds the status (no request)', () => {
    const status: PodStatus = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
    expect(podStatusPatch('m1', status, structuredClone(status))).toEqual({ metadata: { uid: 'm1' } });
  });

  it('sends the whole status over an empty one', () => {
    const status: PodStatus = { phase: 'Running', podIPs: [{ ip: '10.1.0.2' }] };
    expect(podStatusPatch('m1', undefined, status)).toEqual({ metadata: { uid: 'm1' }, status: { phase: 'Running', podIPs: [{ ip: '10.1.0.2' }] } });
  });

  it('nulls the reason and message a condition no longer has (no stale ContainersNotReady after Ready=True)', () => {
    const api: PodStatus = {
      phase: 'Running',
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' },
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [web]', lastTransitionTime: '2026-01-01T00:00:00Z' },
      ],
    };
    const wanted: PodStatus = {
      phase: 'Running',
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' },
        { type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:05Z' },
      ],
    };
    expect(podStatusPatch('m1', api, wanted)).toEqual({
      metadata: { uid: 'm1' },
      status: {
        conditions: [{ type: 'Ready', status: 'True', reason: null, message: null, lastTransitionTime: '2026-01-01T00:00:05Z' }],
        '$setElementOrder/conditions': [{ type: 'Initialized' }, { type: 'Ready' }],
      },
    });
  });

  it('deletes merge-keyed entries that went away, replaces atomic lists whole, nulls removed fields', () => {
    const api: PodStatus = {
      phase: 'Pending',
      message: 'was here',
      podIPs: [{ ip: '10.1.0.2' }, { ip: 'fd00::2' }],
      containerStatuses: [{ name: 'a', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }],
    };
    const wanted: PodStatus = {
      phase: 'Running',
      podIPs: [{ ip: '10.1.0.3' }],
      containerStatuses: [{ name: 'a', image: 'x', imageID: 'docker://sha256:1', ready: true, restartCount: 0, state: { running: { startedAt: '2026-01-01T00:00:01Z' } } }],
    };
    expect(podStatusPatch('m1', api, wanted).status).toEqual({
      phase: 'Running',
      message: null,
      podIPs: [{ ip: '10.1.0.3' }, { ip: '10.1.0.2', $patch: 'delete' }, { ip: 'fd00::2', $patch: 'delete' }],
      '$setElementOrder/podIPs': [{ ip: '10.1.0.3' }],
      containerStatuses: wanted.containerStatuses,
    });
  });
});

describe('mergePodStatus', () => {
  it('keeps conditions other writers own, first, and takes the kubelet-owned ones from the local status', () => {
    const api: PodStatus = { conditions: [{ type: 'DisruptionTarget', status: 'True' }, { type: 'Ready', status: 'False' }] };
    const local: PodStatus = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
    expect(mergePodStatus(api, local).conditions).toEqual([{ type: 'DisruptionTarget', status: 'True' }, { type: 'Ready', status: 'True' }]);
    expect(podStatusPatch('m', api, mergePodStatus(api, local)).status?.conditions).toEqual([{ type: 'Ready', status: 'True' }]);
  });
});
