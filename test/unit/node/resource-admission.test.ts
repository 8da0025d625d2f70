// node/admission.ts with resources: the kubelet's OutOf* verdicts against allocatable minus the
// admitted pods, an admitted pod keeping its place, and the order critical pods go first in.
import { describe, expect, it } from 'vitest';
import type { DesiredPod } from '../../../agent/core/types.js';
import { EventStore } from '../../../agent/events/event-store.js';
import { admissionOrder, StaticPodAdmission } from '../../../agent/node/admission.js';
import { baseNodeIdentity } from '../../../agent/node/node-model.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { sinkLogger } from '../../helpers/log-sink.js';

const N = 1_000_000_000n;
const node = baseNodeIdentity({ name: 'node1', platform: 'linux', arch: 'x64' });

function pod(uid: string, cpu: string, opts: { source?: string; priorityClassName?: string; seen?: string } = {}): DesiredPod {
  const annotations: Record<string, string> = { 'kubernetes.io/config.seen': opts.seen ?? '2026-01-01T00:00:00Z' };
  if (opts.source) annotations['kubernetes.io/config.source'] = opts.source;
  return {
    uid,
    namespace: 'default',
    name: `${uid}-node1`,
    origin: { kind: 'Pod', file: `/m/${uid}.yaml` },
    pod: {
      metadata: { name: `${uid}-node1`, namespace: 'default', uid, annotations },
      spec: { ...(opts.priorityClassName ? { priorityClassName: opts.priorityClassName } : {}), containers: [{ name: 'c', image: 'busybox:1.37', resources: { requests: { cpu } } }] },
    },
  };
}

describe('StaticPodAdmission: resources', () => {
  it('rejects with OutOfcpu and the kubelet message, keeps admitted pods, admits once resources free up', () => {
    const { logger } = sinkLogger();
    const events = new EventStore({ clock: new FakeClock(), source: 'test' });
    const active = new Map<string, DesiredPod>();
    const admission = new StaticPodAdmission({
      logger,
      events,
      resources: { allocatable: () => new Map([['cpu', 2n * N], ['pods', 110n * N]]), activePods: () => active.values() },
    });
    const a = pod('a', '1500m');
    admission.admit(a, node);
    active.set('a', a);
    const b = pod('b', '1');
    expect(admission.admit(b, node)).toBe(true);
    expect(admission.rejection('b')).toEqual({ admit: false, reason: 'OutOfcpu', message: "Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000" });
    expect(events.list().map((e) => [e.type, e.reason, e.message])).toEqual([['Warning', 'OutOfcpu', "Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000"]]);
    active.set('b', b);
    // The admitted pod keeps its place when judged again (a label change), whatever came after.
    expect(admission.admit(a, node)).toBe(false);
    expect(admission.isRejected('a')).toBe(false);
    expect(admission.rejectedForResources(active).map((d) => d.uid)).toEqual(['b']);
    active.delete('a');
    admission.forget('a');
    expect(admission.admit(b, node)).toBe(true);
    expect(admission.isRejected('b')).toBe(false);
  });

  it('orders critical pods (static, or of a system priority class) first, then priority, then first seen', () => {
    const late = pod('late', '1', { seen: '2026-01-01T00:00:09Z' });
    const early = pod('early', '1', { seen: '2026-01-01T00:00:01Z' });
    const cluster = pod('cluster', '1', { priorityClassName: 'system-cluster-critical', seen: '2026-01-01T00:00:05Z' });
    const nodeCritical = pod('node', '1', { priorityClassName: 'system-node-critical', seen: '2026-01-01T00:00:07Z' });
    const staticPod = pod('static', '1', { source: 'file', seen: '2026-01-01T00:00:08Z' });
    expect([late, early, cluster, staticPod, nodeCritical].sort(admissionOrder).map((d) => d.uid)).toEqual(['node', 'cluster', 'static', 'early', 'late']);
  });
});
