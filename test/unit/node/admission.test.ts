// node/admission.ts: the verdict on a manifest Pod changes only when the node does, and each
// change is one log line and one event.
import { describe, expect, it } from 'vitest';
import type { DesiredPod } from '../../../agent/core/types.js';
import { EventStore } from '../../../agent/events/event-store.js';
import { StaticPodAdmission } from '../../../agent/node/admission.js';
import { baseNodeIdentity } from '../../../agent/node/node-model.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { sinkLogger } from '../../helpers/log-sink.js';

const pod = (kind: 'Pod' | 'DaemonSet'): DesiredPod => ({
  uid: 'u1',
  namespace: 'default',
  name: 'web-node1',
  origin: kind === 'Pod' ? { kind: 'Pod', file: '/m/web.yaml' } : { kind: 'DaemonSet', namespace: 'default', name: 'ds' },
  pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-node1', namespace: 'default', uid: 'u1' }, spec: { nodeSelector: { disktype: 'ssd' }, containers: [{ name: 'c', image: 'busybox:1.37' }] } },
} as DesiredPod);

describe('StaticPodAdmission', () => {
  it('rejects once, keeps the verdict while the node is unchanged, admits after a label', () => {
    const { logger, lines } = sinkLogger();
    const events = new EventStore({ clock: new FakeClock(), source: 'test' });
    const admission = new StaticPodAdmission({ logger, events });
    const plain = baseNodeIdentity({ name: 'node1', platform: 'linux', arch: 'x64' });
    const ssd = baseNodeIdentity({ name: 'node1', platform: 'linux', arch: 'x64', configLabels: { disktype: 'ssd' } });

    expect(admission.admit(pod('Pod'), plain)).toBe(true);
    expect(admission.rejection('u1')?.reason).toBe('NodeAffinity');
    expect(admission.admit(pod('Pod'), plain)).toBe(false);
    expect(events.list().map((e) => e.reason)).toEqual(['NodeAffinity']);

    expect(admission.admit(pod('Pod'), ssd)).toBe(true);
    expect(admission.isRejected('u1')).toBe(false);
    expect(admission.admit(pod('Pod'), ssd)).toBe(false);
    expect(lines.map((l) => l.msg)).toEqual([expect.stringMatching(/^pod rejected: /), 'pod admitted after a node change']);
  });

  it('never judges a DaemonSet pod (its DaemonSet placed it) but asks for a new look', () => {
    const { logger } = sinkLogger();
    const admission = new StaticPodAdmission({ logger, events: new EventStore({ clock: new FakeClock(), source: 'test' }) });
    expect(admission.admit(pod('DaemonSet'), baseNodeIdentity({ name: 'node1', platform: 'linux', arch: 'x64' }))).toBe(true);
    expect(admission.isRejected('u1')).toBe(false);
  });
});
