// The one-line STATUS= that `systemctl status nodelet` shows, e.g. "12 pods, 12 running".
// Pure: the phase of each pod is the one kubelet would report (status/generate.ts).
import type { DesiredPod } from '../core/types.js';
import type { ObservedPod } from '../core/runtime-types.js';
import { generatePodStatus } from '../status/generate.js';

export interface ServiceSnapshot {
  /** The first full sync is done (READY=1 was or will be sent). */
  readonly synced: boolean;
  readonly runtimeHealthy: boolean;
  readonly dockerHost: string;
  readonly pods: readonly { readonly desired: DesiredPod; readonly observed?: ObservedPod }[];
  readonly now: number;
}

const NO_WAITING: ReadonlyMap<string, { reason: string; message: string }> = new Map();
const NO_PROBES: ReadonlyMap<string, { started?: boolean; ready?: boolean }> = new Map();

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Counts of pods by phase, in kubelet's terms. */
export function podPhaseCounts(snapshot: ServiceSnapshot): Record<'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown', number> {
  const counts = { Pending: 0, Running: 0, Succeeded: 0, Failed: 0, Unknown: 0 };
  for (const { desired, observed } of snapshot.pods) {
    const status = generatePodStatus({ desired, observed, now: snapshot.now, waiting: NO_WAITING, probes: NO_PROBES, hostIPs: [], podIPs: [] });
    const phase = status.phase;
    if (phase === 'Pending' || phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') counts[phase]++;
    else counts.Unknown++;
  }
  return counts;
}

export function statusText(snapshot: ServiceSnapshot): string {
  const total = snapshot.pods.length;
  if (!snapshot.synced) {
    if (!snapshot.runtimeHealthy) return `starting: waiting for the Docker Engine at ${snapshot.dockerHost}`;
    return `starting: syncing ${plural(total, 'pod')}`;
  }
  if (!snapshot.runtimeHealthy) return `Docker Engine at ${snapshot.dockerHost} unreachable; ${plural(total, 'pod')}`;
  const counts = podPhaseCounts(snapshot);
  const parts = [plural(total, 'pod'), `${counts.Running} running`];
  if (counts.Pending > 0) parts.push(`${counts.Pending} pending`);
  if (counts.Failed > 0) parts.push(`${counts.Failed} failed`);
  if (counts.Succeeded > 0) parts.push(`${counts.Succeeded} succeeded`);
  if (counts.Unknown > 0) parts.push(`${counts.Unknown} unknown`);
  return parts.join(', ');
}
