// Pure diff of two Docker snapshots (kubelet's GenericPLEG relist): which pods changed, and
// which container transitions deserve a log line.
import type { ObservedContainer, ObservedPod } from '../core/runtime-types.js';

export interface ContainerTransition {
  readonly uid: string;
  readonly container: ObservedContainer;
  readonly from: ObservedContainer['state'] | 'absent';
  readonly to: ObservedContainer['state'] | 'removed';
}

function fingerprint(pod: ObservedPod | undefined): string {
  if (!pod) return '';
  return [...pod.sandboxes, ...pod.containers]
    .map((c) => `${c.id}:${c.state}:${c.startedAt ?? ''}:${c.finishedAt ?? ''}`)
    .sort()
    .join(',');
}

/** UIDs whose containers differ between the snapshots (added, removed or changed state). */
export function diffPods(prev: ReadonlyMap<string, ObservedPod>, next: ReadonlyMap<string, ObservedPod>): string[] {
  const changed: string[] = [];
  for (const [uid, pod] of next) if (fingerprint(prev.get(uid)) !== fingerprint(pod)) changed.push(uid);
  for (const uid of prev.keys()) if (!next.has(uid)) changed.push(uid);
  return changed;
}

/** Container state changes between two observations of one pod. */
export function containerTransitions(prev: ObservedPod | undefined, next: ObservedPod | undefined): ContainerTransition[] {
  const out: ContainerTransition[] = [];
  const before = new Map<string, ObservedContainer>();
  for (const c of [...(prev?.sandboxes ?? []), ...(prev?.containers ?? [])]) before.set(c.id, c);
  const uid = next?.uid ?? prev?.uid ?? '';
  for (const c of [...(next?.sandboxes ?? []), ...(next?.containers ?? [])]) {
    const old = before.get(c.id);
    before.delete(c.id);
    if (!old || old.state !== c.state) out.push({ uid, container: c, from: old?.state ?? 'absent', to: c.state });
  }
  for (const old of before.values()) out.push({ uid, container: old, from: old.state, to: 'removed' });
  return out;
}
