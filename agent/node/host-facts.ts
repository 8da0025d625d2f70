// Reads what the Node object says about the host: CPUs, memory, the state directory's
// filesystem, OS and kernel, machine and boot ids. The pressure conditions come from the
// eviction manager (eviction/), not from here.
// Adapter: small synchronous reads of /proc, /etc and /sys, each allowed to fail.
import { readFileSync, statfsSync } from 'node:fs';
import { arch, cpus, hostname, platform, release, totalmem } from 'node:os';
import type { NodeFacts } from './node-status.js';
import { goArch, goOS } from './node-model.js';
import type { NodeReservation } from '../qos/allocatable.js';

export interface HostFactsOptions {
  /** nodeInfo.kubeletVersion, e.g. `v1.37.0+nodelet.0.1.0`. */
  readonly kubeletVersion: string;
  /**
   * The node's hostname: the Hostname address and the kubernetes.io/hostname label (the
   * kubelet's --hostname-override; nodelet's node name). The OS hostname when not given.
   */
  readonly hostname?: string;
  readonly internalIPs: readonly string[];
  /** The engine's version once known (Docker may come up after nodelet). */
  readonly dockerVersion: () => string | undefined;
  /** Its filesystem is kubelet's nodefs: ephemeral-storage capacity and DiskPressure. */
  readonly stateDir: string;
  readonly maxPods?: number;
  /** systemReserved, kubeReserved, evictionHard for allocatable (kubelet defaults when unset). */
  readonly reservation?: NodeReservation;
  /** The kubelet endpoint's port once it listens (status.daemonEndpoints); undefined when off. */
  readonly kubeletPort?: () => number | undefined;
}

function readTrimmed(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** PRETTY_NAME of /etc/os-release, as cadvisor reports osImage. */
export function osImageFrom(osRelease: string): string {
  const m = /^PRETTY_NAME=(.*)$/m.exec(osRelease);
  return m?.[1]?.replace(/^"(.*)"$/, '$1') ?? '';
}

function filesystem(path: string): { size: number; available: number } | undefined {
  try {
    const s = statfsSync(path);
    return { size: s.blocks * s.bsize, available: s.bavail * s.bsize };
  } catch {
    return undefined;
  }
}

/**
 * cadvisor's GetSystemUUID: the DMI product UUID (x86, arm64 with DMI), else the device-tree
 * system id (ppc64) or the KVM guest's vm,uuid; empty when none is readable (containers, VMs
 * without DMI), as the kubelet reports it.
 */
export function systemUuid(read: (path: string) => string): string {
  for (const path of ['/sys/class/dmi/id/product_uuid', '/proc/device-tree/system-id', '/proc/device-tree/vm,uuid']) {
    const v = read(path).replace(/\0/g, '').trim();
    if (v) return v.toLowerCase();
  }
  return '';
}

export interface HostFacts {
  facts(): NodeFacts;
}

export function hostFacts(opts: HostFactsOptions): HostFacts {
  const machineID = readTrimmed('/etc/machine-id');
  const systemUUID = systemUuid(readTrimmed);
  const bootID = readTrimmed('/proc/sys/kernel/random/boot_id');
  const osImage = osImageFrom(readTrimmed('/etc/os-release')) || 'Linux';
  return {
    facts: () => ({
      hostname: opts.hostname ?? hostname(),
      internalIPs: opts.internalIPs,
      cpuCount: cpus().length,
      memoryBytes: totalmem(),
      ephemeralStorageBytes: filesystem(opts.stateDir)?.size,
      maxPods: opts.maxPods ?? 110,
      ...(opts.reservation ? { reservation: opts.reservation } : {}),
      kernelVersion: release(),
      osImage,
      operatingSystem: goOS(platform()),
      architecture: goArch(arch()),
      containerRuntimeVersion: `docker://${opts.dockerVersion() ?? 'unknown'}`,
      kubeletVersion: opts.kubeletVersion,
      machineID,
      systemUUID,
      bootID,
      ...(opts.kubeletPort?.() !== undefined ? { kubeletPort: opts.kubeletPort() } : {}),
    }),
  };
}
