// The two patch formats the fake API server accepts, implemented independently of nodelet's
// code so the tests check one against the other.
//
// - application/merge-patch+json: RFC 7386 in full.
// - application/strategic-merge-patch+json, the subset nodelet and kubelet-style clients send:
//   maps merge recursively; `null` deletes a key; lists declared `patchStrategy:merge` in the
//   Kubernetes types (the MERGE_KEYS table below) merge element by element on their merge key;
//   all other lists are replaced whole; the directives `$patch: replace` (in a map, or as a
//   list element: replace the whole list) and `$patch: delete` (a list element: remove the
//   element with that key) and `$setElementOrder/<list>` (the final order of a merged list) are
//   honoured. Any other `$` directive ($retainKeys, $deleteFromPrimitiveList) and lists of primitives with a merge strategy are
//   refused with an error rather than guessed at.

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export class PatchError extends Error {}

/**
 * `$setElementOrder/<list>` (what the kubelet's two-way status diffs carry): the merge keys of the
 * list in their final order; listed elements come first in that order, the others keep theirs.
 */
const SET_ELEMENT_ORDER = '$setElementOrder/';

function orderList(list: Json | undefined, order: Json, path: string): Json | undefined {
  const key = MERGE_KEYS[path];
  if (!key) throw new PatchError(`${path}: $setElementOrder on a list that is not merged by key`);
  if (!Array.isArray(order) || !order.every((o) => isObject(o) && o[key] !== undefined)) throw new PatchError(`${path}: $setElementOrder must list {${key}: …} elements`);
  if (!Array.isArray(list)) return list;
  const keyOf = (e: Json): Json | undefined => (isObject(e) ? e[key] : undefined);
  const wanted = order.map(keyOf);
  const listed = wanted.flatMap((w) => list.filter((e) => keyOf(e) === w));
  return [...listed, ...list.filter((e) => !wanted.includes(keyOf(e) ?? null))];
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/** Merge keys of `patchStrategy:merge` lists, by field path without indices (k8s.io/api/core/v1). */
export const MERGE_KEYS: Readonly<Record<string, string>> = {
  'metadata.ownerReferences': 'uid',
  'spec.containers': 'name',
  'spec.initContainers': 'name',
  'spec.ephemeralContainers': 'name',
  'spec.volumes': 'name',
  'spec.containers.env': 'name',
  'spec.containers.ports': 'containerPort',
  'spec.containers.volumeMounts': 'mountPath',
  'spec.initContainers.env': 'name',
  'spec.initContainers.ports': 'containerPort',
  'spec.initContainers.volumeMounts': 'mountPath',
  'spec.imagePullSecrets': 'name',
  'status.conditions': 'type',
  'status.podIPs': 'ip',
  'status.hostIPs': 'ip',
  'status.addresses': 'type',
};

/** Lists of primitives with patchStrategy merge: not implemented, refused. */
const PRIMITIVE_MERGE_LISTS = new Set(['metadata.finalizers']);

export function applyStrategicMergePatch(target: Json | undefined, patch: Json, path = ''): Json {
  if (!isObject(patch)) {
    if (Array.isArray(patch)) throw new PatchError(`${path || '<root>'}: a list can only be patched inside an object`);
    return patch;
  }
  const directive = patch.$patch;
  if (directive !== undefined) {
    if (directive !== 'replace') throw new PatchError(`${path || '<root>'}: $patch: ${JSON.stringify(directive)} is not supported on a map`);
    const { $patch: _d, ...rest } = patch;
    assertNoDirectives(rest, path);
    return rest;
  }
  const out: JsonObject = isObject(target) ? { ...target } : {};
  const orders: [string, Json][] = [];
  for (const [k, v] of Object.entries(patch)) {
    const at = path ? `${path}.${k}` : k;
    if (k.startsWith(SET_ELEMENT_ORDER)) {
      orders.push([k.slice(SET_ELEMENT_ORDER.length), v]);
      continue;
    }
    if (k.startsWith('$')) throw new PatchError(`the fake API server does not implement the strategic merge directive ${JSON.stringify(k)} (at ${path || '<root>'})`);
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      out[k] = patchList(out[k], v, at);
    } else if (isObject(v)) {
      out[k] = applyStrategicMergePatch(out[k], v, at);
    } else {
      out[k] = v;
    }
  }
  for (const [k, order] of orders) {
    const ordered = orderList(out[k], order, path ? `${path}.${k}` : k);
    if (ordered !== undefined) out[k] = ordered;
  }
  return out;
}

function patchList(target: Json | undefined, patch: Json[], path: string): Json[] {
  if (PRIMITIVE_MERGE_LISTS.has(path)) throw new PatchError(`${path}: merging lists of primitives is not implemented by the fake API server`);
  const key = MERGE_KEYS[path];
  const replace = patch.some((e) => isObject(e) && e.$patch === 'replace' && Object.keys(e).length === 1);
  if (!key) {
    // patchStrategy replace (the default): the list is the patch, directives make no sense.
    for (const e of patch) if (isObject(e)) assertNoDirectives(e, path);
    return patch;
  }
  const elements = patch.filter((e) => !(isObject(e) && e.$patch === 'replace' && Object.keys(e).length === 1));
  if (replace) {
    // The list becomes the patch's elements as they are: no merging by key (two InternalIP addresses stay two).
    for (const e of elements) assertNoDirectives(e, path);
    return elements;
  }
  const out: Json[] = [...(Array.isArray(target) ? target : [])];
  for (const e of elements) {
    if (!isObject(e)) throw new PatchError(`${path}: element ${JSON.stringify(e)} is not an object (merge key ${key})`);
    if (e[key] === undefined) throw new PatchError(`map: ${JSON.stringify(e)} does not contain declared merge key: ${key}`);
    const at = out.findIndex((o) => isObject(o) && o[key] === e[key]);
    if (e.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (e.$patch !== undefined) throw new PatchError(`${path}: $patch: ${JSON.stringify(e.$patch)} is not supported on a list element`);
    if (at >= 0) out[at] = applyStrategicMergePatch(out[at], e, path);
    else out.push(applyStrategicMergePatch(undefined, e, path));
  }
  return out;
}

function assertNoDirectives(value: Json, path: string): void {
  if (Array.isArray(value)) {
    for (const e of value) assertNoDirectives(e, path);
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith('$')) throw new PatchError(`${path || '<root>'}: unexpected directive ${JSON.stringify(k)}`);
      assertNoDirectives(v, path ? `${path}.${k}` : k);
    }
  }
}
