// The sandbox's addresses from Docker's inspect (issue 14 item 2): user-defined networks keep
// them under Networks[<name>], the default bridge also at the top level, and a network that
// gave none (the default bridge on an engine started with --bridge=none) has empty strings.
import { describe, expect, it } from 'vitest';
import { networkIPs } from '../../../agent/runtime/docker/network-ips.js';
import { fromInspect, type InspectJson } from '../../../agent/runtime/docker/from-inspect.js';
import { toIdentityLabels } from '../../../agent/core/labels.js';

describe('networkIPs', () => {
  it('a user-defined network: its endpoint, IPv4 then IPv6', () => {
    const settings = { IPAddress: '', GlobalIPv6Address: '', Networks: { pods: { IPAddress: '198.19.250.2', GlobalIPv6Address: 'fd00:1::2' } } };
    expect(networkIPs('pods', settings)).toEqual(['198.19.250.2', 'fd00:1::2']);
  });
  it('the default bridge: mode default or bridge, top-level fields as cri-dockerd reads them', () => {
    expect(networkIPs('default', { IPAddress: '172.17.0.2', Networks: { bridge: { IPAddress: '172.17.0.2' } } })).toEqual(['172.17.0.2']);
    expect(networkIPs('bridge', { IPAddress: '172.17.0.3', GlobalIPv6Address: '' })).toEqual(['172.17.0.3']);
  });
  it('a network that gave no address (engine with --bridge=none): none', () => {
    expect(networkIPs('bridge', { IPAddress: '', GlobalIPv6Address: '', Networks: { bridge: { IPAddress: '', GlobalIPv6Address: '' } } })).toEqual([]);
  });
  it('host, none and a joined network report none', () => {
    const settings = { IPAddress: '10.0.0.1' };
    expect(networkIPs('host', settings)).toEqual([]);
    expect(networkIPs('none', settings)).toEqual([]);
    expect(networkIPs('container:abc', settings)).toEqual([]);
    expect(networkIPs('pods', undefined)).toEqual([]);
  });
});

describe('fromInspect', () => {
  const labels = toIdentityLabels({ node: 'n', podUid: 'u', podName: 'p', podNamespace: 'default', container: 'POD', role: 'sandbox', specHash: 'h', restartCount: 0 });
  const base: InspectJson = {
    Id: 'abc',
    Created: '2026-01-01T00:00:00.000000000Z',
    Image: 'sha256:x',
    State: { Status: 'running', Running: true, OOMKilled: false, ExitCode: 0, Error: '', StartedAt: '2026-01-01T00:00:01Z', FinishedAt: '0001-01-01T00:00:00Z' },
    Config: { Image: 'pause', Labels: labels },
  };
  it('carries the network mode and the IPs', () => {
    const c = fromInspect({ ...base, HostConfig: { NetworkMode: 'pods' }, NetworkSettings: { Networks: { pods: { IPAddress: '198.19.0.7' } } } });
    expect(c?.networkMode).toBe('pods');
    expect(c?.ips).toEqual(['198.19.0.7']);
  });
  it('without HostConfig: neither (not judged)', () => {
    const c = fromInspect(base);
    expect(c?.networkMode).toBeUndefined();
    expect(c?.ips).toBeUndefined();
  });
});
