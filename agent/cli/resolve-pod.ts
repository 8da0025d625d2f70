// Which pod and which container a command means. Static pods carry the node name as a suffix
// (`web` runs as `web-node1`), so a name is tried as given, then with the node suffix, then as a
// unique prefix. Containers default the way kubectl's podcmd does. Pure.
import type { Pod } from 'kubernetes-types/core/v1.js';

export type PodResolution =
  | { readonly ok: true; readonly pod: Pod }
  | { readonly ok: false; readonly reason: 'NotFound'; readonly message: string }
  | { readonly ok: false; readonly reason: 'Ambiguous'; readonly message: string; readonly candidates: readonly string[] };

function nameOf(pod: Pod): string {
  return pod.metadata?.name ?? '';
}

export function resolvePod(pods: readonly Pod[], namespace: string, name: string): PodResolution {
  const inNamespace = pods.filter((p) => (p.metadata?.namespace ?? 'default') === namespace);
  const exact = inNamespace.find((p) => nameOf(p) === name);
  if (exact !== undefined) return { ok: true, pod: exact };
  const suffixed = inNamespace.find((p) => p.spec?.nodeName !== undefined && nameOf(p) === `${name}-${p.spec.nodeName}`);
  if (suffixed !== undefined) return { ok: true, pod: suffixed };
  const prefixed = name === '' ? [] : inNamespace.filter((p) => nameOf(p).startsWith(name));
  const only = prefixed.length === 1 ? prefixed[0] : undefined;
  if (only !== undefined) return { ok: true, pod: only };
  if (prefixed.length > 1) {
    const candidates = prefixed.map(nameOf).sort();
    return {
      ok: false,
      reason: 'Ambiguous',
      message: `pod name "${name}" is ambiguous in namespace "${namespace}": ${candidates.join(', ')}`,
      candidates,
    };
  }
  return { ok: false, reason: 'NotFound', message: `pods "${name}" not found` };
}

/** kubectl's annotation naming the container commands pick when none is given. */
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

export type ContainerChoice =
  | { readonly ok: true; readonly container: string; /** kubectl's `Defaulted container ...` line, for stderr. */ readonly notice?: string }
  | { readonly ok: false; readonly message: string };

function allContainerNames(pod: Pod): string {
  const spec = pod.spec;
  return [
    ...(spec?.containers ?? []).map((c) => c.name),
    ...(spec?.ephemeralContainers ?? []).map((c) => `${c.name} (ephem)`),
    ...(spec?.initContainers ?? []).map((c) => `${c.name} (init)`),
  ].join(', ');
}

/**
 * podcmd.FindOrDefaultContainerByName for a command without -c: the annotated default when it
 * names a container, else the first container, with the `Defaulted container` notice when the
 * pod has others. A requested name is passed through; the agent checks it, as the API server does.
 */
export function chooseContainer(pod: Pod, requested: string | undefined): ContainerChoice {
  if (requested !== undefined && requested !== '') return { ok: true, container: requested };
  const spec = pod.spec;
  const first = spec?.containers[0];
  if (first === undefined) {
    return { ok: false, message: `pod ${pod.metadata?.namespace ?? ''}/${nameOf(pod)} does not have any containers` };
  }
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated !== undefined && annotated !== '') {
    const all = [...(spec?.containers ?? []), ...(spec?.initContainers ?? []), ...(spec?.ephemeralContainers ?? [])];
    if (all.some((c) => c.name === annotated)) return { ok: true, container: annotated };
  }
  const others = (spec?.containers.length ?? 0) > 1 || (spec?.initContainers?.length ?? 0) > 0 || (spec?.ephemeralContainers?.length ?? 0) > 0;
  return others
    ? { ok: true, container: first.name, notice: `Defaulted container "${first.name}" out of: ${allContainerNames(pod)}` }
    : { ok: true, container: first.name };
}
