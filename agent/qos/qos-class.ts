// The pod's QoS class with the kubelet's rules (pkg/apis/core/v1/helper/qos ComputePodQOS):
// only cpu and memory count, zero quantities count as unset, init containers count like the
// others; with pod-level resources (PodLevelResources, beta and on since v1.34) the pod's own
// spec.resources decide. status.qosClass, once set, is kept (GetPodQOS). Pure.
import type { Container, Pod, PodSpec, ResourceRequirements } from 'kubernetes-types/core/v1.js';
import { quantityNano } from '../manifest/quantity.js';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** PodSpec with the pod-level `resources` of PodLevelResources (absent from kubernetes-types). */
export type PodSpecWithResources = PodSpec & { readonly resources?: ResourceRequirements };

const QOS_RESOURCES = ['cpu', 'memory'] as const;

/** IsPodLevelResourcesSet: spec.resources requests or limits cpu or memory. */
export function podLevelResourcesSet(spec: PodSpecWithResources | undefined): boolean {
  const r = spec?.resources;
  return QOS_RESOURCES.some((name) => r?.requests?.[name] !== undefined || r?.limits?.[name] !== undefined);
}

/** GetPodQOS: status.qosClass when set, else ComputePodQOS. */
export function podQos(pod: Pod): QosClass {
  const known = pod.status?.qosClass;
  return known === 'Guaranteed' || known === 'Burstable' || known === 'BestEffort' ? known : podQosClass(pod.spec);
}

/**
 * ComputePodQOS. BestEffort: nothing requests or limits cpu/memory. Guaranteed: every container
 * (or the pod level) limits both, and the summed requests equal the summed limits. Otherwise
 * Burstable.
 */
export function podQosClass(spec: PodSpecWithResources | undefined): QosClass {
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  if (podLevelResourcesSet(spec)) {
    addPositive(requests, spec?.resources?.requests);
    const found = addPositive(limits, spec?.resources?.limits);
    if (found.size !== QOS_RESOURCES.length) guaranteed = false;
  } else {
    const containers: readonly Container[] = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
    for (const c of containers) {
      addPositive(requests, c.resources?.requests);
      const found = addPositive(limits, c.resources?.limits);
      if (!QOS_RESOURCES.every((name) => found.has(name))) guaranteed = false;
    }
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
    const nano = quantityNano(raw);
    if (nano === undefined || nano <= 0n) continue;
    found.add(name);
    sums.set(name, (sums.get(name) ?? 0n) + nano);
  }
  return found;
}
