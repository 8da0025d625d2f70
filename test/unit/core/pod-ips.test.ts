// Pod IPs (issue 14 item 2): which sandboxes need an address, the kubelet's order of the IPs,
// and which sandbox status.podIPs come from.
import { describe, expect, it } from 'vitest';
import { podIPsOf, sandboxLacksIP, sandboxNeedsIP, sortPodIPs } from '../../../agent/core/pod-ips.js';
import { desiredPod, observedPod, sandbox } from '../../helpers/builders.js';

const pod = desiredPod();

describe('sandboxNeedsIP', () => {
  it.each([
    ['bridge', true],
    ['default', true],
    ['nodelet-pods', true],
    ['host', false],
    ['none', false],
    ['container:abc', false],
    ['', false],
    [undefined, false],
  ])('%s → %s', (mode, expected) => {
    expect(sandboxNeedsIP(mode)).toBe(expected);
  });
});

describe('sortPodIPs', () => {
  it('IPv4 first, then IPv6, one of each', () => {
    expect(sortPodIPs(['fd00::5', '198.18.0.5', '198.18.0.6', 'fd00::6'])).toEqual(['198.18.0.5', 'fd00::5']);
  });
  it('an address that does not parse empties the list (determinePodSandboxIPs)', () => {
    expect(sortPodIPs(['198.18.0.5', 'not-an-ip'])).toEqual([]);
  });
  it('empty stays empty', () => {
    expect(sortPodIPs([])).toEqual([]);
  });
});

describe('podIPsOf', () => {
  it('the newest sandbox, while it runs', () => {
    const old = { ...sandbox(pod, { attempt: 0, state: 'exited' }), networkMode: 'pods', ips: ['198.18.0.2'] };
    const current = { ...sandbox(pod, { attempt: 1 }), networkMode: 'pods', ips: ['fd00::9', '198.18.0.9'] };
    expect(podIPsOf(observedPod(pod, { sandboxes: [old, current] }))).toEqual(['198.18.0.9', 'fd00::9']);
  });
  it('none when the newest sandbox is not running, even if an older one had IPs', () => {
    const dead = { ...sandbox(pod, { attempt: 1, state: 'exited' }), networkMode: 'pods', ips: ['198.18.0.9'] };
    expect(podIPsOf(observedPod(pod, { sandboxes: [dead] }))).toEqual([]);
    expect(podIPsOf(undefined)).toEqual([]);
  });
});

describe('sandboxLacksIP', () => {
  it('a network sandbox without an address lacks one; none, host and unknown modes never do', () => {
    expect(sandboxLacksIP({ networkMode: 'bridge', ips: [] })).toBe(true);
    expect(sandboxLacksIP({ networkMode: 'bridge', ips: ['198.18.0.2'] })).toBe(false);
    expect(sandboxLacksIP({ networkMode: 'none', ips: [] })).toBe(false);
    expect(sandboxLacksIP({ networkMode: 'host' })).toBe(false);
    expect(sandboxLacksIP({})).toBe(false);
  });
});
