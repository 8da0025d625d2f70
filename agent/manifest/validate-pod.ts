// Semantic validation of a defaulted v1 Pod, as the API server's ValidatePodCreate and the
// kubelet's static-pod checks report it. Errors come in upstream order, each one the exact
// line kubectl prints. validatePodSpec is shared with DaemonSet templates.
import type { Pod, PodDNSConfig, PodSpec, ResourceRequirements } from 'kubernetes-types/core/v1.js';
import {
  type FieldIssue,
  GoLiteral,
  dedupeIssues,
  duplicate,
  fieldPath,
  forbidden,
  goQuote,
  invalid,
  notSupported,
  required,
} from './field-issue.js';
import {
  INVALID_IP_ERROR,
  NEGATIVE_ERROR,
  inclusiveRangeError,
  isDNS1123Label,
  isDNS1123Subdomain,
  isDNS1123SubdomainWithUnderscore,
  isQualifiedName,
  isValidIP,
} from './names.js';
import { staticPodRestrictions } from './static-pod-restrictions.js';
import { validateContainers, validateContainersOnlyForPod, validateInitContainers, validatePodLevelResources } from './validate-container.js';
import { validateLabels, validateObjectMeta } from './validate-meta.js';
import { validateAnnotationsMatchFields, validatePodSpecificAnnotations } from './validate-pod-annotations.js';
import { validateNodeAffinity, validateTolerations } from './validate-scheduling.js';
import { validateLinuxPod, validatePodSecurityContext, validateWindowsHostProcessPod } from './validate-security.js';
import { validateVolumes } from './validate-volumes.js';

export interface PodSpecValidationOptions {
  /**
   * True when the spec is a Pod's own (PodValidationOptions.ResourceIsPod). A template may
   * leave hostPort 0 under hostNetwork because the pod made from it is defaulted later.
   */
  readonly resourceIsPod: boolean;
}

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
export const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;
export const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'] as const;
const MAX_INT32 = 2147483647;
const MAX_DNS_NAMESERVERS = 3;
const MAX_DNS_SEARCH_PATHS = 32;
const MAX_DNS_SEARCH_LIST_CHARS = 2048;

/** Validates a defaulted v1 Pod on create, static-pod restrictions included. */
export function validatePod(pod: Pod, opts: { readonly restrictionsChecked?: boolean } = {}): FieldIssue[] {
  const issues = validateObjectMeta(pod.metadata, 'metadata');
  const spec = pod.spec;
  if (!spec) {
    issues.push(required('spec.containers'));
    return dedupeIssues(issues);
  }
  issues.push(...validatePodSpecificAnnotations(pod.metadata?.annotations, spec, 'metadata.annotations'));
  issues.push(...validatePodSpec(spec, 'spec', { resourceIsPod: true }));
  if (!spec.serviceAccountName) {
    (spec.volumes ?? []).forEach((v, vi) => {
      (v.projected?.sources ?? []).forEach((s, si) => {
        if (!s.serviceAccountToken) return;
        const p = fieldPath.child(fieldPath.index('spec.volumes', vi), 'projected');
        issues.push(
          forbidden(fieldPath.child(fieldPath.index(fieldPath.child(p, 'sources'), si), 'serviceAccountToken'), 'must not be specified when serviceAccountName is not set'),
        );
      });
    });
  }
  issues.push(...validateContainersOnlyForPod(spec.containers, 'spec.containers'));
  issues.push(...validateContainersOnlyForPod(spec.initContainers, 'spec.initContainers'));
  if ((spec.ephemeralContainers ?? []).length > 0) issues.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  issues.push(...validateAnnotationsMatchFields(pod.metadata?.annotations, spec, 'spec'));
  // parse-file.ts checks the restrictions first, on the document as decoded.
  if (opts.restrictionsChecked !== true) issues.push(...staticPodRestrictions(spec, 'spec'));
  return dedupeIssues(issues);
}

/** ValidatePodSpec, for a Pod (`spec`) or a pod template (`spec.template.spec`). */
export function validatePodSpec(spec: PodSpec, path: string, opts: PodSpecValidationOptions): FieldIssue[] {
  const errs: FieldIssue[] = [];
  const child = (...names: string[]): string => fieldPath.child(path, ...names);
  const grace = spec.terminationGracePeriodSeconds;
  if (grace === undefined) errs.push(required(child('terminationGracePeriodSeconds')));
  // nodelet rule: the API server would turn a negative grace period into 1 second instead.
  else if (grace < 0) errs.push(invalid(child('terminationGracePeriodSeconds'), grace, NEGATIVE_ERROR));

  const { volumes, issues: volumeIssues } = validateVolumes(spec.volumes, child('volumes'));
  errs.push(...volumeIssues);
  const ctx = { volumes, gracePeriod: grace, hostUsers: spec.hostUsers };
  errs.push(...validateContainers(spec.containers, child('containers'), ctx));
  errs.push(...validateInitContainers(spec.initContainers, spec.containers, child('initContainers'), ctx));
  // Newer than the kubernetes-types release in use: pod-level resources (GA in 1.34).
  errs.push(...validatePodLevelResources(spec, (spec as PodSpec & { resources?: ResourceRequirements }).resources, child('resources')));
  errs.push(...validateHostNetworkPorts(spec, path, opts));

  const restartPolicy = spec.restartPolicy ?? '';
  if (restartPolicy === '') errs.push(required(child('restartPolicy')));
  else if (!(RESTART_POLICIES as readonly string[]).includes(restartPolicy)) errs.push(notSupported(child('restartPolicy'), restartPolicy, RESTART_POLICIES));

  const dnsPolicy = spec.dnsPolicy ?? '';
  if (dnsPolicy === '') errs.push(required(child('dnsPolicy')));
  else if (!(DNS_POLICIES as readonly string[]).includes(dnsPolicy)) errs.push(notSupported(child('dnsPolicy'), dnsPolicy, DNS_POLICIES));

  errs.push(...validateLabels(spec.nodeSelector, child('nodeSelector')));
  errs.push(...validatePodSecurityContext(spec, child('securityContext')));
  errs.push(...validateNodeAffinity(spec.affinity?.nodeAffinity, child('affinity', 'nodeAffinity')));
  errs.push(...validateDNSConfig(spec.dnsConfig, dnsPolicy, child('dnsConfig')));
  (spec.readinessGates ?? []).forEach((g, i) => {
    const p = fieldPath.child(fieldPath.index(child('readinessGates'), i), 'conditionType');
    errs.push(...isQualifiedName(g.conditionType).map((m) => invalid(p, g.conditionType, m)));
  });
  const gates = new Set<string>();
  (spec.schedulingGates ?? []).forEach((g, i) => {
    const p = fieldPath.index(child('schedulingGates'), i);
    errs.push(...isQualifiedName(g.name).map((m) => invalid(p, g.name, m)));
    if (gates.has(g.name)) errs.push(duplicate(p, g.name));
    gates.add(g.name);
  });
  errs.push(...validateWindowsHostProcessPod(spec, path));
  if (spec.hostUsers === false) {
    // Upstream spells two of these paths with capitals.
    if (spec.hostNetwork) errs.push(forbidden(child('hostNetwork'), 'when `pod.Spec.HostUsers` is false'));
    if (spec.hostPID) errs.push(forbidden(child('HostPID'), 'when `pod.Spec.HostUsers` is false'));
    if (spec.hostIPC) errs.push(forbidden(child('HostIPC'), 'when `pod.Spec.HostUsers` is false'));
  }
  const subdomainFields = [['serviceAccountName', spec.serviceAccountName], ['nodeName', spec.nodeName]] as const;
  for (const [name, value] of subdomainFields) {
    if (value) errs.push(...isDNS1123Subdomain(value).map((m) => invalid(child(name), value, m)));
  }
  if (spec.activeDeadlineSeconds !== undefined) {
    const v = spec.activeDeadlineSeconds;
    if (v < 1 || v > MAX_INT32) errs.push(invalid(child('activeDeadlineSeconds'), v, inclusiveRangeError(1, MAX_INT32)));
  }
  for (const name of ['hostname', 'subdomain'] as const) {
    const value = spec[name];
    if (value) errs.push(...isDNS1123Label(value).map((m) => invalid(child(name), value, m)));
  }
  errs.push(...validateTolerations(spec.tolerations, child('tolerations')));
  (spec.hostAliases ?? []).forEach((alias, i) => {
    const p = fieldPath.index(child('hostAliases'), i);
    if (!isValidIP(alias.ip ?? '')) errs.push(invalid(fieldPath.child(p, 'ip'), alias.ip ?? '', INVALID_IP_ERROR));
    (alias.hostnames ?? []).forEach((h, j) => {
      const hp = fieldPath.index(fieldPath.child(p, 'hostnames'), j);
      errs.push(...isDNS1123Subdomain(h).map((m) => invalid(hp, h, m)));
    });
  });
  for (const name of ['priorityClassName', 'runtimeClassName'] as const) {
    const value = spec[name];
    if (value !== undefined && (name === 'runtimeClassName' || value !== '')) {
      errs.push(...isDNS1123Subdomain(value).map((m) => invalid(child(name), value, m)));
    }
  }
  if (spec.preemptionPolicy !== undefined) {
    if (spec.preemptionPolicy === '') errs.push(required(child('preemptionPolicy')));
    else if (!(PREEMPTION_POLICIES as readonly string[]).includes(spec.preemptionPolicy)) {
      errs.push(notSupported(child('preemptionPolicy'), spec.preemptionPolicy, PREEMPTION_POLICIES));
    }
  }
  if (spec.os !== undefined && !['linux', 'windows'].includes(spec.os.name)) {
    errs.push(notSupported(child('os', 'name'), spec.os.name, ['linux', 'windows']));
  } else if (spec.os?.name === 'linux') {
    errs.push(...validateLinuxPod(spec, path));
  }
  return errs;
}

/** validatePodHostNetworkDeps: with hostNetwork, a (non-zero, for templates) hostPort must equal containerPort. */
function validateHostNetworkPorts(spec: PodSpec, path: string, opts: PodSpecValidationOptions): FieldIssue[] {
  if (spec.hostNetwork !== true) return [];
  const errs: FieldIssue[] = [];
  (spec.containers ?? []).forEach((c, i) => {
    (c.ports ?? []).forEach((port, j) => {
      const hp = port.hostPort ?? 0;
      if ((opts.resourceIsPod || hp !== 0) && hp !== port.containerPort) {
        const p = fieldPath.child(fieldPath.index(fieldPath.child(fieldPath.index(fieldPath.child(path, 'containers'), i), 'ports'), j), 'hostPort');
        errs.push(invalid(p, hp, 'must match `containerPort` when `hostNetwork` is true'));
      }
    });
  });
  return errs;
}

function goStringSlice(values: readonly string[]): GoLiteral {
  return new GoLiteral(`[]string{${values.map(goQuote).join(', ')}}`);
}

function validateDNSConfig(dns: PodDNSConfig | undefined, dnsPolicy: string, path: string): FieldIssue[] {
  if (dnsPolicy === 'None') {
    if (!dns) return [required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if ((dns.nameservers ?? []).length === 0) {
      return [required(fieldPath.child(path, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
    }
  }
  if (!dns) return [];
  const errs: FieldIssue[] = [];
  const nameservers = dns.nameservers ?? [];
  if (nameservers.length > MAX_DNS_NAMESERVERS) {
    errs.push(invalid(fieldPath.child(path, 'nameservers'), goStringSlice(nameservers), `must not have more than ${MAX_DNS_NAMESERVERS} nameservers`));
  }
  nameservers.forEach((ns, i) => {
    if (!isValidIP(ns)) errs.push(invalid(fieldPath.index(fieldPath.child(path, 'nameservers'), i), ns, INVALID_IP_ERROR));
  });
  const searches = dns.searches ?? [];
  if (searches.length > MAX_DNS_SEARCH_PATHS) {
    errs.push(invalid(fieldPath.child(path, 'searches'), goStringSlice(searches), `must not have more than ${MAX_DNS_SEARCH_PATHS} search paths`));
  }
  if (searches.join(' ').length > MAX_DNS_SEARCH_LIST_CHARS) {
    errs.push(
      invalid(
        fieldPath.child(path, 'searches'),
        goStringSlice(searches),
        `must not have more than ${MAX_DNS_SEARCH_LIST_CHARS} characters (including spaces) in the search list`,
      ),
    );
  }
  searches.forEach((search, i) => {
    // RelaxedDNSSearchValidation (on by default): "." allowed, underscores allowed, trailing dot ignored.
    if (search === '.') return;
    const trimmed = search.endsWith('.') ? search.slice(0, -1) : search;
    const p = fieldPath.index(fieldPath.child(path, 'searches'), i);
    errs.push(...isDNS1123SubdomainWithUnderscore(trimmed).map((m) => invalid(p, trimmed, m)));
  });
  (dns.options ?? []).forEach((o, i) => {
    if (!o.name) errs.push(required(fieldPath.index(fieldPath.child(path, 'options'), i), 'must not be empty'));
  });
  return errs;
}
