// The image pull back-off as the kubelet keys and words it: a pull failure opens a window of
// the image policy (not the crash-loop one) keyed by the image; the BackOff event after a
// failed pull is "Back-off pulling image" plus "Error: ImagePullBackOff"; the status keeps
// ErrImagePull for the first half of the window.
import { describe, expect, it } from 'vitest';
import { EventStore } from '../../../agent/events/event-store.js';
import { recordBackOff } from '../../../agent/sync/execute.js';
import { freshPullFailures } from '../../../agent/sync/pod-sync.js';
import { imagePullBackoffKey, isImagePullFailure, startFailureBackoff } from '../../../agent/sync/plan.js';
import { systemClock } from '../../../agent/core/clock.js';

const pod = { namespace: 'default', name: 'p-node', uid: 'u1' };

describe('image pull back-off', () => {
  it('keys a pull failure by image, with the image policy; other failures by container and hash', () => {
    const policies = { crash: { initialMs: 10_000, maxMs: 300_000 }, image: { initialMs: 1000, maxMs: 4000 } };
    expect(startFailureBackoff({ name: 'app', image: 'r/x:1' }, 'h', 'ErrImagePull', policies)).toEqual({ key: imagePullBackoffKey('r/x:1'), policy: policies.image });
    expect(startFailureBackoff({ name: 'app', image: 'r/x:1' }, 'h', 'CreateContainerError', policies)).toEqual({ key: 'app/h', policy: policies.crash });
    expect(isImagePullFailure('ErrImageNeverPull')).toBe(false);
  });

  it('BackOff events: the image text after a failed pull, the crash-loop text otherwise', () => {
    const events = new EventStore({ clock: systemClock, source: 'test' });
    recordBackOff(events, pod, 'app', { reason: 'ErrImagePull', image: 'r/x:1' });
    recordBackOff(events, pod, 'app', { reason: 'RunContainerError', image: 'r/x:1' });
    expect(events.list().map((e) => `${e.type} ${e.reason}: ${e.message}`)).toEqual([
      'Normal BackOff: Back-off pulling image "r/x:1"',
      'Warning Failed: Error: ImagePullBackOff',
      'Warning BackOff: Back-off restarting failed container app in pod p-node_default(u1)',
    ]);
  });

  it('ErrImagePull stays for the first half of the window', () => {
    const actions = [{ type: 'backoff' as const, container: 'app', until: 11_000, message: '' }];
    const failures = new Map([['app', { reason: 'ErrImagePull', at: 1000 }]]);
    expect([...freshPullFailures(actions, failures, 2000)]).toEqual([['app', 6000]]);
    expect(freshPullFailures(actions, failures, 6000).size).toBe(0);
    expect(freshPullFailures(actions, new Map([['app', { reason: 'RunContainerError', at: 1000 }]]), 2000).size).toBe(0);
  });
});
