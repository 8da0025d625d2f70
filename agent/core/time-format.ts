// The two time formats of the Kubernetes API: metav1.Time (RFC 3339, whole seconds, UTC)
// and metav1.MicroTime (RFC 3339 with six fractional digits, UTC; Lease renewTime).

/** metav1.Time: what every timestamp nodelet shows (pod status, events, node, revisions) uses. */
export function apiTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
