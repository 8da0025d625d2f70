// The pod status patch the kubelet sends (pkg/util/pod PatchPodStatus): a two-way strategic
// merge patch (apimachinery strategicpatch.CreateTwoWayMergePatch) from the status the API
// server holds to the status the kubelet wants, with `metadata.uid` as a precondition. Pure.
//
// The subset of CreateTwoWayMergePatch that PodStatus needs:
// - maps are diffed key by key: a key that went away is sent as `null`, a changed scalar or a
//   changed list without a merge key (containerStatuses: listType=atomic) is sent whole;
// - lists with `patchStrategy:merge` (conditions by `type`, podIPs/hostIPs by `ip`,
//   resourceClaimStatuses by `name`) are diffed element by element: a new element is sent
//   whole, a changed one as its own diff plus the merge key (so a reason that went away is
//   nulled, which is what keeps "Ready=True, reason ContainersNotReady" from happening), a
//   removed one as `{<key>: v, $patch: delete}`, and the order of the wanted list as
//   `$setElementOrder/<list>: [{<key>: v}, ...]`.
import type { PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { canonicalJson } from '../core/hash.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonMap = { [key: string]: Json };

/** Merge keys of PodStatus's `patchStrategy:merge` lists (k8s.io/api core/v1 types.go), by path. */
export const POD_STATUS_MERGE_KEYS: Readonly<Record<string, string>> = {
  'status.conditions': 'type',
  'status.podIPs': 'ip',
  'status.hostIPs': 'ip',
  'status.resourceClaimStatuses': 'name',
};

function isMap(v: unknown): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** CreateTwoWayMergePatch(original, modified) for maps, merge lists named in `mergeKeys`. */
export function twoWayMergePatch(original: JsonMap, modified: JsonMap, mergeKeys: Readonly<Record<string, string>>, path = ''): JsonMap {
  const patch: JsonMap = {};
  for (const [key, value] of Object.entries(modified)) {
    if (value === undefined) continue;
    const at = path ? `${path}.${key}` : key;
    const old = original[key];
    if (old === undefined) {
      patch[key] = value;
      continue;
    }
    if (isMap(old) && isMap(value)) {
      const sub = twoWayMergePatch(old, value, mergeKeys, at);
      if (Object.keys(sub).length > 0) patch[key] = sub;
      continue;
    }
    const mergeKey = mergeKeys[at];
    if (mergeKey && Array.isArray(old) && Array.isArray(value)) {
      const diff = diffMergeList(old, value, mergeKey, mergeKeys, at);
      if (diff) {
        if (diff.elements.length > 0) patch[key] = diff.elements;
        patch[`$setElementOrder/${key}`] = diff.order;
      }
      continue;
    }
    if (!same(old, value)) patch[key] = value;
  }
  for (const key of Object.keys(original)) {
    if (original[key] !== undefined && modified[key] === undefined) patch[key] = null;
  }
  return patch;
}

/** undefined when the lists are the same (same elements, same order). */
function diffMergeList(original: Json[], modified: Json[], mergeKey: string, mergeKeys: Readonly<Record<string, string>>, path: string): { elements: Json[]; order: Json[] } | undefined {
  const keyOf = (e: Json): string => canonicalJson(isMap(e) ? e[mergeKey] : e);
  const before = new Map(original.filter(isMap).map((e) => [keyOf(e), e]));
  const after = new Set(modified.map(keyOf));
  const elements: Json[] = [];
  for (const e of modified) {
    if (!isMap(e)) continue;
    const old = before.get(keyOf(e));
    if (!old) {
      elements.push(e);
      continue;
    }
    const sub = twoWayMergePatch(old, e, mergeKeys, path);
    if (Object.keys(sub).length > 0) elements.push({ [mergeKey]: e[mergeKey] ?? null, ...sub });
  }
  for (const [k, old] of before) if (!after.has(k)) elements.push({ [mergeKey]: old[mergeKey] ?? null, $patch: 'delete' });
  const orderChanged = !same(
    original.map(keyOf).filter((k) => after.has(k)),
    modified.map(keyOf).filter((k) => before.has(k)),
  );
  if (elements.length === 0 && !orderChanged) return undefined;
  return { elements, order: modified.filter(isMap).map((e) => ({ [mergeKey]: e[mergeKey] ?? null })) };
}

export interface PodStatusPatch {
  readonly metadata: { readonly uid: string };
  readonly status?: JsonMap;
}

/**
 * preparePatchBytesForPodStatus: oldData `{status: <API status>}`, newData
 * `{metadata: {uid}, status: <wanted>}`. Without a `status` key the patch is "unchanged" and
 * the kubelet sends nothing.
 */
export function podStatusPatch(uid: string, apiStatus: PodStatus | undefined, wanted: PodStatus): PodStatusPatch {
  const original: JsonMap = { status: (apiStatus ?? {}) as unknown as JsonMap };
  const modified: JsonMap = { metadata: { uid }, status: wanted as unknown as JsonMap };
  return twoWayMergePatch(original, modified, POD_STATUS_MERGE_KEYS) as unknown as PodStatusPatch;
}

/** kubetypes.PodConditionsByKubelet: the condition types the kubelet owns. */
export const KUBELET_POD_CONDITIONS: ReadonlySet<string> = new Set([
  'PodScheduled',
  'Ready',
  'Initialized',
  'ContainersReady',
  'PodReadyToStartContainers',
  'PodResizePending',
  'PodResizeInProgress',
]);

/**
 * status_manager mergePodStatus: conditions other writers own (e.g. DisruptionTarget, a
 * readiness gate's) stay as the API server has them, first; the kubelet's own follow from
 * the local status. resourceClaimStatuses always come from the API server.
 */
export function mergePodStatus(apiStatus: PodStatus | undefined, local: PodStatus): PodStatus {
  const others: PodCondition[] = (apiStatus?.conditions ?? []).filter((c) => !KUBELET_POD_CONDITIONS.has(c.type));
  const own = (local.conditions ?? []).filter((c) => KUBELET_POD_CONDITIONS.has(c.type));
  const conditions = [...others, ...own];
  const { resourceClaimStatuses: _local, ...rest } = local as PodStatus & { resourceClaimStatuses?: unknown };
  const claims = (apiStatus as (PodStatus & { resourceClaimStatuses?: unknown }) | undefined)?.resourceClaimStatuses;
  return { ...rest, ...(conditions.length > 0 ? { conditions } : {}), ...(claims !== undefined ? { resourceClaimStatuses: claims } : {}) } as PodStatus;
}
