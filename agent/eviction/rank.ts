// Pure: the kubelet's eviction ranking (helpers.go rankMemoryPressure, rankDiskPressureFunc,
// rankPIDPressure), first = evicted first. Pods without stats go first, as upstream.
import type { Signal } from './thresholds.js';
import { podPriority, podRequest, type EvictionPod, type PodUsage } from './pods.js';

/** Which parts of a pod's disk usage count for a signal (fsStatsType). */
export interface DiskParts {
  readonly rootfs: boolean;
  readonly logs: boolean;
  readonly localVolumes: boolean;
}

/**
 * buildSignalToRankFunc for Docker (no split containerfs): with a dedicated imagefs, nodefs
 * counts logs and local volumes, imagefs the writable layers; on one filesystem both count all.
 */
export function diskPartsFor(signal: Signal, dedicatedImageFs: boolean): DiskParts {
  if (!dedicatedImageFs) return { rootfs: true, logs: true, localVolumes: true };
  if (signal.startsWith('imagefs.')) return { rootfs: true, logs: false, localVolumes: false };
  return { rootfs: false, logs: true, localVolumes: true };
}

/** localVolumeNames: hostPath and local ephemeral volumes (emptyDir not of medium Memory, configMap, secret, downwardAPI, gitRepo). */
export function localVolumeNames(p: EvictionPod): string[] {
  return (p.pod.spec?.volumes ?? [])
    .filter((v) => v.hostPath !== undefined || (v.emptyDir !== undefined && v.emptyDir.medium !== 'Memory') || v.configMap !== undefined || v.secret !== undefined || v.downwardAPI !== undefined || v.gitRepo !== undefined)
    .map((v) => v.name);
}

/** podDiskUsage for the parts that count. */
export function podDiskUsage(p: EvictionPod, u: PodUsage, parts: DiskParts): number {
  let sum = 0;
  for (const c of u.containers) sum += (parts.rootfs ? (c.rootfsBytes ?? 0) : 0) + (parts.logs ? (c.logsBytes ?? 0) : 0);
  if (parts.localVolumes) for (const name of localVolumeNames(p)) sum += u.volumes.get(name) ?? 0;
  return sum;
}

function podMemory(u: PodUsage): number {
  return u.containers.reduce((s, c) => s + (c.workingSetBytes ?? 0), 0);
}

type Cmp = (a: EvictionPod, b: EvictionPod) => number;

/** cmpBool: true first. */
function cmpBool(a: boolean, b: boolean): number {
  return a === b ? 0 : a ? -1 : 1;
}

function withStats(stats: ReadonlyMap<string, PodUsage>, f: (a: EvictionPod, ua: PodUsage, b: EvictionPod, ub: PodUsage) => number): Cmp {
  return (a, b) => {
    const ua = stats.get(a.uid);
    const ub = stats.get(b.uid);
    if (!ua || !ub) return cmpBool(!ua, !ub);
    return f(a, ua, b, ub);
  };
}

const byPriority: Cmp = (a, b) => Math.sign(podPriority(a.pod) - podPriority(b.pod));

function orderedBy(pods: readonly EvictionPod[], cmps: readonly Cmp[]): EvictionPod[] {
  return [...pods].sort((a, b) => {
    for (const c of cmps) {
      const r = c(a, b);
      if (r !== 0) return r;
    }
    return 0;
  });
}

export function rankMemoryPressure(pods: readonly EvictionPod[], stats: ReadonlyMap<string, PodUsage>): EvictionPod[] {
  const exceeds = withStats(stats, (a, ua, b, ub) => cmpBool(podMemory(ua) > podRequest(a.pod, 'memory'), podMemory(ub) > podRequest(b.pod, 'memory')));
  const usage = withStats(stats, (a, ua, b, ub) => Math.sign(podMemory(ub) - podRequest(b.pod, 'memory') - (podMemory(ua) - podRequest(a.pod, 'memory'))));
  return orderedBy(pods, [exceeds, byPriority, usage]);
}

export function rankDiskPressure(pods: readonly EvictionPod[], stats: ReadonlyMap<string, PodUsage>, parts: DiskParts): EvictionPod[] {
  const req = (p: EvictionPod): number => podRequest(p.pod, 'ephemeral-storage');
  const exceeds = withStats(stats, (a, ua, b, ub) => cmpBool(podDiskUsage(a, ua, parts) > req(a), podDiskUsage(b, ub, parts) > req(b)));
  const usage = withStats(stats, (a, ua, b, ub) => Math.sign(podDiskUsage(b, ub, parts) - req(b) - (podDiskUsage(a, ua, parts) - req(a))));
  return orderedBy(pods, [exceeds, byPriority, usage]);
}

export function rankPidPressure(pods: readonly EvictionPod[], stats: ReadonlyMap<string, PodUsage>): EvictionPod[] {
  const processes = withStats(stats, (_a, ua, _b, ub) => Math.sign((ub.processes ?? 0) - (ua.processes ?? 0)));
  return orderedBy(pods, [byPriority, processes]);
}

export function rankFor(signal: Signal, pods: readonly EvictionPod[], stats: ReadonlyMap<string, PodUsage>, dedicatedImageFs: boolean): EvictionPod[] {
  if (signal === 'memory.available') return rankMemoryPressure(pods, stats);
  if (signal === 'pid.available') return rankPidPressure(pods, stats);
  return rankDiskPressure(pods, stats, diskPartsFor(signal, dedicatedImageFs));
}
