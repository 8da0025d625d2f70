// The two time formats of the Kubernetes API: metav1.Time (RFC 3339, whole seconds, UTC)
// and metav1.MicroTime (RFC 3339 with six fractional digits, UTC; Lease renewTime).

/** metav1.Time: what every timestamp nodelet shows (pod status, events, node, revisions) uses. */
export function apiTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Go's time.Parse(time.RFC3339, s) as epoch nanoseconds (fractions to the nanosecond); undefined when it fails. */
export function parseRfc3339(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[8]?.toUpperCase() ?? 'Z'}`);
  if (Number.isNaN(ms)) return undefined;
  const fraction = (m[7] ?? '.').slice(1).padEnd(9, '0').slice(0, 9);
  return BigInt(ms) * 1_000_000n + BigInt(fraction);
}
