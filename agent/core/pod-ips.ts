// The pod's IPs, as the kubelet derives them from the runtime (k/k kuberuntime_sandbox.go
// determinePodSandboxIPs, kuberuntime_manager.go GetPodStatus, kubelet_pods.go sortPodIPs;
// cri-dockerd core/sandbox_helpers.go getIPs). Pure: the IPs are read once per sandbox, when
// the Docker adapter inspects it (after its start, or when an agent restart adopts it), and
// travel on the observed sandbox; every status pass, probe and env value derives them from it.
import { isIP } from 'node:net';
import { newestInstanceFirst, type ObservedContainer, type ObservedPod } from './runtime-types.js';

/**
 * Whether a sandbox on Docker network mode `networkMode` must have an IP of its own: every
 * network but the host's, `none` (loopback only, on purpose) and another container's. Unknown
 * (undefined) is not judged.
 */
export function sandboxNeedsIP(networkMode: string | undefined): boolean {
  if (networkMode === undefined || networkMode === '' || networkMode === 'host' || networkMode === 'none') return false;
  return !networkMode.startsWith('container:');
}

/**
 * sortPodIPs with IPv4 as the node's primary family: the first IPv4 address, then the first
 * IPv6 one; at most two. determinePodSandboxIPs: one address that does not parse makes the
 * whole list empty.
 */
export function sortPodIPs(ips: readonly string[]): string[] {
  if (ips.some((ip) => isIP(ip) === 0)) return [];
  const v4 = ips.find((ip) => isIP(ip) === 4);
  const v6 = ips.find((ip) => isIP(ip) === 6);
  return [v4, v6].filter((ip): ip is string => ip !== undefined);
}

/** The sandbox's network could not give it an address: kubelet recreates such a sandbox. */
export function sandboxLacksIP(sandbox: Pick<ObservedContainer, 'networkMode' | 'ips'>): boolean {
  return sandboxNeedsIP(sandbox.networkMode) && (sandbox.ips ?? []).length === 0;
}

/**
 * status.podIPs of a pod that is not hostNetwork: the IPs of its newest sandbox, only while it
 * runs (kubelet reads them from the newest sandbox, only while it is READY).
 */
export function podIPsOf(observed: ObservedPod | undefined): string[] {
  const newest = [...(observed?.sandboxes ?? [])].sort(newestInstanceFirst)[0];
  if (!newest || newest.state !== 'running') return [];
  return sortPodIPs(newest.ips ?? []);
}
