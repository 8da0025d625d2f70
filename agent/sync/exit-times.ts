// When each exited container exited, on the monotonic clock, for CrashLoopBackOff (issue 12
// item 5). Docker reports finishedAt in wall time; measured against a wall clock that was
// stepped back an hour, a 10 s window would last an hour and ten seconds. So the exit time is
// the monotonic time the agent first observed the exit. Only an exit that happened before this
// process watched the pod (the agent was down or just started) falls back to finishedAt,
// converted with wallToMonotonic, which clamps it to "now" at the latest: a clock step can
// shorten such a window, never lengthen it past its delay. Pure: the caller passes both
// clock readings and keeps the map (one per pod, lost on restart like kubelet's back-off).
import type { ObservedPod } from '../core/runtime-types.js';
import { wallToMonotonic } from '../core/clock.js';

export interface ClockReading {
  /** clock.now(): wall milliseconds. */
  readonly wall: number;
  /** clock.monotonic(). */
  readonly monotonic: number;
}

/**
 * The exit times of `observed`'s exited containers by container ID. `known` is the previous
 * result, or undefined on this process's first observation of the pod; IDs no longer
 * observed are dropped.
 */
export function trackExitTimes(known: ReadonlyMap<string, number> | undefined, observed: ObservedPod | undefined, at: ClockReading): Map<string, number> {
  const clock = { now: () => at.wall, monotonic: () => at.monotonic };
  const next = new Map<string, number>();
  for (const c of [...(observed?.containers ?? []), ...(observed?.sandboxes ?? [])]) {
    if (c.state !== 'exited') continue;
    const seen = known?.get(c.id);
    if (seen !== undefined) next.set(c.id, seen);
    else if (known !== undefined) next.set(c.id, at.monotonic);
    else next.set(c.id, wallToMonotonic(clock, c.finishedAt ?? c.startedAt ?? c.createdAt));
  }
  return next;
}
