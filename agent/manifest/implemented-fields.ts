// Which accepted Kubernetes fields nodelet acts on. Anything a manifest sets outside this
// table is accepted (it is valid Kubernetes) but does nothing on nodelet, and the user is
// told so with a warning naming the field; nothing is ignored silently.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { type FieldIssue, plainIssue } from './field-issue.js';

/**
 * How nodelet treats a field:
 * - `implemented`: acted on; the whole subtree is covered.
 * - `rejected`: static-pod restrictions or validation already refuse it (an error, not a warning).
 * - `default`: not acted on, but these values ask for exactly what nodelet does anyway (the
 *   API server's own defaults among them), so they are not worth a warning.
 */
export type FieldSupport = 'implemented' | 'rejected' | 'default';

/** Where a path starts: the object root, a pod spec, a container, or a DaemonSet spec. */
export type FieldScope = 'object' | 'podSpec' | 'container' | 'daemonSetSpec';

export interface FieldSupportEntry {
  readonly scope: FieldScope;
  /** Dotted path within the scope; `[*]` stands for every list item. */
  readonly path: string;
  readonly support: FieldSupport;
  /** For `default`: the values that draw no warning. */
  readonly values?: readonly unknown[];
}

const implemented = (scope: FieldScope, ...paths: string[]): FieldSupportEntry[] =>
  paths.map((path) => ({ scope, path, support: 'implemented' as const }));
const rejected = (scope: FieldScope, ...paths: string[]): FieldSupportEntry[] =>
  paths.map((path) => ({ scope, path, support: 'rejected' as const }));
const defaults = (scope: FieldScope, path: string, ...values: unknown[]): FieldSupportEntry => ({ scope, path, support: 'default', values });

/**
 * THE table of what nodelet implements. Later work moves fields into `implemented` as it
 * lands; keep it the single place that decides which fields warn.
 */
export const FIELD_SUPPORT: readonly FieldSupportEntry[] = [
  ...implemented('object', 'apiVersion', 'kind', 'metadata.name', 'metadata.namespace', 'metadata.labels', 'metadata.annotations', 'metadata.uid'),

  // containers and initContainers: see the `container` scope below.
  ...implemented(
    'podSpec',
    'volumes[*].name',
    'volumes[*].hostPath',
    'volumes[*].emptyDir',
    'volumes[*].downwardAPI',
    'restartPolicy',
    'terminationGracePeriodSeconds',
    'hostNetwork',
    'hostPID',
    'hostIPC',
    'shareProcessNamespace',
    'hostname',
    'subdomain',
    'hostAliases',
    'dnsPolicy',
    'dnsConfig',
    'nodeName',
    'nodeSelector',
    'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution',
    'tolerations',
    'securityContext.runAsUser',
    'securityContext.runAsGroup',
    'securityContext.supplementalGroups',
    'securityContext.sysctls',
    'securityContext.seccompProfile',
    'activeDeadlineSeconds',
  ),
  ...rejected(
    'podSpec',
    'serviceAccountName',
    'serviceAccount',
    'imagePullSecrets',
    'resourceClaims',
    'ephemeralContainers',
    'schedulingGates',
    'volumes[*].secret',
    'volumes[*].configMap',
    'volumes[*].persistentVolumeClaim',
    'volumes[*].ephemeral',
    'volumes[*].csi',
    'volumes[*].glusterfs',
    'volumes[*].azureFile',
  ),
  defaults('podSpec', 'schedulerName', 'default-scheduler'),
  // nodelet never injects service environment variables, which is what `false` asks for.
  defaults('podSpec', 'enableServiceLinks', true, false),
  // nodelet never mounts a service account token.
  defaults('podSpec', 'automountServiceAccountToken', false),

  ...implemented(
    'container',
    'name',
    'image',
    'imagePullPolicy',
    'command',
    'args',
    'workingDir',
    'env[*].name',
    'env[*].value',
    'env[*].valueFrom.fieldRef',
    'env[*].valueFrom.resourceFieldRef',
    'ports',
    'resources',
    'volumeMounts[*].name',
    'volumeMounts[*].mountPath',
    'volumeMounts[*].readOnly',
    'volumeMounts[*].subPath',
    'volumeMounts[*].mountPropagation',
    'livenessProbe',
    'readinessProbe',
    'startupProbe',
    'lifecycle',
    'terminationMessagePath',
    'terminationMessagePolicy',
    'securityContext.runAsUser',
    'securityContext.runAsGroup',
    'securityContext.privileged',
    'securityContext.capabilities',
    'securityContext.readOnlyRootFilesystem',
    'securityContext.allowPrivilegeEscalation',
    'securityContext.seccompProfile',
    'tty',
    'stdin',
    'stdinOnce',
    'restartPolicy',
  ),
  ...rejected('container', 'env[*].valueFrom.secretKeyRef', 'env[*].valueFrom.configMapKeyRef', 'envFrom[*].secretRef', 'envFrom[*].configMapRef'),

  ...implemented(
    'daemonSetSpec',
    'selector',
    'template.metadata.labels',
    'template.metadata.annotations',
    'updateStrategy',
    'minReadySeconds',
    'revisionHistoryLimit',
  ),
];

interface CompiledTable {
  readonly covered: ReadonlySet<string>;
  readonly defaults: ReadonlyMap<string, readonly unknown[]>;
  readonly ancestors: ReadonlySet<string>;
}

const CONTAINER_LISTS = ['containers', 'initContainers'] as const;

function prefixesFor(scope: FieldScope, podSpecRoot: string, daemonSetRoot: string | undefined): string[] {
  switch (scope) {
    case 'object':
      return [''];
    case 'podSpec':
      return [podSpecRoot];
    case 'container':
      return CONTAINER_LISTS.map((l) => `${podSpecRoot}${l}[*].`);
    case 'daemonSetSpec':
      return daemonSetRoot === undefined ? [] : [daemonSetRoot];
  }
}

function compile(podSpecRoot: string, daemonSetRoot?: string): CompiledTable {
  const covered = new Set<string>();
  const defaultValues = new Map<string, readonly unknown[]>();
  const ancestors = new Set<string>();
  for (const entry of FIELD_SUPPORT) {
    for (const prefix of prefixesFor(entry.scope, podSpecRoot, daemonSetRoot)) {
      const full = prefix + entry.path;
      if (entry.support === 'default') defaultValues.set(full, entry.values ?? []);
      else covered.add(full);
      for (const a of properPrefixes(full)) ancestors.add(a);
    }
  }
  // A pod spec nested in a DaemonSet is reached through the template.
  for (const a of properPrefixes(podSpecRoot.replace(/\.$/, '') + '.x')) ancestors.add(a);
  return { covered, defaults: defaultValues, ancestors };
}

/** `a.b[*].c` -> `a`, `a.b`, `a.b[*]`. */
function properPrefixes(path: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '.' || (path[i] === '[' && i > 0)) out.push(path.slice(0, i));
  }
  return out.filter((p) => p !== '');
}

const POD_TABLE = compile('spec.');
const DAEMONSET_TABLE = compile('spec.template.spec.', 'spec.');

/** Warnings for every field set in the object that nodelet accepts but does not act on. */
export function unimplementedFieldWarnings(kind: 'Pod' | 'DaemonSet', obj: Pod | DaemonSet): FieldIssue[] {
  const table = kind === 'Pod' ? POD_TABLE : DAEMONSET_TABLE;
  const out: FieldIssue[] = [];
  visitChildren(obj, '', '', table, out);
  return out;
}

function visitChildren(value: unknown, concrete: string, pattern: string, table: CompiledTable, out: FieldIssue[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => visit(item, `${concrete}[${i}]`, `${pattern}[*]`, table, out));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      visit(child, concrete ? `${concrete}.${key}` : key, pattern ? `${pattern}.${key}` : key, table, out);
    }
  }
}

function visit(value: unknown, concrete: string, pattern: string, table: CompiledTable, out: FieldIssue[]): void {
  if (isEmpty(value) || isCovered(pattern, table)) return;
  const allowed = table.defaults.get(pattern);
  if (allowed && allowed.some((a) => sameValue(a, value))) return;
  if (table.ancestors.has(pattern) && typeof value === 'object' && value !== null) {
    visitChildren(value, concrete, pattern, table, out);
    return;
  }
  out.push(plainIssue(concrete, `${concrete}: accepted; has no effect on nodelet`));
}

function isCovered(pattern: string, table: CompiledTable): boolean {
  if (table.covered.has(pattern)) return true;
  return properPrefixes(pattern).some((p) => table.covered.has(p));
}

/** Absent in all but spelling: null, "", {} and []. */
function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
