// YAML anchors and aliases make js-yaml return a graph: an aliased node is the same JavaScript
// object at every place it appears, and an alias inside its own anchor makes a cycle. JSON,
// which Kubernetes objects are, has neither. kubectl (sigs.k8s.io/yaml over go-yaml) expands
// aliases into copies, refuses an anchor that contains itself, and refuses a "billion laughs"
// document whose aliases expand far beyond its size. This stage does the same, so that later
// stages may walk and mutate the object as a tree. Pure.

export class AliasError extends Error {}

/** Expanded nodes a document may reach; a 10 MiB manifest without aliases stays well below. */
export const MAX_EXPANDED_NODES = 2_000_000;

/**
 * A copy of `value` in which every aliased object is its own copy. Throws AliasError on a
 * cycle or when expansion exceeds MAX_EXPANDED_NODES (the caller reports it as a YAML error).
 */
export function expandAliases(value: unknown, maxNodes: number = MAX_EXPANDED_NODES): unknown {
  const ancestors = new Set<object>();
  let expanded = 0;
  // Iterative would avoid deep recursion, but js-yaml already recursed to this depth to build it.
  const copy = (node: unknown): unknown => {
    if (node === null || typeof node !== 'object') return node;
    if (++expanded > maxNodes) {
      throw new AliasError(`document contains excessive aliasing: it expands to more than ${maxNodes} nodes`);
    }
    if (ancestors.has(node)) throw new AliasError('anchor value contains itself');
    ancestors.add(node);
    try {
      if (Array.isArray(node)) return node.map(copy);
      const out: Record<string, unknown> = {};
      for (const [key, member] of Object.entries(node)) out[key] = copy(member);
      return out;
    } finally {
      ancestors.delete(node);
    }
  };
  return copy(value);
}
