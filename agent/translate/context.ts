// What every translation needs to know about the node: the input types of translate/, kept
// apart from container-spec.ts and sandbox-spec.ts so that neither imports the other.
import type { NodeAllocatable } from './env.js';

/** A resolv.conf's three lists (nameserver, search, options). */
export interface DnsSettings {
  readonly servers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[];
}

export interface TranslateContext {
  readonly nodeName: string;
  /** Node IPs (status.hostIP(s)). */
  readonly hostIPs: readonly string[];
  /** Pod IPs ([] when unknown, e.g. network none); hostNetwork pods fall back to hostIPs. */
  readonly podIPs: readonly string[];
  /** emptyDirs live under <stateDir>/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>. */
  readonly stateDir: string;
  /** Docker network of non-hostNetwork sandboxes: 'bridge' | 'none' | a network name. */
  readonly podNetwork: string;
  /** e.g. registry.k8s.io/pause:3.10 */
  readonly podInfraImage: string;
  /** For resourceFieldRef `limits.*` without a limit, and emptyDir medium Memory sizing. */
  readonly nodeAllocatable: NodeAllocatable;
  /** Cluster domain of pod subdomains and ClusterFirst searches; default cluster.local. */
  readonly clusterDomain?: string;
  /** Cluster DNS servers; without them ClusterFirst behaves like Default, as in kubelet. */
  readonly clusterDns?: readonly string[];
  /** The host's resolv.conf when known; otherwise `Default` DNS is left to Docker (which copies it). */
  readonly hostDns?: DnsSettings;
}
