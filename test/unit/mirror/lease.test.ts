import { describe, expect, it } from 'vitest';
import { DEFAULT_LEASE_TIMING, jitteredPeriod, LEASE_NAMESPACE, renewedLease } from '../../../agent/mirror/lease.js';
import { microTime, apiTime } from '../../../agent/core/time-format.js';
import { Backoff } from '../../../agent/mirror/backoff.js';
import { DISABLED_REPORTING, reportingAnnotations } from '../../../agent/mirror/reporting-state.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0, 123);

describe('lease object', () => {
  it('is named after the node in kube-node-lease, held by it, 40 s, renewTime as MicroTime', () => {
    expect(renewedLease('n1', DEFAULT_LEASE_TIMING, T0, undefined)).toEqual({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'n1', namespace: LEASE_NAMESPACE },
      spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2026-01-01T12:00:00.123000Z' },
    });
  });

  it('keeps the base (resourceVersion, other fields) and adds the Node owner once', () => {
    const base = { metadata: { name: 'n1', namespace: LEASE_NAMESPACE, resourceVersion: '7' }, spec: { holderIdentity: 'x', leaseTransitions: 2 } };
    const renewed = renewedLease('n1', DEFAULT_LEASE_TIMING, T0, { name: 'n1', uid: 'u1' }, base);
    expect(renewed.metadata).toEqual({ name: 'n1', namespace: LEASE_NAMESPACE, resourceVersion: '7', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'u1' }] });
    expect(renewed.spec).toMatchObject({ holderIdentity: 'n1', leaseTransitions: 2 });
    const again = renewedLease('n1', DEFAULT_LEASE_TIMING, T0, { name: 'n1', uid: 'u2' }, renewed);
    expect(again.metadata?.ownerReferences?.[0]?.uid).toBe('u1');
  });

  it('renew interval is 10 s stretched by up to 4 % (wait.Jitter)', () => {
    expect(jitteredPeriod(10_000, 0.04, 0)).toBe(10_000);
    expect(jitteredPeriod(10_000, 0.04, 0.5)).toBe(10_200);
    expect(jitteredPeriod(10_000, 0.04, 0.999999)).toBe(10_400);
    expect(DEFAULT_LEASE_TIMING.renewIntervalMs).toBe(DEFAULT_LEASE_TIMING.durationSeconds * 1000 * 0.25);
  });
});

describe('time formats', () => {
  it('metav1.Time has whole seconds, MicroTime six digits', () => {
    expect(apiTime(T0)).toBe('2026-01-01T12:00:00Z');
    expect(microTime(T0)).toBe('2026-01-01T12:00:00.123000Z');
  });
});

describe('backoff', () => {
  it('doubles from 1 s to a 60 s cap, with jitter, and resets on success', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 60_000, jitter: 0.1 }, () => 1);
    const delays = Array.from({ length: 9 }, () => b.failure(0));
    expect(delays).toEqual([1100, 2200, 4400, 8800, 17_600, 35_200, 66_000, 66_000, 66_000]);
    b.success();
    expect(b.until).toBe(0);
    expect(b.failure(5)).toBe(1105);
    const none = new Backoff({ initialMs: 1000, maxMs: 60_000, jitter: 0.1 }, () => 0);
    expect(none.failure(0)).toBe(1000);
  });
});

describe('reporting state as annotations', () => {
  it('names every field nodelet.io/reporting-*, leaving out what is unset', () => {
    expect(reportingAnnotations(DISABLED_REPORTING)).toEqual({ 'nodelet.io/reporting-enabled': 'false' });
    expect(
      reportingAnnotations({ enabled: true, server: 'https://h:6443', lastSuccess: '2026-01-01T00:00:00Z', lastError: 'boom', lastErrorAt: '2026-01-01T00:00:05Z', backoffUntil: '2026-01-01T00:00:07Z' }),
    ).toEqual({
      'nodelet.io/reporting-enabled': 'true',
      'nodelet.io/reporting-server': 'https://h:6443',
      'nodelet.io/reporting-last-success': '2026-01-01T00:00:00Z',
      'nodelet.io/reporting-last-error': 'boom',
      'nodelet.io/reporting-last-error-at': '2026-01-01T00:00:05Z',
      'nodelet.io/reporting-backoff-until': '2026-01-01T00:00:07Z',
    });
  });
});
