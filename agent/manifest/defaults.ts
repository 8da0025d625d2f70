// The defaults the API server applies when it decodes a v1 Pod or an apps/v1 DaemonSet
// (pkg/apis/core/v1/defaults.go, pkg/apis/apps/v1/defaults.go), plus the normalisation a
// round trip through the Go types performs (null and Go-zero members dropped, quantities in
// canonical form). The result is the same object whether the manifest spelled a default out
// or not, so hashes taken after defaulting do not change when someone writes
// `restartPolicy: Always` or `protocol: TCP` explicitly. Pure: inputs are never mutated.
import type {
  Container,
  EphemeralContainer,
  HTTPGetAction,
  Lifecycle,
  ObjectFieldSelector,
  Pod,
  PodSpec,
  Probe,
  ResourceFieldSelector,
  Volume,
  VolumeProjection,
} from 'kubernetes-types/core/v1.js';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { defaultPullPolicy } from './image-ref.js';
import { formatQuantity, parseQuantityStrict, roundUpToMilli } from './quantity.js';

export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** 0644, the default mode of secret, configMap, downwardAPI and projected volumes. */
export const DEFAULT_VOLUME_MODE = 0o644;

export interface PodSpecDefaultOptions {
  /**
   * True for a Pod. SetDefaults_Pod (requests from limits, enableServiceLinks, hostNetwork
   * host ports) runs on Pods only, not on pod templates: a DaemonSet template keeps them
   * unset until a pod is made from it.
   */
  readonly forPod: boolean;
}

/** A defaulted copy of a v1 Pod (namespace `default` when absent, as kubelet's applyDefaults does). */
export function defaultPod(pod: Pod): Pod {
  const out = copyWithoutNulls(pod);
  out.metadata = defaultObjectMeta(out.metadata ?? {}, true);
  out.spec = defaultPodSpecInPlace(out.spec ?? { containers: [] }, { forPod: true });
  dropEmptyObject(out, 'status');
  return dropEmptyArrays(out);
}

/** A defaulted copy of an apps/v1 DaemonSet, template included (template defaults only). */
export function defaultDaemonSet(ds: DaemonSet): DaemonSet {
  const out = copyWithoutNulls(ds);
  out.metadata = defaultObjectMeta(out.metadata ?? {}, true);
  const spec = out.spec ?? { selector: {}, template: {} };
  out.spec = spec;
  const strategy = spec.updateStrategy ?? {};
  spec.updateStrategy = strategy;
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const rolling = strategy.rollingUpdate ?? {};
    strategy.rollingUpdate = rolling;
    if (rolling.maxUnavailable === undefined) rolling.maxUnavailable = 1;
    if (rolling.maxSurge === undefined) rolling.maxSurge = 0;
  }
  if (spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = 10;
  if (spec.minReadySeconds === 0) delete spec.minReadySeconds;
  if (spec.selector?.matchLabels && Object.keys(spec.selector.matchLabels).length === 0) delete spec.selector.matchLabels;
  const template = spec.template ?? {};
  spec.template = template;
  if (template.metadata) {
    template.metadata = defaultObjectMeta(template.metadata, false);
    if (Object.keys(template.metadata).length === 0) delete template.metadata;
  }
  template.spec = defaultPodSpecInPlace(template.spec ?? { containers: [] }, { forPod: false });
  dropEmptyObject(out, 'status');
  return dropEmptyArrays(out);
}

/** A defaulted copy of a PodSpec, for callers that build pods from templates. */
export function defaultPodSpec(spec: PodSpec, opts: PodSpecDefaultOptions): PodSpec {
  return dropEmptyArrays(defaultPodSpecInPlace(copyWithoutNulls(spec), opts));
}

function defaultObjectMeta(meta: ObjectMeta, namespaced: boolean): ObjectMeta {
  if (namespaced && !meta.namespace) meta.namespace = DEFAULT_NAMESPACE;
  dropZero(meta, ['generateName', 'uid', 'resourceVersion', 'selfLink', 'generation']);
  dropEmptyMaps(meta, ['labels', 'annotations']);
  return meta;
}

function defaultPodSpecInPlace(spec: PodSpec, opts: PodSpecDefaultOptions): PodSpec {
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  if (spec.securityContext === undefined) spec.securityContext = {};
  if (spec.terminationGracePeriodSeconds === undefined) {
    spec.terminationGracePeriodSeconds = DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  }
  if (!spec.schedulerName) spec.schedulerName = DEFAULT_SCHEDULER_NAME;
  if (opts.forPod && spec.enableServiceLinks === undefined) spec.enableServiceLinks = true;

  const hostPortsFromContainerPorts = opts.forPod && spec.hostNetwork === true;
  for (const c of spec.containers ?? []) defaultContainer(c, opts.forPod, hostPortsFromContainerPorts);
  for (const c of spec.initContainers ?? []) defaultContainer(c, opts.forPod, hostPortsFromContainerPorts);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c, false, false);
  for (const v of spec.volumes ?? []) defaultVolume(v);
  for (const t of spec.tolerations ?? []) dropZero(t, ['key', 'operator', 'value', 'effect']);
  if (spec.overhead) spec.overhead = canonicalResourceList(spec.overhead);

  dropZero(spec, [
    'serviceAccountName',
    'serviceAccount',
    'nodeName',
    'hostNetwork',
    'hostPID',
    'hostIPC',
    'hostname',
    'subdomain',
    'priorityClassName',
  ]);
  dropEmptyMaps(spec, ['nodeSelector', 'overhead']);
  return spec;
}

function defaultContainer(c: Container | EphemeralContainer, forPod: boolean, hostPortsFromContainerPorts: boolean): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = defaultPullPolicy(c.image);
  if (!c.terminationMessagePath) c.terminationMessagePath = DEFAULT_TERMINATION_MESSAGE_PATH;
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';

  for (const p of c.ports ?? []) {
    if (!p.protocol) p.protocol = 'TCP';
    if (hostPortsFromContainerPorts && !p.hostPort) p.hostPort = p.containerPort;
    dropZero(p, ['name', 'hostPort', 'hostIP']);
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef) defaultFieldRef(e.valueFrom.fieldRef);
    if (e.valueFrom?.resourceFieldRef) defaultResourceFieldRef(e.valueFrom.resourceFieldRef);
    dropZero(e, ['value']);
  }
  for (const m of c.volumeMounts ?? []) dropZero(m, ['readOnly', 'subPath', 'subPathExpr']);
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) if (probe) defaultProbe(probe);
  if (c.lifecycle) defaultLifecycle(c.lifecycle);

  if (c.resources) {
    const r = c.resources;
    if (r.limits) r.limits = canonicalResourceList(r.limits);
    if (r.requests) r.requests = canonicalResourceList(r.requests);
    if (forPod && r.limits) {
      // SetDefaults_Pod: a resource with a limit and no request is requested at its limit.
      const requests = { ...(r.requests ?? {}) };
      for (const [name, limit] of Object.entries(r.limits)) if (!(name in requests)) requests[name] = limit;
      r.requests = requests;
    }
    dropEmptyMaps(r, ['limits', 'requests']);
    dropEmptyObject(c, 'resources');
  }
  dropZero(c, ['image', 'workingDir', 'stdin', 'stdinOnce', 'tty']);
}

function defaultProbe(p: Probe): void {
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  if (p.httpGet) defaultHTTPGet(p.httpGet);
  dropZero(p, ['initialDelaySeconds']);
}

function defaultLifecycle(l: Lifecycle): void {
  for (const handler of [l.postStart, l.preStop]) if (handler?.httpGet) defaultHTTPGet(handler.httpGet);
}

function defaultHTTPGet(h: HTTPGetAction): void {
  if (!h.path) h.path = '/';
  if (!h.scheme) h.scheme = 'HTTP';
  dropZero(h, ['host']);
}

function defaultFieldRef(f: ObjectFieldSelector): void {
  if (!f.apiVersion) f.apiVersion = 'v1';
}

function defaultResourceFieldRef(r: ResourceFieldSelector): void {
  if (r.divisor !== undefined) r.divisor = canonicalOrSame(r.divisor);
  dropZero(r, ['containerName']);
}

function defaultVolume(v: Volume): void {
  const hasSource = Object.keys(v).some((k) => k !== 'name');
  if (!hasSource) v.emptyDir = {};
  if (v.hostPath && v.hostPath.type === undefined) v.hostPath.type = '';
  if (v.emptyDir) {
    dropZero(v.emptyDir, ['medium']);
    if (v.emptyDir.sizeLimit !== undefined) v.emptyDir.sizeLimit = canonicalOrSame(v.emptyDir.sizeLimit);
  }
  if (v.downwardAPI) {
    if (v.downwardAPI.defaultMode === undefined) v.downwardAPI.defaultMode = DEFAULT_VOLUME_MODE;
    for (const item of v.downwardAPI.items ?? []) {
      if (item.fieldRef) defaultFieldRef(item.fieldRef);
      if (item.resourceFieldRef) defaultResourceFieldRef(item.resourceFieldRef);
    }
  }
  if (v.secret && v.secret.defaultMode === undefined) v.secret.defaultMode = DEFAULT_VOLUME_MODE;
  if (v.configMap && v.configMap.defaultMode === undefined) v.configMap.defaultMode = DEFAULT_VOLUME_MODE;
  if (v.projected) {
    if (v.projected.defaultMode === undefined) v.projected.defaultMode = DEFAULT_VOLUME_MODE;
    for (const s of v.projected.sources ?? []) defaultProjection(s);
  }
}

function defaultProjection(s: VolumeProjection): void {
  for (const item of s.downwardAPI?.items ?? []) {
    if (item.fieldRef) defaultFieldRef(item.fieldRef);
    if (item.resourceFieldRef) defaultResourceFieldRef(item.resourceFieldRef);
  }
  if (s.serviceAccountToken && s.serviceAccountToken.expirationSeconds === undefined) {
    s.serviceAccountToken.expirationSeconds = 3600;
  }
}

/**
 * SetDefaults_ResourceList rounds every value up to milli-units; the quantity is then
 * written in canonical form. A value that does not parse is kept as written so that
 * validation can report it.
 */
function canonicalResourceList(list: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(list)) {
    const parsed = parseQuantityStrict(value);
    out[name] = parsed.ok ? formatQuantity(roundUpToMilli(parsed.quantity)) : value;
  }
  return out;
}

function canonicalOrSame(value: string): string {
  const parsed = parseQuantityStrict(value);
  return parsed.ok ? formatQuantity(parsed.quantity) : value;
}

// --- Go round-trip normalisation ------------------------------------------------------------

/** Non-pointer Go fields tagged omitempty vanish when zero: false, 0 or "". */
function dropZero<T extends object>(obj: T, keys: readonly (keyof T)[]): void {
  for (const k of keys) {
    const v = obj[k];
    if (v === false || v === 0 || v === '') Reflect.deleteProperty(obj, k);
  }
}

/** Map fields with omitempty vanish when empty. */
function dropEmptyMaps<T extends object>(obj: T, keys: readonly (keyof T)[]): void {
  for (const k of keys) {
    const v = obj[k];
    if (isPlainObject(v) && Object.keys(v).length === 0) Reflect.deleteProperty(obj, k);
  }
}

/** Non-pointer structs that carry nothing (`resources: {}`, `status: {}`) are dropped for a single spelling. */
function dropEmptyObject<T extends object>(obj: T, key: keyof T): void {
  const v = obj[key];
  if (isPlainObject(v) && Object.keys(v).length === 0) Reflect.deleteProperty(obj, key);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A deep copy of decoded manifest data (plain objects, arrays, scalars) without its null
 * members: JSON null decodes to a nil pointer or a zero value, either way the member is
 * absent. Null list items are kept. A value reached twice (a YAML alias) is copied once and
 * shared, as structuredClone does. Written out instead of `structuredClone` followed by a
 * null-dropping pass because it runs for every manifest and is several times faster.
 */
function copyWithoutNulls<T>(value: T): T {
  return copyData(value, new Map()) as T;
}

function copyData(value: unknown, copies: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const copied = copies.get(value);
  if (copied !== undefined) return copied;
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    copies.set(value, items);
    for (const item of value) items.push(copyData(item, copies));
    return items;
  }
  const out: Record<string, unknown> = {};
  copies.set(value, out);
  for (const key of Object.keys(value)) {
    const member = (value as Record<string, unknown>)[key];
    if (member === null) continue;
    // `out.__proto__ = ...` would set the prototype: a decoded `__proto__` key must stay a plain member.
    if (key === '__proto__') Object.defineProperty(out, key, { value: copyData(member, copies), enumerable: true, writable: true, configurable: true });
    else out[key] = copyData(member, copies);
  }
  return out;
}

/** Every list in these types is an omitempty slice: an empty list is the same as none. */
function dropEmptyArrays<T>(value: T): T {
  if (Array.isArray(value)) {
    for (const item of value) dropEmptyArrays(item);
  } else if (isPlainObject(value)) {
    for (const k of Object.keys(value)) {
      const v = value[k];
      if (Array.isArray(v) && v.length === 0) delete value[k];
      else dropEmptyArrays(v);
    }
  }
  return value;
}
