// Pure: the kubelet's eviction texts (helpers.go), with quantities printed as Quantity.String()
// prints them (resource.NewQuantity(n, BinarySI) for bytes, DecimalSI for inodes and pids).
import { canonicalQuantity, formatQuantity } from '../manifest/quantity.js';
import type { Observations } from './evaluate.js';
import { SIGNAL_RESOURCE, thresholdQuantity, type Threshold } from './thresholds.js';
import { containerRequest, type EvictionPod, type PodUsage } from './pods.js';
import type { PressureCondition } from './thresholds.js';

/** The status reason of an evicted or pressure-rejected pod. */
export const EVICTED_REASON = 'Evicted';

export function bytesQuantity(n: number): string {
  return formatQuantity({ nano: BigInt(Math.trunc(n)) * 1_000_000_000n, format: 'BinarySI' });
}

function decimalQuantity(n: number): string {
  return formatQuantity({ nano: BigInt(Math.trunc(n)) * 1_000_000_000n, format: 'DecimalSI' });
}

/** `Usage of EmptyDir volume %q exceeds the limit %q. ` */
export function emptyDirMessage(volume: string, sizeLimit: string): string {
  return `Usage of EmptyDir volume ${JSON.stringify(volume)} exceeds the limit ${JSON.stringify(canonicalQuantity(sizeLimit) ?? sizeLimit)}. `;
}

/** `Pod ephemeral local storage usage exceeds the total limit of containers %s. ` */
export function podEphemeralStorageMessage(limitBytes: number): string {
  return `Pod ephemeral local storage usage exceeds the total limit of containers ${bytesQuantity(limitBytes)}. `;
}

/** `Container %s exceeded its local ephemeral storage limit %q. ` */
export function containerEphemeralStorageMessage(container: string, limit: string): string {
  return `Container ${container} exceeded its local ephemeral storage limit ${JSON.stringify(canonicalQuantity(limit) ?? limit)}. `;
}

/** Admission under pressure: `The node had condition: %v. ` with the Go slice, e.g. `[DiskPressure]`. */
export function nodeConditionMessage(conditions: readonly PressureCondition[]): string {
  return `The node had condition: [${conditions.join(' ')}]. `;
}

export interface NodePressureMessage {
  readonly message: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/** evictionMessage: the starved resource, the threshold and what was available, and each container over its request. */
export function evictionMessage(resource: string, p: EvictionPod, usage: PodUsage | undefined, thresholds: readonly Threshold[], observations: Observations): NodePressureMessage {
  let message = `The node was low on resource: ${resource}. `;
  const fmt = resource === 'inodes' || resource === 'pids' ? decimalQuantity : bytesQuantity;
  for (const t of thresholds) {
    if (SIGNAL_RESOURCE[t.signal] !== resource) continue;
    const o = observations.get(t.signal);
    if (!o) continue;
    const quantity = 'quantity' in t.value ? (canonicalQuantity(t.value.text) ?? t.value.text) : fmt(thresholdQuantity(t.value, o.capacity));
    message += `Threshold quantity: ${quantity}, available: ${fmt(o.available)}. `;
    break;
  }
  if (!usage) return { message, annotations: {} };
  const containers = [...(p.pod.spec?.containers ?? []), ...(p.pod.spec?.initContainers ?? [])];
  const exceeded: string[] = [];
  const usages: string[] = [];
  for (const cs of usage.containers) {
    const c = containers.find((x) => x.name === cs.name);
    if (!c) continue;
    let used: number | undefined;
    if (resource === 'ephemeral-storage' && cs.rootfsBytes !== undefined && cs.logsBytes !== undefined) used = cs.rootfsBytes + cs.logsBytes;
    if (resource === 'memory') used = cs.workingSetBytes;
    const request = containerRequest(c, resource);
    if (used === undefined || used <= request) continue;
    const requestText = c.resources?.requests?.[resource];
    message += `Container ${c.name} was using ${bytesQuantity(used)}, request is ${requestText === undefined ? '0' : (canonicalQuantity(requestText) ?? requestText)}, has larger consumption of ${resource}. `;
    exceeded.push(c.name);
    usages.push(bytesQuantity(used));
  }
  return { message, annotations: { offending_containers: exceeded.join(','), offending_containers_usage: usages.join(','), starved_resource: resource } };
}
