// A container's environment as kubelet builds it (k/k pkg/kubelet/kubelet_pods.go
// makeEnvironmentVariables), and the downward API values env and downwardAPI volumes share
// (podFieldSelectorRuntimeValue, pkg/fieldpath ExtractFieldPathAsString,
// pkg/api/v1/resource ExtractContainerResourceValue). No service variables: there is no API
// server, and kubelet does not wait for services for static pods either.
import type { Container, ObjectFieldSelector, Pod, ResourceFieldSelector } from 'kubernetes-types/core/v1.js';
import { expandVars } from './expand.js';
import { convertFieldLabel, splitSubscriptedPath } from '../core/downward-api.js';
import { goQuote } from '../manifest/field-issue.js';
import { containerLimit, containerRequest, divideCeilToString, isPositive, toExact, type ExactQuantity } from './resources.js';

/** What the node can give pods; used for `limits.*` when a container sets no limit. */
export interface NodeAllocatable {
  readonly cpuMilli: number;
  readonly memoryBytes: number;
  /** Unknown when undefined: `limits.ephemeral-storage` without a limit then reads "0". */
  readonly ephemeralStorageBytes?: number;
}

export interface EnvContext {
  /** Node IPs, first one is status.hostIP. */
  readonly hostIPs: readonly string[];
  /** Pod IPs ([] when unknown); hostNetwork pods fall back to hostIPs. */
  readonly podIPs: readonly string[];
  readonly nodeAllocatable: NodeAllocatable;
}

export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

export type EnvResult = { readonly ok: true; readonly env: readonly EnvVar[] } | { readonly ok: false; readonly message: string };

type Outcome = { ok: true; value: string } | { ok: false; message: string };

/**
 * The final environment of `container`: `env` entries in declaration order (a later entry with
 * the same name replaces the value but keeps the first position, the deterministic version of
 * kubelet's map), each `value` expanded against the entries before it, each `valueFrom`
 * resolved. A failure carries kubelet's error text (CreateContainerConfigError).
 */
export function computeEnv(pod: Pod, container: Container, ctx: EnvContext): EnvResult {
  const namespace = pod.metadata?.namespace ?? '';
  const values = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    // kubelet fails before looking at `optional` when it has no API client.
    if (from.configMapRef) return { ok: false, message: `couldn't get configMap ${namespace}/${from.configMapRef.name ?? ''}, no kubeClient defined` };
    if (from.secretRef) return { ok: false, message: `couldn't get secret ${namespace}/${from.secretRef.name ?? ''}, no kubeClient defined` };
  }
  const lookup = (name: string): string | undefined => values.get(name);
  for (const envVar of container.env ?? []) {
    let value = envVar.value ?? '';
    if (value !== '') {
      value = expandVars(value, lookup);
    } else if (envVar.valueFrom) {
      const from = envVar.valueFrom;
      let outcome: Outcome | undefined;
      if (from.fieldRef) outcome = podFieldValue(from.fieldRef, pod, ctx);
      else if (from.resourceFieldRef) outcome = envResourceValue(from.resourceFieldRef, pod, container, ctx.nodeAllocatable);
      else if (from.configMapKeyRef) outcome = { ok: false, message: `couldn't get configMap ${namespace}/${from.configMapKeyRef.name ?? ''}, no kubeClient defined` };
      else if (from.secretKeyRef) outcome = { ok: false, message: `couldn't get secret ${namespace}/${from.secretKeyRef.name ?? ''}, no kubeClient defined` };
      if (outcome && !outcome.ok) return outcome;
      if (outcome) value = outcome.value;
    }
    values.set(envVar.name, value);
  }
  return { ok: true, env: [...values].map(([name, value]) => ({ name, value })) };
}

/** `NAME=value` strings, as Docker's Env wants them. */
export function toDockerEnv(env: readonly EnvVar[]): string[] {
  return env.map((e) => `${e.name}=${e.value}`);
}

/**
 * podFieldSelectorRuntimeValue: ConvertDownwardAPIFieldLabel first (same error texts), then
 * node and status values, then the pod's metadata.
 */
export function podFieldValue(selector: ObjectFieldSelector, pod: Pod, ctx: Pick<EnvContext, 'hostIPs' | 'podIPs'>): Outcome {
  const converted = convertFieldLabel(selector.apiVersion ?? 'v1', selector.fieldPath);
  if (!converted.ok) return { ok: false, message: converted.error };
  const fieldPath = converted.label;
  const podIPs = ctx.podIPs.length > 0 || !pod.spec?.hostNetwork ? ctx.podIPs : ctx.hostIPs;
  switch (fieldPath) {
    case 'spec.nodeName':
      return { ok: true, value: pod.spec?.nodeName ?? '' };
    case 'spec.serviceAccountName':
      return { ok: true, value: pod.spec?.serviceAccountName ?? '' };
    case 'status.hostIP':
    case 'status.hostIPs': {
      if (ctx.hostIPs.length === 0) return { ok: false, message: 'host IP unknown; known addresses: []' };
      return { ok: true, value: fieldPath === 'status.hostIP' ? (ctx.hostIPs[0] ?? '') : ctx.hostIPs.join(',') };
    }
    case 'status.podIP':
      return { ok: true, value: podIPs[0] ?? '' };
    case 'status.podIPs':
      return { ok: true, value: podIPs.join(',') };
  }
  return metadataFieldValue(fieldPath, pod);
}

/** fieldpath.ExtractFieldPathAsString over the pod's metadata. */
export function metadataFieldValue(fieldPath: string, pod: Pod): Outcome {
  const meta = pod.metadata ?? {};
  const sub = splitSubscriptedPath(fieldPath);
  if (sub) {
    if (sub.path === 'metadata.annotations') return { ok: true, value: meta.annotations?.[sub.subscript] ?? '' };
    if (sub.path === 'metadata.labels') return { ok: true, value: meta.labels?.[sub.subscript] ?? '' };
    return { ok: false, message: `fieldPath "${fieldPath}" does not support subscript` };
  }
  switch (fieldPath) {
    case 'metadata.annotations':
      return { ok: true, value: formatMap(meta.annotations ?? {}) };
    case 'metadata.labels':
      return { ok: true, value: formatMap(meta.labels ?? {}) };
    case 'metadata.name':
      return { ok: true, value: meta.name ?? '' };
    case 'metadata.namespace':
      return { ok: true, value: meta.namespace ?? '' };
    case 'metadata.uid':
      return { ok: true, value: meta.uid ?? '' };
  }
  return { ok: false, message: `unsupported fieldPath: ${fieldPath}` };
}

/** fieldpath.FormatMap: `key="value"` lines sorted by key, Go %q quoting, no final newline. */
export function formatMap(map: Readonly<Record<string, string>>): string {
  return Object.keys(map)
    .sort()
    .map((k) => `${k}=${goQuote(map[k] ?? '')}`)
    .join('\n');
}

/** findContainerInPod: app containers first, then init containers. */
function findContainer(pod: Pod, name: string): { container: Container; init: boolean } | undefined {
  const app = pod.spec?.containers.find((c) => c.name === name);
  if (app) return { container: app, init: false };
  const init = pod.spec?.initContainers?.find((c) => c.name === name);
  return init ? { container: init, init: true } : undefined;
}

/**
 * env resourceFieldRef (defaultPodLimitsForDownwardAPI + containerResourceRuntimeValue): the
 * current container, or the named one; node allocatable stands in for missing limits of the
 * current container and of app containers (kubelet does not default init containers' limits
 * when they are named).
 */
function envResourceValue(selector: ResourceFieldSelector, pod: Pod, current: Container, allocatable: NodeAllocatable): Outcome {
  if (!selector.containerName) return containerResourceValue(selector, current, allocatable);
  const found = findContainer(pod, selector.containerName);
  if (!found) return { ok: false, message: `container ${selector.containerName} not found` };
  return containerResourceValue(selector, found.container, found.init ? undefined : allocatable);
}

/** downwardAPI volume resourceFieldRef (ExtractResourceValueByContainerNameAndNodeAllocatable). */
export function volumeResourceValue(selector: ResourceFieldSelector, pod: Pod, allocatable: NodeAllocatable): Outcome {
  const name = selector.containerName ?? '';
  const found = findContainer(pod, name);
  if (!found) return { ok: false, message: `container ${name} not found` };
  return containerResourceValue(selector, found.container, allocatable);
}

const ONE: ExactQuantity = { n: 1n, e: 0 };

function allocatableFor(name: string, allocatable: NodeAllocatable): ExactQuantity | undefined {
  switch (name) {
    case 'cpu':
      return { n: BigInt(Math.round(allocatable.cpuMilli)), e: -3 };
    case 'memory':
      return { n: BigInt(Math.round(allocatable.memoryBytes)), e: 0 };
    case 'ephemeral-storage':
      return allocatable.ephemeralStorageBytes === undefined ? undefined : { n: BigInt(Math.round(allocatable.ephemeralStorageBytes)), e: 0 };
  }
  return undefined;
}

/**
 * ExtractContainerResourceValue, with MergeContainerResourceLimits applied when `allocatable`
 * is given (a missing or zero cpu/memory/ephemeral-storage limit reads the node's value).
 */
export function containerResourceValue(selector: ResourceFieldSelector, container: Container, allocatable: NodeAllocatable | undefined): Outcome {
  const parsedDivisor = selector.divisor === undefined ? undefined : toExact(selector.divisor);
  const divisor = isPositive(parsedDivisor) ? parsedDivisor : ONE;
  const resource = selector.resource;
  const dot = resource.indexOf('.');
  const kind = resource.slice(0, dot);
  const name = resource.slice(dot + 1);
  const known = ['cpu', 'memory', 'ephemeral-storage'].includes(name) || name.startsWith('hugepages-');
  if (dot <= 0 || (kind !== 'limits' && kind !== 'requests') || !known) {
    return { ok: false, message: `unsupported container resource : ${resource}` };
  }
  let quantity = kind === 'limits' ? containerLimit(container, name) : containerRequest(container, name);
  if (kind === 'limits' && allocatable && !name.startsWith('hugepages-') && !isPositive(quantity)) {
    quantity = allocatableFor(name, allocatable) ?? quantity;
  }
  return { ok: true, value: divideCeilToString(quantity, divisor) };
}
