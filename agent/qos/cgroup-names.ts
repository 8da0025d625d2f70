// Cgroup names of the QoS hierarchy for both cgroup drivers (pkg/kubelet/cm
// cgroup_manager_linux.go CgroupName / ToCgroupfs / ToSystemd / ExpandSlice,
// qos_container_manager_linux.go, pod_container_manager_linux.go GetPodContainerName) and the
// HostConfig.CgroupParent cri-dockerd hands to Docker (GenerateExpectedCgroupParent: the leaf
// slice with systemd, the path with cgroupfs). Pure.
import type { QosClass } from './qos-class.js';

export type CgroupDriver = 'cgroupfs' | 'systemd';

/** An internal cgroup name: its components, outermost first (`['kubepods', 'burstable', 'pod<uid>']`). */
export type CgroupName = readonly string[];

export const KUBEPODS = 'kubepods';
export const BURSTABLE = 'burstable';
export const BEST_EFFORT = 'besteffort';
const SYSTEMD_SUFFIX = '.slice';

/** ParseCgroupfsToCgroupName of the kubelet's --cgroup-root ("/" = none). */
export function parseCgroupRoot(cgroupRoot: string): CgroupName {
  return cgroupRoot.split('/').filter((c) => c !== '');
}

/** The node allocatable cgroup: <cgroupRoot>/kubepods. */
export function kubepodsName(cgroupRoot: string): CgroupName {
  return [...parseCgroupRoot(cgroupRoot), KUBEPODS];
}

/** The QoS parent of a class: kubepods itself for Guaranteed. */
export function qosCgroupName(cgroupRoot: string, qos: QosClass): CgroupName {
  const base = kubepodsName(cgroupRoot);
  if (qos === 'Burstable') return [...base, BURSTABLE];
  if (qos === 'BestEffort') return [...base, BEST_EFFORT];
  return base;
}

/** GetPodContainerName: pod<uid> under its QoS parent. */
export function podCgroupName(cgroupRoot: string, qos: QosClass, uid: string): CgroupName {
  return [...qosCgroupName(cgroupRoot, qos), `pod${uid}`];
}

/** ToCgroupfs: `/a/b/c`. */
export function toCgroupfs(name: CgroupName): string {
  return `/${name.join('/')}`;
}

/** escapeSystemdCgroupName: a `-` inside a component becomes `_`. */
function escapeSystemd(part: string): string {
  return part.replace(/-/g, '_');
}

/** The leaf slice unit of `name` with the systemd driver: `kubepods-burstable-pod<uid_>.slice`. */
export function toSystemdSlice(name: CgroupName): string {
  if (name.length === 0) return '-.slice';
  return `${name.map(escapeSystemd).join('-')}${SYSTEMD_SUFFIX}`;
}

/**
 * ExpandSlice: the slice's path in the hierarchy, each ancestor slice a directory
 * (`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice`).
 */
export function expandSlice(slice: string): string {
  const base = slice.slice(0, -SYSTEMD_SUFFIX.length);
  if (base === '-') return '/';
  const parts = base.split('-');
  let prefix = '';
  let path = '';
  for (const part of parts) {
    prefix = prefix === '' ? part : `${prefix}-${part}`;
    path += `/${prefix}${SYSTEMD_SUFFIX}`;
  }
  return path;
}

/** The cgroup's path relative to a controller's mount point, in the driver's form. */
export function cgroupPath(name: CgroupName, driver: CgroupDriver): string {
  return driver === 'systemd' ? expandSlice(toSystemdSlice(name)) : toCgroupfs(name);
}

/** HostConfig.CgroupParent for Docker: the path (cgroupfs) or the leaf slice (systemd). */
export function dockerCgroupParent(name: CgroupName, driver: CgroupDriver): string {
  return driver === 'systemd' ? toSystemdSlice(name) : toCgroupfs(name);
}

/** The pod UID of a `pod<uid>` component (either driver's spelling), or undefined. */
export function podUidOfCgroup(component: string): string | undefined {
  const base = component.endsWith(SYSTEMD_SUFFIX) ? component.slice(0, -SYSTEMD_SUFFIX.length).split('-').pop() : component;
  return base !== undefined && base.startsWith('pod') && base.length > 3 ? base.slice(3).replace(/_/g, '-') : undefined;
}
