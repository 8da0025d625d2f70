// `kubectl describe node`, line for line as staging/src/k8s.io/kubectl/pkg/describe/describe.go
// writes it (NodeDescriber, describeNode, describeNodeResource, getPodsTotalRequestsAndLimits,
// DescribeEvents) with kubectl's pkg/util/resource.PodRequestsAndLimits, aligned by Go's
// tabwriter as tabbedString does. The Lease section is left out: the local API has no Lease
// (kubectl prints it from coordination.k8s.io). Pure.
import type { Container, Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { isSidecar } from '../../core/containers.js';
import type { NodeletEvent } from '../../events/event-store.js';
import { formatQuantity, parseQuantityStrict, type ParsedQuantity } from '../../manifest/quantity.js';
import { formatTaint, nodeRoles } from '../../node/node-model.js';
import { PrefixWriter, describeEvents, printAnnotationsMultiline, printLabelsMultiline } from './describe-blocks.js';
import { type DescribeOptions, formatRFC1123Z } from './describe-pod.js';
import { timestampSince } from './duration.js';
import type { CsiNodeDriver } from '../../plugins/registration.js';
import { KUBECTL_DESCRIBE, tabwrite } from './table.js';

/** Go's string order (bytes; the same as UTF-16 units for the ASCII names involved). */
function goCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * describeNode. `pods` may be every pod the agent knows: the node's non-terminated ones (bound
 * to it, phase neither Succeeded nor Failed) are picked out as the field selector picks them;
 * `events` are the node's.
 */
export function describeNode(node: Node, pods: readonly Pod[], events: readonly NodeletEvent[], now: number, opts: DescribeOptions = {}, csiDrivers: readonly CsiNodeDriver[] = []): string {
  const w = new PrefixWriter();
  const time = (iso: string | undefined): string => formatRFC1123Z(iso, opts.utcOffsetMinutes);
  const meta = node.metadata ?? {};
  const spec = node.spec ?? {};
  const status = node.status ?? {};
  const info = status.nodeInfo;

  w.write(0, `Name:\t${meta.name ?? ''}\n`);
  const roles = nodeRoles(meta.labels ?? {});
  w.write(0, `Roles:\t${roles.length > 0 ? roles.join(',') : '<none>'}\n`);
  printLabelsMultiline(w, 'Labels', meta.labels);
  printAnnotationsMultiline(w, 'Annotations', meta.annotations);
  w.write(0, `CreationTimestamp:\t${time(meta.creationTimestamp)}\n`);
  printNodeTaintsMultiline(w, 'Taints', spec.taints ?? []);
  w.write(0, `Unschedulable:\t${spec.unschedulable === true}\n`);

  const conditions = status.conditions ?? [];
  if (conditions.length > 0) {
    w.write(0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
    w.write(1, '----\t------\t-----------------\t------------------\t------\t-------\n');
    for (const c of conditions) {
      w.write(1, `${c.type} \t${c.status} \t${time(c.lastHeartbeatTime)} \t${time(c.lastTransitionTime)} \t${c.reason ?? ''} \t${c.message ?? ''}\n`);
    }
  }

  w.write(0, 'Addresses:\n');
  for (const a of status.addresses ?? []) w.write(1, `${a.type}:\t${a.address}\n`);

  const printResourceList = (list: Readonly<Record<string, string>>): void => {
    for (const name of Object.keys(list).sort(goCompare)) {
      const raw = list[name] ?? '';
      w.write(0, `  ${name}:\t${canonical(raw)}\n`);
    }
  };
  if (Object.keys(status.capacity ?? {}).length > 0) {
    w.write(0, 'Capacity:\n');
    printResourceList(status.capacity ?? {});
  }
  if (Object.keys(status.allocatable ?? {}).length > 0) {
    w.write(0, 'Allocatable:\n');
    printResourceList(status.allocatable ?? {});
  }

  w.write(0, 'System Info:\n');
  w.write(0, `  Machine ID:\t${info?.machineID ?? ''}\n`);
  w.write(0, `  System UUID:\t${info?.systemUUID ?? ''}\n`);
  w.write(0, `  Boot ID:\t${info?.bootID ?? ''}\n`);
  w.write(0, `  Kernel Version:\t${info?.kernelVersion ?? ''}\n`);
  w.write(0, `  OS Image:\t${info?.osImage ?? ''}\n`);
  w.write(0, `  Operating System:\t${info?.operatingSystem ?? ''}\n`);
  w.write(0, `  Architecture:\t${info?.architecture ?? ''}\n`);
  w.write(0, `  Container Runtime Version:\t${info?.containerRuntimeVersion ?? ''}\n`);
  w.write(0, `  Kubelet Version:\t${info?.kubeletVersion ?? ''}\n`);
  w.write(0, `  Kube-Proxy Version:\t${info?.kubeProxyVersion ?? ''}\n`);

  if (spec.podCIDR) w.write(0, `PodCIDR:\t${spec.podCIDR}\n`);
  if ((spec.podCIDRs ?? []).length > 0) w.write(0, `PodCIDRs:\t${(spec.podCIDRs ?? []).join(',')}\n`);
  if (spec.providerID) w.write(0, `ProviderID:\t${spec.providerID}\n`);
  describeCsiDrivers(csiDrivers, w);

  describeNodeResource(nonTerminatedPods(meta.name ?? '', pods), node, w, now);
  describeEvents(events, w, now);
  return tabwrite(w.text, KUBECTL_DESCRIBE);
}

/**
 * nodelet's own section: the node's CSINode drivers (kubectl shows them with `describe csinode`),
 * one row each with the node ID NodeGetInfo gave, the volume limit and the topology keys.
 */
function describeCsiDrivers(drivers: readonly CsiNodeDriver[], w: PrefixWriter): void {
  if (drivers.length === 0) return;
  w.write(0, 'CSI Drivers:\n');
  w.write(1, 'Name\tNode ID\tAllocatable Count\tTopology Keys\n');
  w.write(1, '----\t-------\t-----------------\t-------------\n');
  for (const d of drivers) {
    w.write(1, `${d.name}\t${d.nodeID}\t${d.allocatable?.count ?? '<unset>'}\t[${d.topologyKeys.join(' ')}]\n`);
  }
}

/** The node's pods that the field selector spec.nodeName=NODE,status.phase!=Succeeded,status.phase!=Failed lists, in the API server's order. */
export function nonTerminatedPods(nodeName: string, pods: readonly Pod[]): Pod[] {
  const key = (p: Pod): string => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;
  return pods
    .filter((p) => p.spec?.nodeName === nodeName && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
    .sort((a, b) => goCompare(key(a), key(b)));
}

/** printNodeTaintsMultiline: sorted by effect, then key; Taint.ToString() each. */
function printNodeTaintsMultiline(w: PrefixWriter, title: string, taints: readonly Taint[]): void {
  w.write(0, `${title}:\t`);
  if (taints.length === 0) {
    w.write(0, '<none>\n');
    return;
  }
  const cmpKey = (t: Taint): string => `${t.effect},${t.key}`;
  [...taints]
    .sort((a, b) => goCompare(cmpKey(a), cmpKey(b)))
    .forEach((t, i) => {
      if (i !== 0) w.write(0, '\t');
      w.write(0, `${formatTaint(t)}\n`);
    });
}

// --- resources -------------------------------------------------------------------------------

/** Quantity.String() of a value as the API returned it. */
function canonical(raw: string): string {
  const parsed = parseQuantityStrict(raw);
  return parsed.ok ? formatQuantity(parsed.quantity) : raw;
}

/** A corev1.ResourceList of parsed quantities (Go keeps each quantity's format for String()). */
type ResourceList = Map<string, ParsedQuantity>;

const ZERO: ParsedQuantity = { nano: 0n, format: 'DecimalSI' };

function resourceList(list: Readonly<Record<string, string>> | undefined): ResourceList {
  const out: ResourceList = new Map();
  for (const [name, raw] of Object.entries(list ?? {})) {
    const parsed = parseQuantityStrict(raw);
    if (parsed.ok) out.set(name, parsed.quantity);
  }
  return out;
}

/** Quantity.Add: a zero quantity takes the format of what is added to it. */
function addQuantity(q: ParsedQuantity, y: ParsedQuantity): ParsedQuantity {
  return { nano: q.nano + y.nano, format: q.nano === 0n ? y.format : q.format };
}

/** addResourceList. */
function addResourceList(list: ResourceList, add: ResourceList): void {
  for (const [name, q] of add) {
    const have = list.get(name);
    list.set(name, have === undefined ? q : addQuantity(have, q));
  }
}

/** maxResourceList: the greater of the two for every resource either has. */
function maxResourceList(list: ResourceList, other: ResourceList): void {
  for (const [name, q] of other) {
    const have = list.get(name);
    if (have === undefined || q.nano > have.nano) list.set(name, q);
  }
}

/** resource.max(a, b): b wins ties. */
function maxOf(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [name, q] of a) {
    const other = b.get(name);
    out.set(name, other !== undefined && q.nano <= other.nano ? other : q);
  }
  for (const [name, q] of b) if (!out.has(name)) out.set(name, q);
  return out;
}

/** The init containers' part of podRequests / podLimits: sidecars (restartPolicy Always) add up, the others take the max. */
function withInitContainers(pod: Pod, total: ResourceList, pick: (c: Container) => Readonly<Record<string, string>> | undefined): void {
  const restartable: ResourceList = new Map();
  const init: ResourceList = new Map();
  for (const c of pod.spec?.initContainers ?? []) {
    let own = resourceList(pick(c));
    if (isSidecar(c)) {
      addResourceList(total, own);
      addResourceList(restartable, own);
      own = restartable;
    } else {
      const tmp: ResourceList = new Map();
      addResourceList(tmp, own);
      addResourceList(tmp, restartable);
      own = tmp;
    }
    maxResourceList(init, own);
  }
  maxResourceList(total, init);
}

/** kubectl's resourcehelper.PodRequestsAndLimits. */
export function podRequestsAndLimits(pod: Pod): { requests: ResourceList; limits: ResourceList } {
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  const requests: ResourceList = new Map();
  for (const c of pod.spec?.containers ?? []) {
    let own = resourceList(c.resources?.requests);
    const enacted = statuses.get(c.name)?.resources;
    if (enacted) own = pod.status?.resize === 'Infeasible' ? resourceList(enacted.requests) : maxOf(own, resourceList(enacted.requests));
    addResourceList(requests, own);
  }
  withInitContainers(pod, requests, (c) => c.resources?.requests);
  const overhead = resourceList(pod.spec?.overhead);
  addResourceList(requests, overhead);

  const limits: ResourceList = new Map();
  for (const c of pod.spec?.containers ?? []) addResourceList(limits, resourceList(c.resources?.limits));
  withInitContainers(pod, limits, (c) => c.resources?.limits);
  for (const [name, q] of overhead) {
    const have = limits.get(name);
    if (have !== undefined && have.nano !== 0n) limits.set(name, addQuantity(have, q));
  }
  return { requests, limits };
}

/** Quantity.MilliValue() / Value(): rounded up. */
function scaled(q: ParsedQuantity, unitNano: bigint): bigint {
  const whole = q.nano / unitNano;
  return q.nano % unitNano > 0n ? whole + 1n : whole;
}
const MILLI = 1_000_000n;
const UNIT = 1_000_000_000n;

/** int64(float64(n) / float64(d) * 100); kubectl leaves the per-pod division unguarded, a zero allocatable shows 0 here. */
function percent(n: bigint, d: bigint): number {
  const r = (Number(n) / Number(d)) * 100;
  return Number.isFinite(r) ? Math.trunc(r) + 0 : 0;
}

function cell(q: ParsedQuantity, pct: number): string {
  return `${formatQuantity(q)} (${pct}%)`;
}

function describeNodeResource(pods: readonly Pod[], node: Node, w: PrefixWriter, now: number): void {
  w.write(0, `Non-terminated Pods:\t(${pods.length} in total)\n`);
  w.write(1, 'Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
  w.write(1, '---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n');
  const allocatableRaw = Object.keys(node.status?.allocatable ?? {}).length > 0 ? node.status?.allocatable : node.status?.capacity;
  const allocatable = resourceList(allocatableRaw);
  const get = (list: ResourceList, name: string): ParsedQuantity => list.get(name) ?? ZERO;
  const cpuAlloc = scaled(get(allocatable, 'cpu'), MILLI);
  const memAlloc = scaled(get(allocatable, 'memory'), UNIT);

  const totalRequests: ResourceList = new Map();
  const totalLimits: ResourceList = new Map();
  for (const pod of pods) {
    const { requests, limits } = podRequestsAndLimits(pod);
    addResourceList(totalRequests, requests);
    addResourceList(totalLimits, limits);
    const [cpuReq, cpuLimit, memReq, memLimit] = [get(requests, 'cpu'), get(limits, 'cpu'), get(requests, 'memory'), get(limits, 'memory')];
    w.write(
      1,
      `${pod.metadata?.namespace ?? ''}\t${pod.metadata?.name ?? ''}\t\t${cell(cpuReq, percent(scaled(cpuReq, MILLI), cpuAlloc))}\t${cell(cpuLimit, percent(scaled(cpuLimit, MILLI), cpuAlloc))}\t${cell(memReq, percent(scaled(memReq, UNIT), memAlloc))}\t${cell(memLimit, percent(scaled(memLimit, UNIT), memAlloc))}\t${timestampSince(pod.metadata?.creationTimestamp, now)}\n`,
    );
  }

  w.write(0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
  w.write(1, 'Resource\tRequests\tLimits\n');
  w.write(1, '--------\t--------\t------\n');
  /** A row with percentages of what is allocatable, 0% when nothing is (the totals are guarded). */
  const row = (name: string, unit: bigint): void => {
    const req = get(totalRequests, name);
    const limit = get(totalLimits, name);
    const alloc = scaled(get(allocatable, name), unit);
    const pct = (q: ParsedQuantity): number => (alloc === 0n ? 0 : percent(scaled(q, unit), alloc));
    w.write(1, `${name}\t${cell(req, pct(req))}\t${cell(limit, pct(limit))}\n`);
  };
  row('cpu', MILLI);
  row('memory', UNIT);
  row('ephemeral-storage', UNIT);

  const names = [...allocatable.keys()].sort(goCompare);
  for (const name of names.filter(isHugePages)) row(name, UNIT);
  for (const name of names.filter((n) => !isStandardContainerResource(n) && n !== 'pods')) {
    w.write(1, `${name}\t${formatQuantity(get(totalRequests, name))}\t${formatQuantity(get(totalLimits, name))}\n`);
  }
}

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}

/** resourcehelper.IsStandardContainerResourceName. */
function isStandardContainerResource(name: string): boolean {
  return name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || isHugePages(name);
}
