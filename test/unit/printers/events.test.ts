import { describe, it, expect } from 'vitest';
import type { NodeletEvent } from '../../../agent/events/event-store.js';
import { eventObject, printEvents } from '../../../agent/cli/printers/events.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

const e = (namespace: string, name: string, reason: string, ago: number, message = 'm'): NodeletEvent => ({
  involvedObject: { kind: 'Pod', namespace, name },
  type: 'Normal',
  reason,
  message,
  count: 1,
  firstTimestamp: NOW - ago * 1000,
  lastTimestamp: NOW - ago * 1000,
  source: 'nodelet, node1',
});

describe('printEvents', () => {
  it('adds a NAMESPACE column, oldest first, and trims messages', () => {
    expect(printEvents([e('kube-system', 'dns-node1', 'Started', 5), e('default', 'web-node1', 'Pulled', 65, '  pulled\n')], { now: NOW, showNamespace: true })).toBe(
      [
        'NAMESPACE     LAST SEEN   TYPE     REASON    OBJECT          MESSAGE',
        'default       65s         Normal   Pulled    pod/web-node1   pulled',
        'kube-system   5s          Normal   Started   pod/dns-node1   m',
        '',
      ].join('\n'),
    );
  });

  it('uses the first time when there is no last time', () => {
    expect(printEvents([{ ...e('default', 'x', 'R', 30), lastTimestamp: 0 }], { now: NOW, noHeaders: true })).toBe('30s   Normal   R     pod/x   m\n');
  });

  it('prints nothing for no events', () => {
    expect(printEvents([], { now: NOW })).toBe('');
  });

  it('names the involved object in lower case', () => {
    expect(eventObject({ ...e('default', 'web', 'R', 1), involvedObject: { kind: 'DaemonSet', namespace: 'default', name: 'web' } })).toBe('daemonset/web');
  });
});
