// The Node object nodelet registers and the status it reports, built the way kubelet's
// initialNode and node status setters build them (pkg/kubelet/kubelet_node_status.go,
// pkg/kubelet/nodestatus/setters.go). Pure: host facts and health in, objects and patches out.
import type { ContainerImage, Node, NodeCondition, NodeStatus, Taint } from 'kubernetes-types/core/v1.js';
import { canonicalJson } from '../core/hash.js';
import type { FileStatus } from '../core/types.js';
import { apiTime } from '../core/time-format.js';
import { canonicalQuantity } from '../manifest/quantity.js';

import { DEFAULT_RESERVATION, formatResource, nodeAllocatable, nodeCapacity, type NodeReservation } from '../qos/allocatable.js';

/** What the host is, read once (and refreshed) by an adapter (host-facts.ts). */
export interface NodeFacts {
  readonly hostname: string;
  readonly internalIPs: readonly string[];
  readonly cpuCount: number;
  readonly memoryBytes: number;
  /** Size of the filesystem holding the state directory (kubelet's nodefs), when known. */
  readonly ephemeralStorageBytes?: number;
  readonly maxPods: number;
  /** systemReserved, kubeReserved, evictionHard: what allocatable leaves out (kubelet defaults when unset). */
  readonly reservation?: NodeReservation;
  readonly kernelVersion: string;
  readonly osImage: string;
  /** runtime.GOOS (`linux`). */
  readonly operatingSystem: string;
  /** runtime.GOARCH (`amd64`, `arm64`). */
  readonly architecture: string;
  /** `docker://<engine version>`. */
  readonly containerRuntimeVersion: string;
  /** nodelet's version, in nodeInfo.kubeletVersion (the VERSION column of `kubectl get nodes`). */
  readonly kubeletVersion: string;
  readonly machineID: string;
  readonly systemUUID: string;
  readonly bootID: string;
  /** Port of the kubelet endpoint (status.daemonEndpoints.kubeletEndpoint.Port); absent when it is off. */
  readonly kubeletPort?: number;
}

/** What the node's conditions say. */
export interface NodeHealth {
  readonly runtimeReady: boolean;
  readonly memoryPressure: boolean;
  readonly diskPressure: boolean;
  readonly pidPressure: boolean;
  /** Manifest trust (manifestHealth); without it there is no InsecureManifests condition. */
  readonly manifests?: ManifestHealth;
  /** The node shutdown manager's error (`node is shutting down`): Ready is False meanwhile. */
  readonly shutdown?: string | undefined;
}

/** Manifest files the source refuses for their owner or mode (or a directory on their path). */
export interface ManifestHealth {
  readonly refusedFiles: number;
  /** The first refusal's problem (for a refused directory, every file has the same one). */
  readonly problem?: string;
}

/**
 * nodelet's own condition, in node-problem-detector's style (a problem type, True while the
 * problem lasts): manifests are refused because someone other than root or the agent's user could
 * write them, and the pods they ran are kept on their last trusted version meanwhile.
 */
export const INSECURE_MANIFESTS_CONDITION = 'InsecureManifests';

export function manifestHealth(files: readonly FileStatus[]): ManifestHealth {
  const refused = files.filter((f) => f.state === 'refused');
  const problem = refused[0]?.errors[0]?.message;
  return { refusedFiles: refused.length, ...(problem === undefined ? {} : { problem }) };
}

function manifestsCondition(m: ManifestHealth, now: string, previous: readonly NodeCondition[] | undefined): NodeCondition {
  if (m.refusedFiles === 0) return condition(INSECURE_MANIFESTS_CONDITION, 'False', 'ManifestsTrusted', 'every manifest file is trusted', now, previous);
  const files = `${m.refusedFiles} manifest file${m.refusedFiles === 1 ? '' : 's'}`;
  return condition(INSECURE_MANIFESTS_CONDITION, 'True', 'ManifestsRefused', `${files} refused, running pods kept: ${m.problem ?? 'insecure owner or mode'}`, now, previous);
}

export interface NodeIdentityInput {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
}


// Condition reasons and messages from nodestatus/setters.go.
const CONDITIONS = {
  MemoryPressure: {
    true: ['KubeletHasInsufficientMemory', 'kubelet has insufficient memory available'],
    false: ['KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
  },
  DiskPressure: {
    true: ['KubeletHasDiskPressure', 'kubelet has disk pressure'],
    false: ['KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
  },
  PIDPressure: {
    true: ['KubeletHasInsufficientPID', 'kubelet has insufficient PID available'],
    false: ['KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
  },
} as const;

/** Labels a node identity may set on its own Node (NodeRestriction + kubeletapis.IsKubeletLabel). */
const KUBELET_LABELS: ReadonlySet<string> = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/instance-type',
  'kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.kubernetes.io/zone',
  'failure-domain.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

function labelNamespace(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

function inNamespace(ns: string, domain: string): boolean {
  return ns === domain || ns.endsWith(`.${domain}`);
}

/** True when NodeRestriction lets a node set this label on itself. */
export function isNodeSettableLabel(key: string): boolean {
  const ns = labelNamespace(key);
  if (inNamespace(ns, 'node-restriction.kubernetes.io')) return false;
  const kubernetesLabel = inNamespace(ns, 'kubernetes.io') || inNamespace(ns, 'k8s.io');
  if (!kubernetesLabel) return true;
  return KUBELET_LABELS.has(key) || KUBELET_LABEL_NAMESPACES.some((d) => inNamespace(ns, d));
}

/** Splits labels into those the node may register with and those the API server would refuse. */
export function partitionNodeLabels(labels: Readonly<Record<string, string>>): { allowed: Record<string, string>; forbidden: string[] } {
  const allowed: Record<string, string> = {};
  const forbidden: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (isNodeSettableLabel(k)) allowed[k] = v;
    else forbidden.push(k);
  }
  return { allowed, forbidden: forbidden.sort() };
}

/** kubelet's automatic labels plus the configured ones (the configured ones win, as --node-labels do). */
export function nodeLabels(nodeName: string, facts: NodeFacts, configured: Readonly<Record<string, string>>): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': facts.architecture,
    'beta.kubernetes.io/os': facts.operatingSystem,
    'kubernetes.io/arch': facts.architecture,
    // kubelet: the label is the hostname, the same value as the Hostname address.
    'kubernetes.io/hostname': facts.hostname || nodeName,
    'kubernetes.io/os': facts.operatingSystem,
    ...configured,
  };
}

function condition(type: string, status: 'True' | 'False', reason: string, message: string, now: string, previous: readonly NodeCondition[] | undefined): NodeCondition {
  const prev = previous?.find((c) => c.type === type);
  const lastTransitionTime = prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
  return { type, status, lastHeartbeatTime: now, lastTransitionTime, reason, message };
}

/** Conditions in kubelet's order; lastTransitionTime moves only when a status flips. */
export function nodeConditions(health: NodeHealth, now: number, previous?: readonly NodeCondition[]): NodeCondition[] {
  const t = apiTime(now);
  const pressure = (type: keyof typeof CONDITIONS, on: boolean): NodeCondition => {
    const [reason, message] = CONDITIONS[type][on ? 'true' : 'false'];
    return condition(type, on ? 'True' : 'False', reason, message, t, previous);
  };
  // ReadyCondition: the errors of the runtime and of the node shutdown manager, aggregated as
  // utilerrors.NewAggregate prints them (one: its text; more: "[a, b]").
  const errors = [...(health.runtimeReady ? [] : ['container runtime is down']), ...(health.shutdown ? [health.shutdown] : [])];
  const ready =
    errors.length === 0
      ? condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', t, previous)
      : condition('Ready', 'False', 'KubeletNotReady', errors.length === 1 ? (errors[0] ?? '') : `[${errors.join(', ')}]`, t, previous);
  const own = health.manifests === undefined ? [] : [manifestsCondition(health.manifests, t, previous)];
  return [pressure('MemoryPressure', health.memoryPressure), pressure('DiskPressure', health.diskPressure), pressure('PIDPressure', health.pidPressure), ready, ...own];
}

function kibibytes(bytes: number): string {
  return `${Math.floor(bytes / 1024)}Ki`;
}

export function nodeStatus(facts: NodeFacts, health: NodeHealth, now: number, previous?: NodeStatus, images?: readonly ContainerImage[]): NodeStatus {
  const status = nodeStatusWith(facts, nodeConditions(health, now, previous?.conditions));
  return images === undefined ? status : { ...status, images: [...images] };
}

/** nodestatus.Images: at most this many images (nodeStatusMaxImages) ... */
export const MAX_NODE_STATUS_IMAGES = 50;
/** ... with at most this many names each (MaxNamesPerImageInNodeStatus). */
export const MAX_NAMES_PER_IMAGE = 5;

/**
 * status.images as the kubelet builds it: the image list sorted by size, largest first
 * (the image manager's ByImageSize), the first 50, each with its repo digests then its tags
 * (at most 5 names) and its size.
 */
export function nodeImages(images: readonly { readonly sizeBytes: number; readonly repoTags: readonly string[]; readonly repoDigests?: readonly string[] }[]): ContainerImage[] {
  return [...images]
    .sort((a, b) => b.sizeBytes - a.sizeBytes)
    .slice(0, MAX_NODE_STATUS_IMAGES)
    .map((i) => ({ names: [...(i.repoDigests ?? []), ...i.repoTags].slice(0, MAX_NAMES_PER_IMAGE), sizeBytes: i.sizeBytes }));
}

/** The node status with conditions kept elsewhere (node-conditions.ts: the local view's). */
export function nodeStatusWith(facts: NodeFacts, conditions: NodeCondition[]): NodeStatus {
  const capacity: Record<string, string> = {
    cpu: String(facts.cpuCount),
    memory: kibibytes(facts.memoryBytes),
    pods: String(facts.maxPods),
  };
  if (facts.ephemeralStorageBytes !== undefined) capacity['ephemeral-storage'] = kibibytes(facts.ephemeralStorageBytes);
  // capacity − kubeReserved − systemReserved − the hard eviction thresholds (qos/allocatable.ts).
  const allocatable: Record<string, string> = {};
  for (const [name, nano] of nodeAllocatable(nodeCapacity(facts), facts.reservation ?? DEFAULT_RESERVATION)) allocatable[name] = formatResource(name, nano);
  return {
    capacity,
    allocatable,
    conditions,
    addresses: [...facts.internalIPs.map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: facts.hostname }],
    ...(facts.kubeletPort !== undefined ? { daemonEndpoints: { kubeletEndpoint: { Port: facts.kubeletPort } } } : {}),
    nodeInfo: {
      machineID: facts.machineID,
      systemUUID: facts.systemUUID,
      bootID: facts.bootID,
      kernelVersion: facts.kernelVersion,
      osImage: facts.osImage,
      containerRuntimeVersion: facts.containerRuntimeVersion,
      kubeletVersion: facts.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: facts.operatingSystem,
      architecture: facts.architecture,
    },
  };
}

/** The Node nodelet registers (POST /api/v1/nodes): name, settable labels, taints, status. */
export function nodeObject(identity: NodeIdentityInput, status: NodeStatus): Node {
  const taints = identity.taints.map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect }));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: identity.name, labels: partitionNodeLabels(identity.labels).allowed },
    spec: taints.length > 0 ? { taints } : {},
    status,
  };
}

/**
 * nodeStatusHasChanged, for the fields nodelet sets: a condition it owns changing status,
 * reason or message (heartbeat times do not count), an address, a capacity or allocatable
 * value, nodeInfo. `current` is the Node's status in the API server, which may carry fields
 * other writers set (images, volumes, other conditions): those are not compared. After an
 * outage the node lifecycle controller has set Ready to Unknown, so this reports a change
 * and the status is patched at once.
 */
function canonicalQuantities(list: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(list).map(([k, v]) => [k, v === undefined ? v : (canonicalQuantity(v) ?? v)]));
}

export function nodeStatusChanged(current: NodeStatus | undefined, next: NodeStatus): boolean {
  if (!current) return true;
  const owned = new Set((next.conditions ?? []).map((c) => c.type));
  const conditions = (s: NodeStatus): unknown =>
    (s.conditions ?? [])
      .filter((c) => owned.has(c.type))
      .map(({ lastHeartbeatTime: _h, ...rest }) => rest)
      .sort((a, b) => a.type.localeCompare(b.type));
  const pick = (from: Record<string, string> | undefined, keys: Record<string, string> | undefined): Record<string, string | undefined> =>
    Object.fromEntries(Object.keys(keys ?? {}).map((k) => [k, from?.[k]]));
  const project = (s: NodeStatus): unknown => ({
    conditions: conditions(s),
    addresses: s.addresses ?? [],
    ...(next.daemonEndpoints === undefined ? {} : { daemonEndpoints: s.daemonEndpoints?.kubeletEndpoint?.Port ?? 0 }),
    // The API server stores a quantity in its canonical form (`8Gi` for `8388608Ki`): compare values.
    capacity: canonicalQuantities(pick(s.capacity, next.capacity)),
    allocatable: canonicalQuantities(pick(s.allocatable, next.allocatable)),
    nodeInfo: pick(s.nodeInfo as unknown as Record<string, string> | undefined, next.nodeInfo as unknown as Record<string, string> | undefined),
    ...(next.images === undefined ? {} : { images: s.images ?? [] }),
  });
  return canonicalJson(project(current)) !== canonicalJson(project(next));
}

/**
 * Strategic merge patch for nodes/<name>/status. Conditions merge by type; addresses are
 * annotated `patchStrategy:merge` on `type` although a node has several InternalIPs, so, like
 * kubelet's fixupPatchForNodeStatusAddresses, the list carries a `$patch: replace` directive.
 */
export function nodeStatusPatch(status: NodeStatus): { status: Record<string, unknown> } {
  return { status: { ...status, addresses: [...(status.addresses ?? []), { $patch: 'replace' }] } };
}

/** Taints as a comparable string (the API keeps timeAdded only for NoExecute taints set by controllers). */
export function taintsKey(taints: readonly Taint[] | undefined): string {
  return canonicalJson((taints ?? []).map((t) => ({ key: t.key, value: t.value ?? '', effect: t.effect })).sort((a, b) => `${a.key}:${a.effect}`.localeCompare(`${b.key}:${b.effect}`)));
}

/**
 * Label changes nodelet may make on an existing Node: set what it wants, remove what it
 * set earlier and no longer wants. Labels others put on the node are left alone. Returns
 * undefined when nothing needs to change.
 */
export function nodeLabelPatch(
  current: Readonly<Record<string, string>>,
  desired: Readonly<Record<string, string>>,
  previouslyApplied: Readonly<Record<string, string>>,
): Record<string, string | null> | undefined {
  const patch: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(desired)) if (current[k] !== v) patch[k] = v;
  for (const k of Object.keys(previouslyApplied)) if (!(k in desired) && k in current) patch[k] = null;
  return Object.keys(patch).length > 0 ? patch : undefined;
}
