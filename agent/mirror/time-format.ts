// The two time formats of the Kubernetes API: metav1.Time (RFC 3339, whole seconds, UTC)
// and metav1.MicroTime (RFC 3339 with six fractional digits, UTC; Lease renewTime).

/** metav1.Time: the formatter the pod status already uses, so both agree to the character. */
export { apiTime as rfc3339 } from '../status/generate.js';

export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
