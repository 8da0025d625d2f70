// Config validation of the shutdown keys (agent/config/shutdown-config.ts, the kubelet's
// messages), the config resolver end to end, and the busctl output parsers.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../agent/config/config.js';
import { validateShutdownConfig } from '../../../agent/config/shutdown-config.js';
import { parsePrepareForShutdown, parseUint64Property } from '../../../agent/shutdown/busctl-output.js';

const resolve = (file: Record<string, unknown>) => resolveConfig({ flags: {}, env: {}, file, hostname: 'node1' });

describe('shutdown config', () => {
  it('is off by default', () => {
    expect(resolve({}).shutdown).toEqual({ gracePeriodMs: 0, gracePeriodCriticalPodsMs: 0, byPodPriority: [] });
  });

  it('reads the kubelet keys from the config file', () => {
    const c = resolve({ shutdownGracePeriod: '20s', shutdownGracePeriodCriticalPods: '8s' });
    expect(c.shutdown).toEqual({ gracePeriodMs: 20_000, gracePeriodCriticalPodsMs: 8_000, byPodPriority: [] });
    const p = resolve({ shutdownGracePeriodByPodPriority: [{ priority: 0, shutdownGracePeriodSeconds: 30 }] });
    expect(p.shutdown.byPodPriority).toEqual([{ priority: 0, shutdownGracePeriodSeconds: 30 }]);
  });

  it.each([
    [{ shutdownGracePeriod: '10s', shutdownGracePeriodCriticalPods: '20s' }, 'shutdownGracePeriodCriticalPods 20s must be <= shutdownGracePeriod 10s'],
    [{ shutdownGracePeriod: '500ms' }, 'shutdownGracePeriod 500ms must be either zero or otherwise >= 1 sec'],
    [{ shutdownGracePeriod: '10s', shutdownGracePeriodCriticalPods: '0.5s' }, 'shutdownGracePeriodCriticalPods 500ms must be either zero or otherwise >= 1 sec'],
    [{ shutdownGracePeriod: '10s', shutdownGracePeriodByPodPriority: [{ priority: 0, shutdownGracePeriodSeconds: 5 }] }, 'Cannot specify both shutdownGracePeriodByPodPriority and shutdownGracePeriod at the same time'],
    [{ shutdownGracePeriodByPodPriority: [{ priority: 0 }] }, "must have required property 'shutdownGracePeriodSeconds'"],
    [{ shutdownGracePeriod: 'soon' }, 'shutdownGracePeriod: must match pattern'],
  ])('refuses %j', (file, message) => {
    expect(() => resolve(file)).toThrow(message);
  });

  it('prints durations as Go does in its messages', () => {
    expect(validateShutdownConfig({ gracePeriodMs: 90_000, gracePeriodCriticalPodsMs: 120_000, byPodPriority: [] })).toEqual([
      'shutdownGracePeriodCriticalPods: invalid configuration: shutdownGracePeriodCriticalPods 2m0s must be <= shutdownGracePeriod 1m30s',
    ]);
  });
});

describe('busctl output', () => {
  it('reads a uint64 property', () => {
    expect(parseUint64Property('t 5000000\n')).toBe(5_000_000);
    expect(parseUint64Property('s "x"')).toBeUndefined();
    expect(parseUint64Property('')).toBeUndefined();
  });

  it('reads PrepareForShutdown from busctl monitor --json=short', () => {
    const line = (data: unknown, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ type: 'signal', sender: ':1.5', path: '/org/freedesktop/login1', interface: 'org.freedesktop.login1.Manager', member: 'PrepareForShutdown', payload: { type: 'b', data }, ...extra });
    expect(parsePrepareForShutdown(line([true]))).toBe(true);
    expect(parsePrepareForShutdown(line([false]))).toBe(false);
    expect(parsePrepareForShutdown(line([]))).toBeUndefined();
    expect(parsePrepareForShutdown(line(['true']))).toBeUndefined();
    expect(parsePrepareForShutdown(line([true], { member: 'PrepareForSleep' }))).toBeUndefined();
    expect(parsePrepareForShutdown(line([true], { type: 'method_call' }))).toBeUndefined();
    expect(parsePrepareForShutdown('Monitoring bus message stream.')).toBeUndefined();
    expect(parsePrepareForShutdown('null')).toBeUndefined();
  });
});
