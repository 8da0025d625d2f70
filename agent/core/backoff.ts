// Capped exponential back-off, the one shape every retry loop of the agent uses: the first
// wait is initialMs, each failure in a row doubles it, up to maxMs. Pure: callers count their
// failures and own their clocks. (The kubelet's CrashLoopBackOff and the DaemonSet failed-pod
// back-off keep client-go flowcontrol's stored windows and expiry in sync/backoff.ts.)

export interface ExponentialBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** The wait after the `failures`-th failure in a row (1 → initialMs, 2 → twice that, …, at most maxMs). */
export function backoffDelay(policy: ExponentialBackoff, failures: number): number {
  const doublings = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(policy.maxMs, policy.initialMs * 2 ** doublings);
}
