// The pod's QoS class, with kubelet's rules (pkg/apis/core/v1/helper/qos GetPodQOS): only cpu
// and memory count, zero quantities count as unset, init containers count like the others.
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { parseQuantityStrict } from '../manifest/quantity.js';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QOS_RESOURCES = ['cpu', 'memory'] as const;

/**
 * BestEffort: no container requests or limits cpu/memory. Guaranteed: every container limits
 * both cpu and memory, and the pod's summed requests equal its summed limits. Otherwise Burstable.
 */
export function podQosClass(spec: PodSpec | undefined): QosClass {
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  const containers: readonly Container[] = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  for (const c of containers) {
    addPositive(requests, c.resources?.requests);
    const found = addPositive(limits, c.resources?.limits);
    if (!QOS_RESOURCES.every((name) => found.has(name))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      if (limits.get(name) !== req) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** Adds the positive cpu/memory quantities of `list` into `sums`; returns the names it added. */
function addPositive(sums: Map<string, bigint>, list: Readonly<Record<string, string | number>> | undefined): Set<string> {
  const found = new Set<string>();
  for (const name of QOS_RESOURCES) {
    const raw = list?.[name];
    if (raw === undefined) continue;
    const parsed = parseQuantityStrict(raw);
    if (!parsed.ok || parsed.quantity.nano <= 0n) continue;
    found.add(name);
    sums.set(name, (sums.get(name) ?? 0n) + parsed.quantity.nano);
  }
  return found;
}
