// Decides which kind a decoded document is, from apiVersion and kind, before anything else looks at
// it. nodelet serves two kinds: v1 Pod and apps/v1 DaemonSet (a v1 PodList is read item by item, in
// parse-file.ts). Everything else gets the error kubectl would print, plus a hint that says what to
// change (for the removed DaemonSet versions, exactly what apps/v1 requires). Pure: no I/O.
import { WORKLOAD_KINDS, type WorkloadKind } from '../core/types.js';
import { GoLiteral, invalid, plainIssue, type FieldIssue, type GoValue } from './field-issue.js';

export const SUPPORTED_API_VERSIONS: Readonly<Record<WorkloadKind, string>> = {
  Pod: 'v1',
  DaemonSet: 'apps/v1',
};

const SUPPORTED = 'supported: v1 Pod, v1 PodList, apps/v1 DaemonSet';
const NEEDS_TYPE_META = 'every manifest needs apiVersion and kind: apiVersion: v1 with kind: Pod, or apiVersion: apps/v1 with kind: DaemonSet';

export type KindCheck =
  | { readonly ok: true; readonly kind: WorkloadKind; readonly apiVersion: string }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] };

function printable(value: unknown): GoValue {
  return typeof value === 'number' || typeof value === 'boolean' ? value : new GoLiteral(JSON.stringify(value));
}

function isWorkloadKind(kind: string): kind is WorkloadKind {
  return (WORKLOAD_KINDS as readonly string[]).includes(kind);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function flowMap(labels: Record<string, unknown>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(', ')}}`;
}

/** What changes between a removed DaemonSet apiVersion and apps/v1, for this object. */
function legacyDaemonSetHint(apiVersion: string, document: Record<string, unknown>): string {
  const spec = asRecord(document['spec']) ?? {};
  const template = asRecord(spec['template']);
  const templateLabels = asRecord(asRecord(template?.['metadata'])?.['labels']);
  const notes: string[] = [];
  if (apiVersion === 'apps/v1beta1') {
    notes.push('apps/v1beta1 never served DaemonSet (it was extensions/v1beta1, then apps/v1beta2, both removed in Kubernetes 1.16): use apiVersion: apps/v1');
  } else {
    notes.push(`DaemonSet ${apiVersion} was removed in Kubernetes 1.16: use apiVersion: apps/v1`);
  }
  if (spec['selector'] === undefined) {
    notes.push(
      templateLabels !== undefined && Object.keys(templateLabels).length > 0
        ? `apps/v1 requires spec.selector, matching spec.template.metadata.labels: add spec.selector.matchLabels: ${flowMap(templateLabels)}`
        : 'apps/v1 requires spec.selector, matching spec.template.metadata.labels: label the template and select those labels',
    );
  } else {
    notes.push('apps/v1 requires spec.selector to match spec.template.metadata.labels, and it cannot change after creation');
  }
  if (spec['templateGeneration'] !== undefined) {
    notes.push('remove spec.templateGeneration: apps/v1 has no such field (it is kept in the annotation deprecated.daemonset.template.generation)');
  }
  const strategy = asRecord(spec['updateStrategy']);
  if (apiVersion === 'extensions/v1beta1' && strategy === undefined) {
    notes.push(
      'the default spec.updateStrategy changes from OnDelete to RollingUpdate (maxUnavailable: 1): set spec.updateStrategy.type: OnDelete to keep replacing pods only when they are deleted',
    );
  }
  if (asRecord(strategy?.['rollingUpdate']) !== undefined) {
    notes.push('spec.updateStrategy.rollingUpdate.maxUnavailable keeps its meaning, and apps/v1 adds maxSurge (default 0), and only one of the two may be non-zero');
  }
  return notes.join('; ');
}

const LEGACY_DAEMONSET_VERSIONS = new Set(['extensions/v1beta1', 'apps/v1beta2', 'apps/v1beta1']);

function unsupportedKindHint(kind: string, document: Record<string, unknown>): string | undefined {
  const lower = kind.toLowerCase();
  if (lower === 'pod' || lower === 'daemonset') {
    return `kinds are case-sensitive: did you mean ${lower === 'pod' ? 'Pod' : 'DaemonSet'}?`;
  }
  if (kind === 'List' || kind.endsWith('List') || Array.isArray(document['items'])) {
    return 'write each object as its own YAML document, separated by --- lines, or list pods in a v1 PodList';
  }
  if (['Deployment', 'ReplicaSet', 'StatefulSet', 'ReplicationController', 'Job', 'CronJob'].includes(kind)) {
    return 'on one host, run the pod template as a DaemonSet (apps/v1) or as a Pod';
  }
  return undefined;
}

export function checkKind(document: Record<string, unknown>): KindCheck {
  const apiVersion = document['apiVersion'];
  const kind = document['kind'];
  const issues: FieldIssue[] = [];
  if (apiVersion !== undefined && apiVersion !== null && typeof apiVersion !== 'string') {
    issues.push(invalid('apiVersion', printable(apiVersion), 'must be a string'));
  }
  if (kind !== undefined && kind !== null && typeof kind !== 'string') {
    issues.push(invalid('kind', printable(kind), 'must be a string'));
  }
  if (issues.length > 0) return { ok: false, issues };

  const version = typeof apiVersion === 'string' ? apiVersion : '';
  const kindName = typeof kind === 'string' ? kind : '';
  // kubectl's client-side check wording ("error validating data: [apiVersion not set, kind not set]").
  if (version === '' || kindName === '') {
    let hint = NEEDS_TYPE_META;
    if (kindName !== '' && isWorkloadKind(kindName)) hint = `add apiVersion: ${SUPPORTED_API_VERSIONS[kindName]}`;
    else if (version === 'v1' && kindName === '') hint = 'add kind: Pod';
    else if (version === 'apps/v1' && kindName === '') hint = 'add kind: DaemonSet';
    // One hint, on the last of the two errors.
    if (version === '') issues.push(plainIssue('apiVersion', 'apiVersion not set', kindName === '' ? undefined : hint));
    if (kindName === '') issues.push(plainIssue('kind', 'kind not set', hint));
    return { ok: false, issues };
  }

  if (isWorkloadKind(kindName)) {
    if (version === SUPPORTED_API_VERSIONS[kindName]) return { ok: true, kind: kindName, apiVersion: version };
    const message = `no matches for kind "${kindName}" in version "${version}"`;
    const hint =
      kindName === 'DaemonSet' && LEGACY_DAEMONSET_VERSIONS.has(version)
        ? legacyDaemonSetHint(version, document)
        : `${kindName} is served as apiVersion: ${SUPPORTED_API_VERSIONS[kindName]}`;
    return { ok: false, issues: [plainIssue('apiVersion', message, hint)] };
  }

  // A v1 PodList never gets here (parse-file.ts reads it item by item).
  if (kindName === 'PodList') {
    return { ok: false, issues: [plainIssue('apiVersion', `no matches for kind "PodList" in version "${version}"`, 'PodList is served as apiVersion: v1')] };
  }
  return {
    ok: false,
    issues: [plainIssue('kind', `kind ${kindName} is not supported by nodelet; ${SUPPORTED}`, unsupportedKindHint(kindName, document))],
  };
}
