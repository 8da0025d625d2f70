// Pure: local storage limit eviction (eviction_manager.go localStorageEviction), checked first
// every round, grace period "immediate": an emptyDir over its sizeLimit, then the pod's
// ephemeral-storage over the sum of its containers' limits, then one container's logs (and
// writable layer, when images and containers share the node's filesystem) over its own limit.
import { parseQuantity } from '../manifest/quantity.js';
import { containerEphemeralStorageMessage, emptyDirMessage, podEphemeralStorageMessage } from './messages.js';
import type { EvictionPod, PodUsage } from './pods.js';

export interface LocalStorageViolation {
  readonly kind: 'emptyDir' | 'pod' | 'container';
  readonly message: string;
}

/** Whether the pod has any limit this check enforces (only such pods need to be measured). */
export function hasLocalStorageLimits(p: EvictionPod): boolean {
  const spec = p.pod.spec;
  if ((spec?.volumes ?? []).some((v) => v.emptyDir?.sizeLimit !== undefined && (parseQuantity(v.emptyDir.sizeLimit) ?? 0) > 0)) return true;
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].some((c) => c.resources?.limits?.['ephemeral-storage'] !== undefined);
}

/** PodLimits(ephemeral-storage): the sum over containers that set it (init containers: the max, as for requests), or undefined. */
function podEphemeralLimit(p: EvictionPod): number | undefined {
  let found = false;
  let sum = 0;
  for (const c of p.pod.spec?.containers ?? []) {
    const v = c.resources?.limits?.['ephemeral-storage'];
    if (v === undefined) continue;
    found = true;
    sum += parseQuantity(v) ?? 0;
  }
  for (const c of p.pod.spec?.initContainers ?? []) {
    const v = c.resources?.limits?.['ephemeral-storage'];
    if (v === undefined) continue;
    found = true;
    sum = c.restartPolicy === 'Always' ? sum + (parseQuantity(v) ?? 0) : Math.max(sum, parseQuantity(v) ?? 0);
  }
  return found ? sum : undefined;
}

export function localStorageViolation(p: EvictionPod, usage: PodUsage, opts: { readonly dedicatedImageFs: boolean }): LocalStorageViolation | undefined {
  for (const v of p.pod.spec?.volumes ?? []) {
    const limitText = v.emptyDir?.sizeLimit;
    if (limitText === undefined) continue;
    const limit = parseQuantity(limitText) ?? 0;
    const used = usage.volumes.get(v.name);
    if (used !== undefined && limit > 0 && used > limit) return { kind: 'emptyDir', message: emptyDirMessage(v.name, String(limitText)) };
  }
  const podLimit = podEphemeralLimit(p);
  if (podLimit !== undefined && usage.ephemeralBytes > podLimit) return { kind: 'pod', message: podEphemeralStorageMessage(podLimit) };
  const limits = new Map<string, string>();
  for (const c of p.pod.spec?.containers ?? []) {
    const v = c.resources?.limits?.['ephemeral-storage'];
    if (v !== undefined && (parseQuantity(v) ?? 0) !== 0) limits.set(c.name, String(v));
  }
  for (const cs of usage.containers) {
    const limit = limits.get(cs.name);
    if (limit === undefined) continue;
    const used = (cs.logsBytes ?? 0) + (opts.dedicatedImageFs ? 0 : (cs.rootfsBytes ?? 0));
    if ((parseQuantity(limit) ?? 0) < used) return { kind: 'container', message: containerEphemeralStorageMessage(cs.name, limit) };
  }
  return undefined;
}
