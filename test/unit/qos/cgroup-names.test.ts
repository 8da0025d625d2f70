import { describe, expect, it } from 'vitest';
import { cgroupPath, dockerCgroupParent, expandSlice, podCgroupName, podUidOfCgroup, toSystemdSlice } from '../../../agent/qos/cgroup-names.js';

const UID = '1234-abcd-5678';

describe('cgroup names (cgroup_manager_linux.go, pod_container_manager_linux.go)', () => {
  it.each([
    ['Guaranteed', '/kubepods/pod1234-abcd-5678', '/kubepods.slice/kubepods-pod1234_abcd_5678.slice', 'kubepods-pod1234_abcd_5678.slice'],
    ['Burstable', '/kubepods/burstable/pod1234-abcd-5678', '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234_abcd_5678.slice', 'kubepods-burstable-pod1234_abcd_5678.slice'],
    ['BestEffort', '/kubepods/besteffort/pod1234-abcd-5678', '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234_abcd_5678.slice', 'kubepods-besteffort-pod1234_abcd_5678.slice'],
  ] as const)('%s: cgroupfs %s, systemd %s (Docker gets the leaf %s)', (qos, cgroupfs, systemd, leaf) => {
    const name = podCgroupName('/', qos, UID);
    expect(cgroupPath(name, 'cgroupfs')).toBe(cgroupfs);
    expect(dockerCgroupParent(name, 'cgroupfs')).toBe(cgroupfs);
    expect(cgroupPath(name, 'systemd')).toBe(systemd);
    expect(dockerCgroupParent(name, 'systemd')).toBe(leaf);
  });

  it('puts kubepods under --cgroup-root, escaping dashes for systemd', () => {
    const name = podCgroupName('/nodelet-test/x', 'BestEffort', 'u1');
    expect(cgroupPath(name, 'cgroupfs')).toBe('/nodelet-test/x/kubepods/besteffort/podu1');
    expect(toSystemdSlice(name)).toBe('nodelet_test-x-kubepods-besteffort-podu1.slice');
    expect(expandSlice('a-b-c.slice')).toBe('/a.slice/a-b.slice/a-b-c.slice');
    expect(expandSlice('-.slice')).toBe('/');
  });

  it('reads the pod UID back from either spelling', () => {
    expect(podUidOfCgroup('pod1234-abcd')).toBe('1234-abcd');
    expect(podUidOfCgroup('kubepods-burstable-pod1234_abcd.slice')).toBe('1234-abcd');
    expect(podUidOfCgroup('burstable')).toBeUndefined();
  });
});
