// The pod sandbox ("pause" container) that holds the pod's network, IPC and UTS namespaces
// (k/k kuberuntime_sandbox.go generatePodSandboxConfig / generatePodSandboxLinuxConfig,
// kubelet_pods.go GeneratePodHostNameAndDomain, pkg/kubelet/network/dns/dns.go GetPodDNS;
// cri-dockerd core/sandbox_helpers.go makeSandboxDockerConfig, libdocker MakePortsAndBindings).
import type { Pod, PodDNSConfig } from 'kubernetes-types/core/v1.js';
import type { DesiredPod } from '../core/types.js';
import type { ContainerSpec, NamespaceSpec, PortBinding } from '../core/runtime-types.js';
import { dockerContainerName, SANDBOX_CONTAINER_NAME, toIdentityLabels } from '../core/labels.js';
import { hashObject } from '../core/hash.js';
import { MIN_CPU_SHARES } from './resources.js';
import { restrictOomScoreAdj, SANDBOX_OOM_SCORE_ADJ } from '../qos/oom-score.js';
import { toSandboxSecurity } from './security.js';
import type { DnsSettings, TranslateContext } from './context.js';

/** cri-dockerd defaultSandboxGracePeriod. */
export const SANDBOX_STOP_TIMEOUT_SECONDS = 10;
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** cri-dockerd/CRI labels carry annotations as Docker labels with this prefix. */
export const ANNOTATION_LABEL_PREFIX = 'annotation.';

const HOSTNAME_MAX_LENGTH = 63;
/** The kernel's limit for a hostname (util.GetNodenameForKernel). */
const KERNEL_HOSTNAME_MAX_LENGTH = 64;
const MAX_DNS_NAMESERVERS = 3;
const MAX_DNS_SEARCH_PATHS = 32;
const MAX_DNS_SEARCH_LIST_CHARS = 2048;
const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;


/** truncatePodHostnameIfNeeded: 63 characters, without a trailing '-' or '.'. */
export function truncateHostname(hostname: string): string {
  if (hostname.length <= HOSTNAME_MAX_LENGTH) return hostname;
  return hostname.slice(0, HOSTNAME_MAX_LENGTH).replace(/[-.]+$/, '');
}

/**
 * GeneratePodHostNameAndDomain (+ GetNodenameForKernel): hostname = spec.hostname or the pod
 * name, domain `<subdomain>.<namespace>.svc.<clusterDomain>` when a subdomain is set;
 * setHostnameAsFQDN makes the hostname the FQDN (kept short when the FQDN exceeds 64 chars,
 * where kubelet would fail the sandbox).
 */
export function podHostnameAndDomain(pod: Pod, clusterDomain: string): { hostname: string; domain?: string } {
  const spec = pod.spec;
  const hostname = truncateHostname(spec?.hostname || (pod.metadata?.name ?? ''));
  const domain = spec?.subdomain ? `${spec.subdomain}.${pod.metadata?.namespace ?? ''}.svc.${clusterDomain}` : undefined;
  if (domain && spec?.setHostnameAsFQDN) {
    const fqdn = `${hostname}.${domain}`;
    if (fqdn.length <= KERNEL_HOSTNAME_MAX_LENGTH) return { hostname: fqdn };
  }
  return domain ? { hostname, domain } : { hostname };
}

function omitDuplicates(items: readonly string[]): string[] {
  return [...new Set(items)];
}

/** mergeDNSOptions: `name[:value]`, dnsConfig entries replace same-name ones, first position kept. */
function mergeDnsOptions(existing: readonly string[], extra: PodDNSConfig['options']): string[] {
  const options = new Map<string, string>();
  for (const op of existing) {
    const i = op.indexOf(':');
    if (i === -1) options.set(op, '');
    else options.set(op.slice(0, i), op.slice(i + 1));
  }
  for (const op of extra ?? []) options.set(op.name ?? '', op.value ?? '');
  return [...options].map(([name, value]) => (value === '' ? name : `${name}:${value}`));
}

/** formDNSSearchFitsLimits. */
function fitSearches(searches: readonly string[]): string[] {
  let composed = searches.slice(0, MAX_DNS_SEARCH_PATHS).filter((s) => s.length <= DNS1123_SUBDOMAIN_MAX_LENGTH);
  let lineLength = composed.join(' ').length;
  while (lineLength > MAX_DNS_SEARCH_LIST_CHARS && composed.length > 0) {
    lineLength -= (composed[composed.length - 1]?.length ?? 0) + 1;
    composed = composed.slice(0, -1);
  }
  return composed;
}

/**
 * GetPodDNS. `undefined` = leave resolv.conf to Docker (the host's, which is kubelet's
 * `Default`) because the host's settings are not known here. ClusterFirst without cluster DNS
 * servers falls back to Default, as kubelet does (event MissingClusterDNS); ClusterFirst on the
 * host network is Default; ClusterFirstWithHostNet is ClusterFirst; None uses dnsConfig only.
 */
export function podDns(pod: Pod, ctx: Pick<TranslateContext, 'clusterDns' | 'clusterDomain' | 'hostDns'>): DnsSettings | undefined {
  const spec = pod.spec;
  const policy = spec?.dnsPolicy ?? 'ClusterFirst';
  const hostNetwork = spec?.hostNetwork === true;
  let kind: 'none' | 'cluster' | 'host';
  if (policy === 'None') kind = 'none';
  else if (policy === 'Default' || (policy === 'ClusterFirst' && hostNetwork)) kind = 'host';
  else kind = 'cluster';
  const host = ctx.hostDns;
  let base: DnsSettings | undefined;
  if (kind === 'none') {
    base = { servers: [], searches: [], options: [] };
  } else if (kind === 'cluster' && ctx.clusterDns && ctx.clusterDns.length > 0) {
    const domain = ctx.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    const namespace = pod.metadata?.namespace ?? '';
    const clusterSearch = domain === '' ? [] : [`${namespace}.svc.${domain}`, `svc.${domain}`, domain];
    base = { servers: [...ctx.clusterDns], searches: omitDuplicates([...clusterSearch, ...(host?.searches ?? [])]), options: ['ndots:5'] };
  } else {
    base = host ? { servers: [...host.servers], searches: [...host.searches], options: [...host.options] } : undefined;
  }
  const extra = spec?.dnsConfig;
  if (extra) {
    const from = base ?? { servers: [], searches: [], options: [] };
    base = {
      servers: omitDuplicates([...from.servers, ...(extra.nameservers ?? [])]),
      searches: omitDuplicates([...from.searches, ...(extra.searches ?? [])]),
      options: mergeDnsOptions(from.options, extra.options),
    };
  }
  if (!base) return undefined;
  return { servers: base.servers.slice(0, MAX_DNS_NAMESERVERS), searches: fitSearches(base.searches), options: base.options };
}

/**
 * Host ports of the pod's app containers (kubelet only looks at spec.containers), with
 * kubelet's MakePortMappings de-duplication per container and cri-dockerd's rule that only
 * ports with a hostPort are bound. None under hostNetwork: the host's ports are the pod's.
 */
export function podPortBindings(pod: Pod): PortBinding[] {
  if (pod.spec?.hostNetwork) return [];
  const bindings: PortBinding[] = [];
  for (const c of pod.spec?.containers ?? []) {
    const names = new Set<string>();
    for (const p of c.ports ?? []) {
      const protocol = p.protocol ?? 'TCP';
      const family = !p.hostIP ? 'any' : p.hostIP.includes(':') ? 'v6' : 'v4';
      const name = p.name || `${family}-${protocol}-${p.hostIP ?? ''}:${p.containerPort}:${p.hostPort ?? 0}`;
      if (names.has(name)) continue;
      names.add(name);
      if (!p.hostPort) continue;
      const lower = protocol.toLowerCase();
      bindings.push({
        containerPort: p.containerPort,
        protocol: lower === 'udp' || lower === 'sctp' ? lower : 'tcp',
        hostPort: p.hostPort,
        ...(p.hostIP ? { hostIP: p.hostIP } : {}),
      });
    }
  }
  return bindings;
}

/** `host:ip` entries for each hostAliases hostname. */
export function extraHosts(pod: Pod): string[] {
  return (pod.spec?.hostAliases ?? []).flatMap((a) => (a.hostnames ?? []).map((h) => `${h}:${a.ip ?? ''}`));
}

function sandboxNetwork(pod: Pod, podNetwork: string): NamespaceSpec['network'] {
  if (pod.spec?.hostNetwork || podNetwork === 'host') return { mode: 'host' };
  if (podNetwork === 'none') return { mode: 'none' };
  return { mode: 'network', name: podNetwork };
}

/** The sandbox's labels: the pod's labels, its annotations as `annotation.*`, then our identity. */
function sandboxLabels(pod: DesiredPod, ctx: TranslateContext, attempt: number, specHash: string): Record<string, string> {
  const labels: Record<string, string> = { ...(pod.pod.metadata?.labels ?? {}) };
  for (const [k, v] of Object.entries(pod.pod.metadata?.annotations ?? {})) labels[`${ANNOTATION_LABEL_PREFIX}${k}`] = v;
  return {
    ...labels,
    ...toIdentityLabels({
      node: ctx.nodeName,
      podUid: pod.uid,
      podName: pod.name,
      podNamespace: pod.namespace,
      container: SANDBOX_CONTAINER_NAME,
      role: 'sandbox',
      specHash,
      restartCount: attempt,
    }),
  };
}

/** The pause container of `pod`, attempt `attempt` (0 first, +1 per recreation). */
export function toSandboxSpec(pod: DesiredPod, attempt: number, ctx: TranslateContext): ContainerSpec {
  const spec = pod.pod.spec;
  const network = sandboxNetwork(pod.pod, ctx.podNetwork);
  // On the host network the pod has the node's hostname (kubelet sets none).
  const naming = network.mode === 'host' ? undefined : podHostnameAndDomain(pod.pod, ctx.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN);
  const dns = podDns(pod.pod, ctx);
  const body: Omit<ContainerSpec, 'labels'> = {
    dockerName: dockerContainerName(SANDBOX_CONTAINER_NAME, pod.name, pod.namespace, pod.uid, attempt),
    image: ctx.podInfraImage,
    env: [],
    tty: false,
    openStdin: false,
    stdinOnce: false,
    mounts: [],
    namespaces: {
      network,
      ipc: spec?.hostIPC ? 'host' : 'shareable',
      pid: spec?.hostPID ? 'host' : 'private',
    },
    portBindings: podPortBindings(pod.pod),
    ...(naming ? { hostname: naming.hostname } : {}),
    ...(naming?.domain ? { domainname: naming.domain } : {}),
    ...(dns ? { dns } : {}),
    extraHosts: extraHosts(pod.pod),
    resources: { cpuShares: MIN_CPU_SHARES },
    security: toSandboxSecurity(pod.pod),
    stopTimeout: SANDBOX_STOP_TIMEOUT_SECONDS,
  };
  // Stable per pod definition (the attempt in the name left out).
  const { dockerName: _attemptName, ...definition } = body;
  const specHash = hashObject(definition);
  // After the hash: a sandbox an older nodelet started (no OOM score) is not replaced for it.
  return { ...body, labels: sandboxLabels(pod, ctx, attempt, specHash), oomScoreAdj: restrictOomScoreAdj(SANDBOX_OOM_SCORE_ADJ, ctx.minOomScoreAdj) };
}
