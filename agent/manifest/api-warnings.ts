// The API server's warnings for a pod spec (`Warning:` lines of kubectl create/apply), word for
// word: pkg/api/pod/warnings.go warningsForPodSpecAndMeta, as GetWarningsForPod (a Pod, paths
// from `spec`) and GetWarningsForPodTemplate (a DaemonSet, paths from `spec.template`) call it.
// Checked against kube-apiserver 1.37 by test/integration/manifest-api-parity.test.ts.
//
// Left out: what static-pod restrictions refuse before warnings run (imagePullSecrets, projected
// service account tokens, ephemeral volumes), and the negative terminationGracePeriodSeconds
// warning, which the 1.37 API server no longer gives.
//
// Plus what nodelet adds about fields that change what runs and that it does not act on the
// way a kubelet would: extended resources (no device plugins) and AppArmor annotations (the
// kubelet still applies them; nodelet applies no AppArmor profile). Pure: no I/O.
import type { Container, EphemeralContainer, NodeSelectorTerm, PodSpec, ResourceRequirements } from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { type FieldIssue, fieldPath, plainIssue } from './field-issue.js';
import { formatQuantity, parseQuantityStrict, roundUpToMilli } from './quantity.js';
import { isKnownEmptyDirMedium } from './validate-volumes.js';

/** nodeapi.GetNodeLabelDeprecatedMessage (pkg/api/node/util.go). */
const DEPRECATED_NODE_LABELS: Readonly<Record<string, string>> = {
  'beta.kubernetes.io/arch': 'deprecated since v1.14; use "kubernetes.io/arch" instead',
  'beta.kubernetes.io/os': 'deprecated since v1.14; use "kubernetes.io/os" instead',
  'failure-domain.beta.kubernetes.io/region': 'deprecated since v1.17; use "topology.kubernetes.io/region" instead',
  'failure-domain.beta.kubernetes.io/zone': 'deprecated since v1.17; use "topology.kubernetes.io/zone" instead',
  'beta.kubernetes.io/instance-type': 'deprecated since v1.17; use "node.kubernetes.io/instance-type" instead',
};

const DEPRECATED_ANNOTATIONS: readonly (readonly [string, string])[] = [
  ['scheduler.alpha.kubernetes.io/critical-pod', 'non-functional in v1.16+; use the "priorityClassName" field instead'],
  ['security.alpha.kubernetes.io/sysctls', 'non-functional in v1.11+; use the "sysctls" field instead'],
  ['security.alpha.kubernetes.io/unsafe-sysctls', 'non-functional in v1.11+; use the "sysctls" field instead'],
];

const DEPRECATED_VOLUMES: readonly (readonly [string, string])[] = [
  ['photonPersistentDisk', 'deprecated in v1.11, non-functional in v1.16+'],
  ['gitRepo', 'deprecated in v1.11'],
  ['scaleIO', 'deprecated in v1.16, non-functional in v1.22+'],
  ['flocker', 'deprecated in v1.22, non-functional in v1.25+'],
  ['storageOS', 'deprecated in v1.22, non-functional in v1.25+'],
  ['quobyte', 'deprecated in v1.22, non-functional in v1.25+'],
  ['glusterfs', 'deprecated in v1.25, non-functional in v1.26+'],
  ['cephfs', 'deprecated in v1.28, non-functional in v1.31+'],
  ['rbd', 'deprecated in v1.28, non-functional in v1.31+'],
];

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const SECCOMP_MESSAGE = 'non-functional in v1.27+; use the "seccompProfile" field instead';
const APPARMOR_MESSAGE = 'deprecated since v1.30; use the "appArmorProfile" field instead';

function warn(field: string, message: string, hint?: string): FieldIssue {
  return plainIssue(field, `${field}: ${message}`, hint);
}

/** `spec`, `spec.template.spec`: where the pod spec and its metadata are. */
interface Paths {
  readonly spec: string;
  readonly metadata: string;
}

/** The warnings for a Pod (`template` false) or a DaemonSet's pod template, defaulted as the API server has it. */
export function podSpecWarnings(spec: PodSpec | undefined, meta: ObjectMeta | undefined, template: boolean): FieldIssue[] {
  if (spec === undefined) return [];
  const paths: Paths = template ? { spec: 'spec.template.spec', metadata: 'spec.template.metadata' } : { spec: 'spec', metadata: 'metadata' };
  const annotations = meta?.annotations ?? {};
  const out: FieldIssue[] = [];
  nodeLabelWarnings(spec, paths, out);
  for (const [key, message] of DEPRECATED_ANNOTATIONS) {
    if (key in annotations) out.push(warn(fieldPath.key(fieldPath.child(paths.metadata, 'annotations'), key), message));
  }
  (spec.volumes ?? []).forEach((v, i) => {
    for (const [source, message] of DEPRECATED_VOLUMES) {
      if ((v as unknown as Record<string, unknown>)[source] !== undefined) out.push(warn(fieldPath.child(fieldPath.index(fieldPath.child(paths.spec, 'volumes'), i), source), message));
    }
    // nodelet's: a medium the kubelet cannot set up; the pod is admitted and never starts.
    if (v.emptyDir !== undefined && !isKnownEmptyDirMedium(v.emptyDir.medium)) {
      const medium = JSON.stringify(v.emptyDir.medium);
      out.push(
        warn(
          fieldPath.child(fieldPath.index(fieldPath.child(paths.spec, 'volumes'), i), 'emptyDir', 'medium'),
          `unknown storage medium ${medium}: the kubelet admits the pod but cannot set up the volume (FailedMount), so its containers never start`,
          'the media are "" (disk), Memory and HugePages[-<size>], case-sensitive',
        ),
      );
    }
  });
  const seenIps = new Set<string>();
  (spec.hostAliases ?? []).forEach((alias, i) => {
    const ip = alias.ip ?? '';
    if (seenIps.has(ip)) out.push(warn(fieldPath.child(fieldPath.index(fieldPath.child(paths.spec, 'hostAliases'), i), 'ip'), `duplicate ip ${JSON.stringify(ip)}`));
    else seenIps.add(ip);
  });
  for (const resource of ['memory', 'ephemeral-storage']) {
    const fraction = fractionalBytes(spec.overhead?.[resource]);
    if (fraction !== undefined) out.push(warn(fieldPath.key(fieldPath.child(paths.spec, 'overhead'), resource), fractionMessage(fraction)));
  }
  if (spec.securityContext?.seccompProfile === undefined && SECCOMP_POD_ANNOTATION in annotations) {
    out.push(warn(fieldPath.key(fieldPath.child(paths.metadata, 'annotations'), SECCOMP_POD_ANNOTATION), SECCOMP_MESSAGE));
  }
  const podAppArmor = spec.securityContext?.appArmorProfile !== undefined;
  const hasAnnotations = meta?.annotations !== undefined;
  const ports = new Map<string, PortBlock[]>();
  // Upstream visits the containers twice: port warnings come after all the others.
  const portOut: FieldIssue[] = [];
  const resourceOut: FieldIssue[] = [];
  for (const list of CONTAINER_LISTS) {
    const containers: readonly (Container | EphemeralContainer)[] = spec[list] ?? [];
    for (let i = 0; i < containers.length; i++) {
      const c = containers[i] as Container | EphemeralContainer;
      const path = `${paths.spec}.${list}[${i}]`;
      if (hasAnnotations) containerAnnotationWarnings(c, podAppArmor, annotations, paths, out);
      if (c.resources !== undefined) {
        containerResourceWarnings(c.resources, path, out);
        extendedResourceWarnings(c.resources, path, resourceOut);
      }
      if (c.env !== undefined && c.env.length > 1) envWarnings(c, path, out);
      if (c.ports !== undefined) portWarnings(c, path, ports, portOut);
    }
  }
  out.push(...portOut);
  if (spec.affinity?.podAffinity !== undefined || spec.affinity?.podAntiAffinity !== undefined) out.push(...podAffinityWarnings(spec, paths.spec));
  const podResources = (spec as PodSpec & { resources?: ResourceRequirements }).resources;
  if (podResources !== undefined) extendedResourceWarnings(podResources, paths.spec, resourceOut);
  out.push(...resourceOut);
  return out;
}

function containerAnnotationWarnings(c: Container | EphemeralContainer, podAppArmor: boolean, annotations: Readonly<Record<string, string>>, paths: Paths, out: FieldIssue[]): void {
  if (c.securityContext?.seccompProfile === undefined) {
    const key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name;
    if (key in annotations) out.push(warn(fieldPath.key(fieldPath.child(paths.metadata, 'annotations'), key), SECCOMP_MESSAGE));
  }
  const appArmorKey = APPARMOR_ANNOTATION_PREFIX + c.name;
  if (!podAppArmor && c.securityContext?.appArmorProfile === undefined && appArmorKey in annotations) {
    out.push(warn(fieldPath.key(fieldPath.child(paths.metadata, 'annotations'), appArmorKey), APPARMOR_MESSAGE, appArmorHint(annotations[appArmorKey] ?? '')));
  }
}

function nodeLabelWarnings(spec: PodSpec, paths: Paths, out: FieldIssue[]): void {
  for (const key of Object.keys(spec.nodeSelector ?? {}).sort()) {
    const message = DEPRECATED_NODE_LABELS[key];
    if (message !== undefined) out.push(warn(fieldPath.key(fieldPath.child(paths.spec, 'nodeSelector'), key), message));
  }
  const nodeAffinity = spec.affinity?.nodeAffinity;
  const affinityPath = fieldPath.child(paths.spec, 'affinity', 'nodeAffinity');
  (nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []).forEach((term, i) => {
    out.push(...nodeSelectorTermWarnings(term, fieldPath.index(fieldPath.child(affinityPath, 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms'), i)));
  });
  (nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((term, i) => {
    out.push(...nodeSelectorTermWarnings(term.preference, fieldPath.child(fieldPath.index(fieldPath.child(affinityPath, 'preferredDuringSchedulingIgnoredDuringExecution'), i), 'preference')));
  });
  (spec.topologySpreadConstraints ?? []).forEach((t, i) => {
    const path = fieldPath.index(fieldPath.child(paths.spec, 'topologySpreadConstraints'), i);
    const message = DEPRECATED_NODE_LABELS[t.topologyKey];
    if (message !== undefined) out.push(plainIssue(fieldPath.child(path, 'topologyKey'), `${fieldPath.child(path, 'topologyKey')}: ${t.topologyKey} is ${message}`));
    if (t.labelSelector === undefined) out.push(warn(fieldPath.child(path, 'labelSelector'), 'a null labelSelector results in matching no pod'));
  });
}

/** nodeapi.GetWarningsForNodeSelectorTerm. */
function nodeSelectorTermWarnings(term: NodeSelectorTerm | undefined, path: string): FieldIssue[] {
  const out: FieldIssue[] = [];
  (term?.matchExpressions ?? []).forEach((e, i) => {
    const message = DEPRECATED_NODE_LABELS[e.key];
    const field = fieldPath.child(fieldPath.index(fieldPath.child(path, 'matchExpressions'), i), 'key');
    if (message !== undefined) out.push(plainIssue(field, `${field}: ${e.key} is ${message}`));
  });
  return out;
}

/** pods.VisitContainersWithPath's order: init containers, containers, ephemeral containers. */
const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/** The canonical value when a byte quantity is fractional (MilliValue() % 1000 != 0), else undefined. */
/** Whole numbers, with or without a binary or decimal suffix of at least one byte: never fractional. */
const WHOLE_BYTES = /^[0-9]+(?:[KMGTPE]i?|k)?$/;

function fractionalBytes(value: string | number | undefined): string | undefined {
  if (value === undefined || (typeof value === 'number' ? Number.isInteger(value) : WHOLE_BYTES.test(value))) return undefined;
  const parsed = parseQuantityStrict(value);
  if (!parsed.ok) return undefined;
  const milli = roundUpToMilli(parsed.quantity);
  return milli.nano % 1_000_000_000n === 0n ? undefined : formatQuantity(milli);
}

function fractionMessage(value: string): string {
  return `fractional byte value ${JSON.stringify(value)} is invalid, must be an integer`;
}

// Upstream checks limits then requests for memory, then for ephemeral-storage.
function containerResourceWarnings(resources: ResourceRequirements, path: string, out: FieldIssue[]): void {
  for (const resource of ['memory', 'ephemeral-storage']) {
    for (const list of ['limits', 'requests'] as const) {
      const fraction = fractionalBytes(resources[list]?.[resource]);
      if (fraction !== undefined) out.push(warn(fieldPath.key(fieldPath.child(path, 'resources', list), resource), fractionMessage(fraction)));
    }
  }
}

/** A repeated env name that does not build on the earlier value ($(NAME)) hides it. */
function envWarnings(c: Container | EphemeralContainer, path: string, out: FieldIssue[]): void {
  const seen = new Set<string>();
  (c.env ?? []).forEach((item, i) => {
    if (!seen.has(item.name)) {
      seen.add(item.name);
      return;
    }
    const ref = `$(${item.name})`;
    const value = item.value ?? '';
    if (item.valueFrom !== undefined || value === ref || !value.includes(ref)) {
      out.push(warn(fieldPath.index(fieldPath.child(path, 'env'), i), `hides previous definition of ${JSON.stringify(item.name)}, which may be dropped when using apply`));
    }
  });
}

interface PortBlock {
  readonly field: string;
  readonly hostIP: string;
  readonly hostPort: number;
}

/** Ports across all containers of the pod, by `containerPort/protocol` (accumulated in `all`). */
function portWarnings(c: Container | EphemeralContainer, path: string, all: Map<string, PortBlock[]>, out: FieldIssue[]): void {
  (c.ports ?? []).forEach((port, i) => {
    const field = `${path}.ports[${i}]`;
    const hostIP = port.hostIP ?? '';
    const hostPort = port.hostPort ?? 0;
    const protocol = port.protocol ?? 'TCP';
    if (hostIP !== '' && hostPort === 0) {
      // Go's %+v of core.ContainerPort.
      out.push(warn(field, `hostIP set without hostPort: {Name:${port.name ?? ''} HostPort:${hostPort} ContainerPort:${port.containerPort} Protocol:${protocol} HostIP:${hostIP}}`));
    }
    const key = `${port.containerPort}/${protocol}`;
    const others = all.get(key);
    if (others === undefined) {
      all.set(key, [{ field, hostIP, hostPort }]);
      return;
    }
    for (const other of others) {
      if (hostIP === other.hostIP && hostPort === other.hostPort) out.push(warn(field, `duplicate port definition with ${other.field}`));
      else if (hostPort === 0 || other.hostPort === 0) out.push(warn(field, `overlapping port definition with ${other.field}`));
      else if (hostPort === other.hostPort && (hostIP === '') !== (other.hostIP === '')) out.push(warn(field, `dangerously ambiguous port definition with ${other.field}`));
    }
    others.push({ field, hostIP, hostPort });
  });
}

function podAffinityWarnings(spec: PodSpec, specPath: string): FieldIssue[] {
  const out: FieldIssue[] = [];
  const message = 'a null labelSelector results in matching no pod';
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const affinity = spec.affinity?.[kind];
    const base = fieldPath.child(specPath, 'affinity', kind);
    (affinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      if (t.labelSelector === undefined) out.push(warn(fieldPath.child(fieldPath.index(fieldPath.child(base, 'requiredDuringSchedulingIgnoredDuringExecution'), i), 'labelSelector'), message));
    });
    (affinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      if (t.podAffinityTerm.labelSelector === undefined) {
        out.push(warn(fieldPath.child(fieldPath.index(fieldPath.child(base, 'preferredDuringSchedulingIgnoredDuringExecution'), i), 'podAffinityTerm', 'labelSelector'), message));
      }
    });
  }
  return out;
}

/**
 * helper.IsExtendedResourceName: a qualified name outside the kubernetes.io domain, not a quota
 * `requests.` name. Device plugins and DRA supply such resources on a kubelet.
 */
export function isExtendedResourceName(name: string): boolean {
  const slash = name.indexOf('/');
  if (slash <= 0 || name.startsWith('requests.')) return false;
  const domain = name.slice(0, slash);
  return domain !== 'kubernetes.io' && !domain.endsWith('.kubernetes.io');
}

/**
 * nodelet's own: a container that asks for an extended resource (`nvidia.com/gpu`) gets it from
 * a device plugin on a kubelet, which also refuses the pod when the node has none
 * (UnexpectedAdmissionError / OutOf<resource>). nodelet allocates no device-plugin devices: the container
 * would start without the device, so say so, once per resource and container.
 */
function extendedResourceWarnings(resources: ResourceRequirements, path: string, out: FieldIssue[]): void {
  const limits = resources.limits ?? {};
  const requests = resources.requests ?? {};
  const names = [...Object.keys(limits), ...Object.keys(requests).filter((name) => !(name in limits))].filter(isExtendedResourceName);
  for (const name of names.sort()) {
    const list = name in limits ? 'limits' : 'requests';
    out.push(
      warn(
        fieldPath.key(fieldPath.child(path, 'resources', list), name),
        `extended resource ${JSON.stringify(name)}: nodelet counts device plugins' devices in the node's capacity but allocates none to containers: the container starts without it, and nothing is checked against the node's capacity`,
        'expose the device to the container yourself (e.g. a hostPath volume of the device node, or the vendor runtime as Docker default-runtime), or run the pod on a kubelet',
      ),
    );
  }
}

function appArmorHint(value: string): string {
  const what =
    value === 'runtime/default'
      ? 'Docker applies its own default profile (docker-default) where the host has AppArmor, which is what runtime/default asks for'
      : `the container runs without the profile ${JSON.stringify(value)}: Docker's default applies where the host has AppArmor`;
  return `the kubelet still applies this annotation; nodelet applies no AppArmor profile (annotation or field): ${what}`;
}
