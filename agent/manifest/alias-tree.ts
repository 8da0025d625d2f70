// YAML anchors and aliases make js-yaml return a graph: an aliased node is the same JavaScript
// object at every place it appears, and an alias inside its own anchor makes a cycle. JSON,
// which Kubernetes objects are, has neither. kubectl (sigs.k8s.io/yaml over go-yaml) expands
// aliases into copies, refuses an anchor that contains itself, and refuses a "billion laughs"
// document whose aliases expand far beyond its size. This stage does the same, so that later
// stages may walk and mutate the object as a tree. Pure.
//
// The expansion is measured in bytes, not only in nodes: an alias of a string is cheap for
// js-yaml (one shared string), but every later stage that serializes the object (hashing,
// status, the API) pays for each copy. A 160 KB file aliasing one 100 KB string 20,000 times
// is a 2 GB object as JSON, past V8's string limit. Every string, key and node counts toward
// the limit as it is reached, so the check trips before the expansion is allocated.

export class AliasError extends Error {}

/**
 * Bytes an expanded document may reach: twice kubelet's 10 MiB file limit (MAX_MANIFEST_BYTES).
 * A document without aliases expands to at most about its own text (a string or key counts its
 * length plus one, a mapping or list NODE_BYTES, and each takes at least that much YAML text
 * in any real manifest), so every file kubelet would read fits with room to spare; manifests
 * that alias a few blocks (env, resources, probes) stay orders of magnitude below. 20 MiB
 * also keeps the object's JSON (hashed several times per change) far from V8's ~512 Mi
 * character string limit, and bounds the nodes to about 2 million, the previous node limit.
 */
export const MAX_EXPANDED_BYTES = 20 * 1024 * 1024;

/** What a mapping or list counts: a few bytes of YAML, but tens of bytes of memory once copied. */
export const NODE_BYTES = 10;

/**
 * A copy of `value` in which every aliased object is its own copy. Throws AliasError on a
 * cycle or when the expanded document exceeds `maxBytes` (the caller reports it as a YAML error).
 */
export function expandAliases(value: unknown, maxBytes: number = MAX_EXPANDED_BYTES): unknown {
  const ancestors = new Set<object>();
  let expanded = 0;
  // Counted before anything is copied, so a bomb is refused after at most maxBytes of work.
  const charge = (bytes: number): void => {
    expanded += bytes;
    if (expanded > maxBytes) {
      throw new AliasError(`document contains excessive aliasing: it expands to more than ${maxBytes} bytes`);
    }
  };
  // Iterative would avoid deep recursion, but js-yaml already recursed to this depth to build it.
  const copy = (node: unknown): unknown => {
    if (typeof node === 'string') {
      charge(node.length + 1);
      return node;
    }
    if (node === null || typeof node !== 'object') {
      charge(1);
      return node;
    }
    charge(NODE_BYTES);
    if (ancestors.has(node)) throw new AliasError('anchor value contains itself');
    ancestors.add(node);
    try {
      if (Array.isArray(node)) return node.map(copy);
      const out: Record<string, unknown> = {};
      for (const [key, member] of Object.entries(node)) {
        charge(key.length + 1);
        out[key] = copy(member);
      }
      return out;
    } finally {
      ancestors.delete(node);
    }
  };
  return copy(value);
}
