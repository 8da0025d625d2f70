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
    'securityContext.runAsNonRoot',
    'securityContext.supplementalGroups',
    'securityContext.sysctls',
    'securityContext.seccompProfile',
    'activeDeadlineSeconds',
    // The graceful node shutdown group (shutdown/plan.ts), read as the kubelet reads it.
    'priority',
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
  // The API's own defaults, which ask for what Docker does anyway: the host's user namespace,
  // a short hostname, Linux, and no preemption (nodelet schedules nothing).
  defaults('podSpec', 'hostUsers', true),
  defaults('podSpec', 'setHostnameAsFQDN', false),
  defaults('podSpec', 'os.name', 'linux'),
  defaults('podSpec', 'preemptionPolicy', 'PreemptLowerPriority', 'Never'),

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
    'securityContext.runAsNonRoot',
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
  // Docker masks /proc as the Default proc mount type does.
  defaults('container', 'securityContext.procMount', 'Default'),
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

/**
 * The table compiled into a tree of field steps, so that the walk below looks each member up
 * by name instead of building and matching path strings for every field of every manifest.
 */
interface FieldNode {
  /** The dotted pattern of this node (`spec.containers[*].env`), `` for the root. */
  readonly pattern: string;
  /** `implemented` or `rejected`: the whole subtree is accounted for. */
  covered: boolean;
  /** For `default` entries: the values that draw no warning. */
  defaults: readonly unknown[] | undefined;
  /** Named members below this node. */
  readonly fields: Map<string, FieldNode>;
  /** The items of a list (`[*]`). */
  items: FieldNode | undefined;
}

interface CompiledTable {
  readonly root: FieldNode;
  /** Every node by its pattern, for member names that contain `.` or `[` (see childNode). */
  readonly byPattern: ReadonlyMap<string, FieldNode>;
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

function newNode(pattern: string): FieldNode {
  return { pattern, covered: false, defaults: undefined, fields: new Map(), items: undefined };
}

/** The node for a well-formed table path (`a.b[*].c`), created with its ancestors when missing. */
function nodeAt(table: CompiledTable & { byPattern: Map<string, FieldNode> }, path: string): FieldNode {
  let node = table.root;
  for (const step of path.split(/\.|(?=\[\*\])/)) {
    const pattern = step === '[*]' ? `${node.pattern}[*]` : node.pattern === '' ? step : `${node.pattern}.${step}`;
    let next = step === '[*]' ? node.items : node.fields.get(step);
    if (next === undefined) {
      next = newNode(pattern);
      if (step === '[*]') node.items = next;
      else node.fields.set(step, next);
      table.byPattern.set(pattern, next);
    }
    node = next;
  }
  return node;
}

function compile(podSpecRoot: string, daemonSetRoot?: string): CompiledTable {
  const root = newNode('');
  const table = { root, byPattern: new Map<string, FieldNode>() };
  for (const entry of FIELD_SUPPORT) {
    for (const prefix of prefixesFor(entry.scope, podSpecRoot, daemonSetRoot)) {
      const node = nodeAt(table, prefix + entry.path);
      if (entry.support === 'default') node.defaults = entry.values ?? [];
      else node.covered = true;
    }
  }
  return table;
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

/** Stands for any field below a covered one. */
const COVERED: FieldNode = { ...newNode('*'), covered: true };

/** Where the walk is: member names and list indexes from the root. */
type PathStep = string | number;

/** Warnings for every field set in the object that nodelet accepts but does not act on. */
export function unimplementedFieldWarnings(kind: 'Pod' | 'DaemonSet', obj: Pod | DaemonSet): FieldIssue[] {
  const table = kind === 'Pod' ? POD_TABLE : DAEMONSET_TABLE;
  const out: FieldIssue[] = [];
  visitChildren(obj, table.root, [], table, out);
  return out;
}

// The path is kept as a stack of steps and turned into text only for a warning: most fields
// draw none.
function visitChildren(value: unknown, node: FieldNode, path: PathStep[], table: CompiledTable, out: FieldIssue[]): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      visit(value[i], node.items, path, table, out);
      path.pop();
    }
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      path.push(key);
      visit(record[key], childNode(node, key, table), path, table, out);
      path.pop();
    }
  }
}

function visit(value: unknown, node: FieldNode | undefined, path: PathStep[], table: CompiledTable, out: FieldIssue[]): void {
  if (isEmpty(value) || node?.covered === true) return;
  if (node?.defaults !== undefined && node.defaults.some((a) => sameValue(a, value))) return;
  if (node !== undefined && hasChildren(node) && typeof value === 'object' && value !== null) {
    visitChildren(value, node, path, table, out);
    return;
  }
  const field = formatPath(path);
  out.push(plainIssue(field, `${field}: accepted; has no effect on nodelet`));
}

/**
 * The node of member `key` below `node`. The table matches dotted patterns, so a member
 * name holding `.` or `[` reads as several steps (and is covered when any of them is);
 * such names only reach here in map-typed fields or objects that never saw the schema.
 */
function childNode(node: FieldNode, key: string, table: CompiledTable): FieldNode | undefined {
  if (!key.includes('.') && !key.includes('[')) return node.fields.get(key);
  const pattern = node.pattern === '' ? key : `${node.pattern}.${key}`;
  if (properPrefixes(pattern).some((p) => table.byPattern.get(p)?.covered === true)) return COVERED;
  return table.byPattern.get(pattern);
}

function hasChildren(node: FieldNode): boolean {
  return node.fields.size > 0 || node.items !== undefined;
}

/** `spec.containers[0].env`, as the path is printed. */
function formatPath(path: readonly PathStep[]): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else out = out === '' ? step : `${out}.${step}`;
  }
  return out;
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
