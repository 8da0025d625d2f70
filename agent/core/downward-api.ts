// The downward API's field labels, shared by validation (manifest/) and by the values given to
// containers (translate/), so both accept and word the same things. Pure.

/** The labels ConvertDownwardAPIFieldLabel accepts for v1 (k/k pkg/apis/core/pods/helpers.go, newest). */
const CONVERTIBLE_FIELD_LABELS: ReadonlySet<string> = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
  'spec.terminationGracePeriodSeconds',
]);

/** fieldpath.SplitMaybeSubscriptedPath: `metadata.labels['app']` → path and subscript. */
export function splitSubscriptedPath(fieldPath: string): { path: string; subscript: string } | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const s = fieldPath.slice(0, -2);
  const open = s.indexOf("['");
  if (open <= 0) return undefined;
  return { path: s.slice(0, open), subscript: s.slice(open + 2) };
}

/** ConvertDownwardAPIFieldLabel, with its error texts; `spec.host` is the legacy `spec.nodeName`. */
export function convertFieldLabel(version: string, label: string): { ok: true; label: string } | { ok: false; error: string } {
  if (version !== 'v1') return { ok: false, error: `unsupported pod version: ${version}` };
  const sub = splitSubscriptedPath(label);
  if (sub) {
    if (sub.path === 'metadata.annotations' || sub.path === 'metadata.labels') return { ok: true, label };
    return { ok: false, error: `field label does not support subscript: ${label}` };
  }
  if (label === 'spec.host') return { ok: true, label: 'spec.nodeName' };
  if (CONVERTIBLE_FIELD_LABELS.has(label)) return { ok: true, label };
  return { ok: false, error: `field label not supported: ${label}` };
}
