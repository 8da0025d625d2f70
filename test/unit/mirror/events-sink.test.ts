import { describe, expect, it } from 'vitest';
import type { NodeletEvent } from '../../../agent/events/event-store.js';
import { eventKey, eventName, isReportable, toApiEvent } from '../../../agent/mirror/events-sink.js';

const T0 = Date.UTC(2026, 0, 1);

function ev(over: Partial<NodeletEvent> = {}): NodeletEvent {
  return {
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-n1', uid: 'u1', fieldPath: 'spec.containers{web}' },
    type: 'Normal',
    reason: 'Started',
    message: 'Started container web',
    count: 2,
    firstTimestamp: T0,
    lastTimestamp: T0 + 61_500,
    source: 'nodelet, n1',
    ...over,
  };
}

describe('events as core/v1 Event', () => {
  it('names events <object>.<hex unix nanos>, as client-go does', () => {
    expect(eventName('web-n1', T0, 0)).toBe(`web-n1.${(BigInt(T0) * 1_000_000n).toString(16)}`);
    expect(eventName('web-n1', T0, 1)).not.toBe(eventName('web-n1', T0, 0));
  });

  it('maps a pod event', () => {
    expect(toApiEvent(ev(), 'web-n1.abc', 'n1')).toEqual({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-n1.abc', namespace: 'default' },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web-n1', namespace: 'default', uid: 'u1', fieldPath: 'spec.containers{web}' },
      reason: 'Started',
      message: 'Started container web',
      type: 'Normal',
      count: 2,
      firstTimestamp: '2026-01-01T00:00:00Z',
      lastTimestamp: '2026-01-01T00:01:01Z',
      source: { component: 'kubelet', host: 'n1' },
      reportingComponent: 'kubelet',
      reportingInstance: 'n1',
    });
  });

  it('node events live in default and use the node name as uid (kubelet nodeRef)', () => {
    const e = toApiEvent(ev({ involvedObject: { kind: 'Node', namespace: '', name: 'n1' } }), 'n1.1', 'n1');
    expect(e.metadata?.namespace).toBe('default');
    expect(e.involvedObject).toEqual({ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'n1' });
  });

  it('only pod and node events leave the host', () => {
    expect(isReportable(ev())).toBe(true);
    expect(isReportable(ev({ involvedObject: { kind: 'Node', namespace: '', name: 'n1' } }))).toBe(true);
    expect(isReportable(ev({ involvedObject: { kind: 'Manifest', namespace: '', name: '/etc/x.yaml' } }))).toBe(false);
    expect(isReportable(ev({ involvedObject: { kind: 'DaemonSet', namespace: 'default', name: 'ds' } }))).toBe(false);
  });

  it('aggregates on object, type, reason and message, like the event store', () => {
    expect(eventKey(ev())).toBe(eventKey(ev({ count: 9, lastTimestamp: T0 + 1 })));
    expect(eventKey(ev())).not.toBe(eventKey(ev({ message: 'other' })));
  });
});
