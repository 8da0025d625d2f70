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
  /** nodelet's state (seccomp profiles); pods an older nodelet started keep <stateDir>/pods/<uid>. */
  readonly stateDir: string;
  /**
   * kubelet's --root-dir: emptyDirs live under <rootDir>/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>,
   * as CSI node plugins (which mount <rootDir>/pods with Bidirectional propagation) expect.
   * Unset: stateDir (the layout before rootDir existed).
   */
  readonly rootDir?: string;
  /**
   * UIDs of pods an older nodelet started with their directory in <stateDir>/pods: their running
   * containers bind that path, so restarts and cleanup keep using it. The executor drops a UID
   * once its directory is removed, so a pod created again gets the new layout.
   */
  readonly legacyPodUids?: Set<string>;
  /** Docker network of non-hostNetwork sandboxes: 'bridge' | 'none' | a network name. */
  readonly podNetwork: string;
  /** e.g. registry.k8s.io/pause:3.10 */
  readonly podInfraImage: string;
  /** The machine's memory (cadvisor's MemoryCapacity): the Burstable OOM score formula. Default: nodeAllocatable.memoryBytes. */
  readonly memoryCapacityBytes?: number;
  /** The lowest oom_score_adj the engine may set (qos/oom-score.ts restrictOomScoreAdj); unset = any. */
  readonly minOomScoreAdj?: number;
  /** For resourceFieldRef `limits.*` without a limit, and emptyDir medium Memory sizing. */
  readonly nodeAllocatable: NodeAllocatable;
  /** Cluster domain of pod subdomains and ClusterFirst searches; default cluster.local. */
  readonly clusterDomain?: string;
  /** Cluster DNS servers; without them ClusterFirst behaves like Default, as in kubelet. */
  readonly clusterDns?: readonly string[];
  /** The host's resolv.conf when known; otherwise `Default` DNS is left to Docker (which copies it). */
  readonly hostDns?: DnsSettings;
}
