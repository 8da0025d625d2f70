// What the local Node view says about reporting to an API server. Kept apart from the reporter
// so that the agent loads the reporter (and @kubernetes/client-node, tens of MB of code) only
// when a kubeconfig is configured.

/** What `nodelet get node` shows about reporting. Times are RFC 3339. */
export interface ReportingState {
  readonly enabled: boolean;
  /** API server URL (no credentials), empty when disabled. */
  readonly server: string;
  /** Last request the API server answered with success. */
  readonly lastSuccess?: string;
  /** Last failure, kept after recovery (compare with lastSuccess). */
  readonly lastError?: string;
  readonly lastErrorAt?: string;
  /** Set while reporting pauses after the API server failed. */
  readonly backoffUntil?: string;
}

/** The state to show when no kubeconfig is configured. */
export const DISABLED_REPORTING: ReportingState = { enabled: false, server: '' };

/** The reporting state as `nodelet.io/reporting-*` annotations, for the local Node view. */
export function reportingAnnotations(state: ReportingState): Record<string, string> {
  const out: Record<string, string> = { 'nodelet.io/reporting-enabled': String(state.enabled) };
  if (state.server) out['nodelet.io/reporting-server'] = state.server;
  if (state.lastSuccess) out['nodelet.io/reporting-last-success'] = state.lastSuccess;
  if (state.lastError) out['nodelet.io/reporting-last-error'] = state.lastError;
  if (state.lastErrorAt) out['nodelet.io/reporting-last-error-at'] = state.lastErrorAt;
  if (state.backoffUntil) out['nodelet.io/reporting-backoff-until'] = state.backoffUntil;
  return out;
}
