// The kubelet's resource admission (pkg/kubelet/lifecycle/predicate.go over the scheduler's
// noderesources Fits): pod count, cpu, memory, ephemeral-storage and other scalar resources
// against allocatable minus what the admitted pods request. The first failure is the verdict,
// reason `OutOf<resource>`, message `Node didn't have enough resource: ...`. Pure.
import { quantityMilli, quantityValue, type ResourceAmounts } from './pod-resources.js';

export interface InsufficientResource {
  readonly resource: string;
  /** In the message's units: millicores for cpu, bytes for memory and storage, a count for pods. */
  readonly requested: bigint;
  readonly used: bigint;
  readonly capacity: bigint;
}

const BASIC = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods']);

function units(resource: string, nano: bigint): bigint {
  return resource === 'cpu' ? quantityMilli(nano) : quantityValue(nano);
}

/**
 * An extended resource (a domain-prefixed name outside kubernetes.io/) the node does not have is
 * dropped before the check, as the kubelet's removeMissingExtendedResources does.
 */
function isExtendedResource(name: string): boolean {
  return name.includes('/') && !name.startsWith('kubernetes.io/') && !name.startsWith('requests.');
}

/**
 * Fits: `request` of the pod to admit, `used` = the summed requests of `podCount` admitted
 * pods, `allocatable` of the node (with `pods`). Undefined when the pod fits.
 */
export function insufficientResource(request: ReadonlyMap<string, bigint>, used: ReadonlyMap<string, bigint>, podCount: number, allocatable: ReadonlyMap<string, bigint>): InsufficientResource | undefined {
  const allowedPods = quantityValue(allocatable.get('pods') ?? 0n);
  if (BigInt(podCount) + 1n > allowedPods) return { resource: 'pods', requested: 1n, used: BigInt(podCount), capacity: allowedPods };
  for (const resource of ['cpu', 'memory', 'ephemeral-storage']) {
    const req = request.get(resource) ?? 0n;
    if (req <= 0n) continue;
    const alloc = allocatable.get(resource) ?? 0n;
    const inUse = used.get(resource) ?? 0n;
    if (units(resource, req) > units(resource, alloc) - units(resource, inUse)) {
      return { resource, requested: units(resource, req), used: units(resource, inUse), capacity: units(resource, alloc) };
    }
  }
  const scalars = [...request.keys()].filter((name) => !BASIC.has(name)).sort();
  for (const resource of scalars) {
    const req = request.get(resource) ?? 0n;
    if (req <= 0n) continue;
    if (!allocatable.has(resource) && isExtendedResource(resource)) continue;
    const alloc = allocatable.get(resource) ?? 0n;
    const inUse = used.get(resource) ?? 0n;
    if (req > alloc - inUse) return { resource, requested: units(resource, req), used: units(resource, inUse), capacity: units(resource, alloc) };
  }
  return undefined;
}

/** InsufficientResourceError.Error(). */
export function insufficientResourceMessage(r: InsufficientResource): string {
  return `Node didn't have enough resource: ${r.resource}, requested: ${r.requested}, used: ${r.used}, capacity: ${r.capacity}`;
}

/** The kubelet's rejection reason: OutOfcpu, OutOfmemory, OutOfpods, OutOf<resource>. */
export function insufficientResourceReason(r: InsufficientResource): string {
  return `OutOf${r.resource}`;
}

/** The sum of requests of pods (NodeInfo.Requested). */
export function sumRequests(requests: Iterable<ReadonlyMap<string, bigint>>): ResourceAmounts {
  const out: ResourceAmounts = new Map();
  for (const r of requests) for (const [name, v] of r) out.set(name, (out.get(name) ?? 0n) + v);
  return out;
}

