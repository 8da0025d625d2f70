import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../agent/config/config.js';

const base = { flags: {}, env: {}, hostname: 'node1' };

describe('node resource settings (KubeletConfiguration names and defaults)', () => {
  it('defaults to the kubelet defaults', () => {
    expect(resolveConfig(base).nodeResources).toEqual({
      systemReserved: {},
      kubeReserved: {},
      evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '10%', 'nodefs.inodesFree': '5%', 'imagefs.available': '15%', 'imagefs.inodesFree': '5%' },
      maxPods: 110,
      podsPerCore: 0,
      enforceNodeAllocatable: ['pods'],
      cgroupsPerQOS: true,
      cgroupRoot: '/',
      podPidsLimit: -1,
    });
  });

  it('takes the config file keys; a given evictionHard replaces the defaults', () => {
    const file = { systemReserved: { cpu: '500m', memory: '1Gi' }, kubeReserved: { memory: 256 }, evictionHard: { 'memory.available': '5%' }, maxPods: 20, cgroupRoot: '/x', podPidsLimit: 1024, enforceNodeAllocatable: ['none'] };
    expect(resolveConfig({ ...base, file }).nodeResources).toMatchObject({ systemReserved: { cpu: '500m', memory: '1Gi' }, kubeReserved: { memory: '256' }, evictionHard: { 'memory.available': '5%' }, maxPods: 20, cgroupRoot: '/x', podPidsLimit: 1024, enforceNodeAllocatable: [] });
  });

  it('rejects what the kubelet rejects', () => {
    const file = { systemReserved: { gpu: '1', memory: 'lots' }, evictionHard: { 'memory.free': '1Gi', 'nodefs.available': '120%' }, enforceNodeAllocatable: ['pods', 'all'], cgroupsPerQOS: false };
    expect(() => resolveConfig({ ...base, file })).toThrow(/systemReserved: unsupported resource "gpu"[\s\S]*systemReserved.memory: invalid quantity "lots"[\s\S]*evictionHard: unsupported eviction signal "memory.free"[\s\S]*evictionHard.nodefs.available: invalid threshold "120%"[\s\S]*enforceNodeAllocatable: unsupported value "all"[\s\S]*"pods" needs cgroupsPerQOS: true/);
    expect(() => resolveConfig({ ...base, file: { maxPods: 0 } })).toThrow(/maxPods/);
  });
});
