// Does this node run a DaemonSet's pod? NodeShouldRunDaemonPod + predicates
// (pkg/controller/daemon/daemon_controller.go), the default daemon tolerations
// (pkg/controller/daemon/util/daemonset_util.go AddOrUpdateDaemonPodTolerations), required node
// affinity (component-helpers/scheduling/corev1/nodeaffinity) and Toleration.ToleratesTaint.
// Also kubelet's admission of manifest (static) Pods: nodeSelector + required affinity only,
// taints skipped (pkg/kubelet/lifecycle/predicate.go generalFilter). Pure.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { NodeSelectorRequirement, NodeSelectorTerm, Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';
import { isQualifiedName, isValidLabelValue } from '../manifest/names.js';
import { NODE_LABELS, type NodeIdentity, type NodeTaint } from './node-model.js';

export interface Eligibility {
  /** Create a daemon pod here when there is none. */
  readonly shouldRun: boolean;
  /** Keep an existing daemon pod here. */
  readonly shouldContinueRunning: boolean;
  /** Why not, worded as the scheduler's filter plugins report it; undefined when both are true. */
  readonly reason?: string;
}

/** The taint keys the node lifecycle controller manages (v1.TaintNode*). */
export const NODE_TAINTS = {
  notReady: 'node.kubernetes.io/not-ready',
  unreachable: 'node.kubernetes.io/unreachable',
  diskPressure: 'node.kubernetes.io/disk-pressure',
  memoryPressure: 'node.kubernetes.io/memory-pressure',
  pidPressure: 'node.kubernetes.io/pid-pressure',
  unschedulable: 'node.kubernetes.io/unschedulable',
  networkUnavailable: 'node.kubernetes.io/network-unavailable',
} as const;

/** Scheduler filter reasons (nodename.ErrReason, nodeaffinity.ErrReasonPod, tainttoleration). */
export const REASON_NODE_NAME = "node(s) didn't match the requested node name";
export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

export function untoleratedTaintReason(t: NodeTaint): string {
  return `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;
}

/**
 * NodeShouldRunDaemonPod. An untolerated NoSchedule taint stops a new pod but keeps a running
 * one; an untolerated NoExecute taint, a nodeSelector/affinity mismatch or another
 * template nodeName stop both (IgnoredDuringExecution does not hold for DaemonSets).
 * PreferNoSchedule taints and `unschedulable` are ignored.
 */
export function nodeShouldRunDaemonPod(node: NodeIdentity, ds: DaemonSet): Eligibility {
  const templateSpec: PodSpec = ds.spec?.template.spec ?? { containers: [] };
  if (templateSpec.nodeName && templateSpec.nodeName !== node.name) {
    return { shouldRun: false, shouldContinueRunning: false, reason: REASON_NODE_NAME };
  }
  const spec: PodSpec = { ...templateSpec, nodeName: node.name, tolerations: daemonPodTolerations(templateSpec) };
  if (!requiredNodeAffinityMatches(spec, node)) {
    return { shouldRun: false, shouldContinueRunning: false, reason: REASON_NODE_AFFINITY };
  }
  const tolerations = spec.tolerations ?? [];
  const blocking = findMatchingUntoleratedTaint(node.taints, tolerations, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  if (blocking) {
    const evicting = findMatchingUntoleratedTaint(node.taints, tolerations, (t) => t.effect === 'NoExecute');
    return { shouldRun: false, shouldContinueRunning: evicting === undefined, reason: untoleratedTaintReason(evicting ?? blocking) };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** AddOrUpdateDaemonPodTolerations, on a copy: the tolerations every daemon pod gets. */
export function daemonPodTolerations(spec: PodSpec): Toleration[] {
  let list = [...(spec.tolerations ?? [])];
  const add = (key: string, effect: 'NoSchedule' | 'NoExecute'): void => {
    list = addOrUpdateToleration(list, { key, operator: 'Exists', effect });
  };
  add(NODE_TAINTS.notReady, 'NoExecute');
  add(NODE_TAINTS.unreachable, 'NoExecute');
  add(NODE_TAINTS.diskPressure, 'NoSchedule');
  add(NODE_TAINTS.memoryPressure, 'NoSchedule');
  add(NODE_TAINTS.pidPressure, 'NoSchedule');
  add(NODE_TAINTS.unschedulable, 'NoSchedule');
  if (spec.hostNetwork) add(NODE_TAINTS.networkUnavailable, 'NoSchedule');
  return list;
}

/** helper.AddOrUpdateTolerationInPodSpec: same key/operator/value/effect replaces, else append. */
export function addOrUpdateToleration(existing: readonly Toleration[], toleration: Toleration): Toleration[] {
  const list = [...existing];
  const same = (t: Toleration): boolean =>
    (t.key ?? '') === (toleration.key ?? '') &&
    (t.operator ?? '') === (toleration.operator ?? '') &&
    (t.value ?? '') === (toleration.value ?? '') &&
    (t.effect ?? '') === (toleration.effect ?? '');
  const at = list.findIndex(same);
  if (at >= 0) list[at] = toleration;
  else list.push(toleration);
  return list;
}

/**
 * Toleration.ToleratesTaint. tolerationSeconds does not matter here. The alpha Lt/Gt operators
 * (TaintTolerationComparisonOperators, off by default) never match, like any unknown operator.
 */
export function toleratesTaint(toleration: Toleration, taint: NodeTaint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** FindMatchingUntoleratedTaint: the first taint passing `filter` that no toleration tolerates. */
export function findMatchingUntoleratedTaint(
  taints: readonly NodeTaint[],
  tolerations: readonly Toleration[],
  filter: (t: NodeTaint) => boolean,
): NodeTaint | undefined {
  return taints.find((t) => filter(t) && !tolerations.some((tol) => toleratesTaint(tol, t)));
}

/** GetRequiredNodeAffinity(pod).Match(node): nodeSelector AND required node affinity. */
export function requiredNodeAffinityMatches(spec: PodSpec, node: NodeIdentity): boolean {
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) {
    if (!Object.prototype.hasOwnProperty.call(node.labels, k) || node.labels[k] !== v) return false;
  }
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return nodeSelectorTermsMatch(required.nodeSelectorTerms ?? [], node);
}

/** LazyErrorNodeSelector.Match: terms ORed; empty terms and terms that fail to parse never match. */
export function nodeSelectorTermsMatch(terms: readonly NodeSelectorTerm[], node: NodeIdentity): boolean {
  return terms.some((term) => termMatches(term, node));
}

function termMatches(term: NodeSelectorTerm, node: NodeIdentity): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  // A parse error anywhere in the term makes the term fail, even if another part would not match.
  if (!exprs.every(requirementParses) || !fields.every(fieldRequirementParses)) return false;
  if (!exprs.every((r) => requirementMatches(r, node.labels))) return false;
  // extractNodeFields: the field check is skipped for a node without a name.
  if (node.name && !fields.every((r) => fieldRequirementMatches(r, node.name))) return false;
  return true;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 10, 64). */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

/** labels.NewRequirement's checks (the nodeaffinity parse step). */
function requirementParses(r: NodeSelectorRequirement): boolean {
  if (isQualifiedName(r.key).length > 0) return false;
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) return false;
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length !== 0) return false;
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1 || parseInt64(values[0] ?? '') === undefined) return false;
      break;
    default:
      return false;
  }
  return values.every((v) => isValidLabelValue(v).length === 0);
}

/** labels.Requirement.Matches. */
function requirementMatches(r: NodeSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key] ?? '';
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(value);
    case 'NotIn':
      return !has || !values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has) return false;
      const actual = parseInt64(value);
      const limit = parseInt64(values[0] ?? '');
      if (actual === undefined || limit === undefined) return false;
      return r.operator === 'Gt' ? actual > limit : actual < limit;
    }
    default:
      return false;
  }
}

/** nodeSelectorRequirementsAsFieldSelector: In/NotIn with exactly one value. */
function fieldRequirementParses(r: NodeSelectorRequirement): boolean {
  return (r.operator === 'In' || r.operator === 'NotIn') && (r.values ?? []).length === 1;
}

/** fields.Set.Get: metadata.name is the only node field; any other key reads as "". */
function fieldRequirementMatches(r: NodeSelectorRequirement, nodeName: string): boolean {
  const actual = r.key === 'metadata.name' ? nodeName : '';
  const want = (r.values ?? [])[0];
  return r.operator === 'In' ? actual === want : actual !== want;
}

// --- kubelet admission of manifest Pods -------------------------------------------------------

export type AdmitResult = { readonly admit: true } | { readonly admit: false; readonly reason: string; readonly message: string };

/**
 * predicateAdmitHandler.Admit for a static pod on this node: the kubernetes.io/os label and
 * spec.os checks, then generalFilter's node affinity and node name predicates. Taints are not
 * checked (static pods skip the taint check) and resources and host ports are not accounted.
 * A rejected pod ends Failed with this reason and message.
 */
export function admitStaticPod(pod: Pod, node: NodeIdentity): AdmitResult {
  const nodeOS = node.os ?? node.labels[NODE_LABELS.os] ?? 'linux';
  const podOS = pod.metadata?.labels?.[NODE_LABELS.os];
  if (podOS !== undefined && podOS !== nodeOS) {
    return {
      admit: false,
      reason: 'PodOSSelectorNodeLabelDoesNotMatch',
      message: "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label",
    };
  }
  const spec = pod.spec ?? { containers: [] };
  if (spec.os && spec.os.name !== nodeOS) {
    return { admit: false, reason: 'PodOSNotSupported', message: "Failed to admit pod as the OS field doesn't match node OS" };
  }
  if (!requiredNodeAffinityMatches(spec, node)) {
    return { admit: false, reason: 'NodeAffinity', message: `Predicate NodeAffinity failed: ${REASON_NODE_AFFINITY}` };
  }
  if (spec.nodeName && spec.nodeName !== node.name) {
    return { admit: false, reason: 'NodeName', message: `Predicate NodeName failed: ${REASON_NODE_NAME}` };
  }
  return { admit: true };
}
