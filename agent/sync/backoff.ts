// CrashLoopBackOff arithmetic, as client-go's flowcontrol.Backoff does it for the kubelet, but
// as pure functions over an explicit entry: the worker keeps the entries (one per pod UID,
// container name and container hash) and the clock is a plain number, so the planner stays
// pure and the tests need no timers.

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** kubelet: initialCrashLoopBackOff 10s, MaxCrashLoopBackOff 5m. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000 };

export interface BackoffEntry {
  /** The current back-off window (what kubelet prints in `back-off 20s restarting ...`). */
  readonly delayMs: number;
  /** When the window was last advanced (the time of the last restart). */
  readonly lastUpdate: number;
}

// After twice the maximum without an update the window starts over: a container that ran
// for 10 minutes (default policy) without crashing is not punished for its old crashes.
function hasExpired(eventTime: number, lastUpdate: number, policy: BackoffPolicy): boolean {
  return eventTime - lastUpdate > 2 * policy.maxMs;
}

/** flowcontrol.Backoff.IsInBackOffSince: is `now` still inside the window that opened at `eventTime`? */
export function isInBackoffSince(entry: BackoffEntry | undefined, eventTime: number, now: number, policy: BackoffPolicy = DEFAULT_BACKOFF): boolean {
  if (!entry) return false;
  if (hasExpired(eventTime, entry.lastUpdate, policy)) return false;
  return now - eventTime < entry.delayMs;
}

/** flowcontrol.Backoff.Next: the entry after a restart at `now` of a container that stopped at `eventTime`. */
export function nextBackoff(entry: BackoffEntry | undefined, eventTime: number, now: number, policy: BackoffPolicy = DEFAULT_BACKOFF): BackoffEntry {
  if (!entry || hasExpired(eventTime, entry.lastUpdate, policy)) return { delayMs: policy.initialMs, lastUpdate: now };
  return { delayMs: Math.min(entry.delayMs * 2, policy.maxMs), lastUpdate: now };
}

/** flowcontrol.Backoff.GC: entries not updated for 2 × max can be dropped. */
export function isBackoffEntryStale(entry: BackoffEntry, now: number, policy: BackoffPolicy = DEFAULT_BACKOFF): boolean {
  return now - entry.lastUpdate > 2 * policy.maxMs;
}

/** A copy of `entries` without the stale ones, for the worker's periodic clean-up. */
export function pruneBackoff<K>(entries: ReadonlyMap<K, BackoffEntry>, now: number, policy: BackoffPolicy = DEFAULT_BACKOFF): Map<K, BackoffEntry> {
  const kept = new Map<K, BackoffEntry>();
  for (const [key, entry] of entries) if (!isBackoffEntryStale(entry, now, policy)) kept.set(key, entry);
  return kept;
}

// time.Duration.String() lives in core/ (the gRPC probe prints it too); re-exported for the planner.
