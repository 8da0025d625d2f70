// Time is injected so that backoff, probes and rescans are testable with a fake clock.
//
// Two readings: now() is the wall clock (Date.now()), for timestamps that users and APIs see;
// monotonic() never steps, for every delay, deadline and window. An operator or NTP stepping
// the wall clock back an hour must not stall a back-off for an hour (issue 12 item 5), and
// Node's own timers already run on the monotonic clock. monotonic() is anchored at the wall
// time of process start (performance.timeOrigin) so its values read like wall times in logs
// and in persisted state, but only differences between two readings mean anything.

export interface Clock {
  /** Wall-clock milliseconds since the epoch: for timestamps shown to users and APIs only. */
  now(): number;
  /** Milliseconds on a clock that never steps: for every delay, deadline and back-off window. */
  monotonic(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  setInterval(fn: () => void, ms: number): { cancel(): void };
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

/**
 * A past wall-clock time from outside (Docker's finishedAt, a condition's lastTransitionTime)
 * on the monotonic clock, as of now. The elapsed time is clamped at zero: after the wall clock
 * stepped back, the time reads as "just now", so a window measured from it never lasts longer
 * than its own length; after a forward step it reads as longer ago and the window ends sooner.
 */
export function wallToMonotonic(clock: Pick<Clock, 'now' | 'monotonic'>, wallMs: number): number {
  return clock.monotonic() - Math.max(0, clock.now() - wallMs);
}

/** A monotonic deadline as a wall-clock time, for showing it (e.g. `backoffUntil`). */
export function monotonicToWall(clock: Pick<Clock, 'now' | 'monotonic'>, monotonicMs: number): number {
  return clock.now() + (monotonicMs - clock.monotonic());
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.timeOrigin + performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    t.unref();
    return { cancel: () => clearInterval(t) };
  },
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};
