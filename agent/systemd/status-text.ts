// The one-line STATUS= that `systemctl status nodelet` shows, e.g. "12 pods, 12 running".
// Pure: the phases are the ones the status manager stored (status/status-manager.ts); the line
// is built from them, never by generating status again.

export interface ServiceSnapshot {
  /** The first full sync is done (READY=1 was or will be sent). */
  readonly synced: boolean;
  readonly runtimeHealthy: boolean;
  readonly dockerHost: string;
  /** Each pod's phase as stored (undefined: not reported yet). */
  readonly phases: readonly (string | undefined)[];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Counts of pods by phase, in kubelet's terms. */
export function podPhaseCounts(snapshot: ServiceSnapshot): Record<'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown', number> {
  const counts = { Pending: 0, Running: 0, Succeeded: 0, Failed: 0, Unknown: 0 };
  for (const phase of snapshot.phases) {
    if (phase === 'Pending' || phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') counts[phase]++;
    else counts.Unknown++;
  }
  return counts;
}

export function statusText(snapshot: ServiceSnapshot): string {
  const total = snapshot.phases.length;
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
