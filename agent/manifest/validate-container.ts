// Containers and init containers, in the order validateContainers / validateInitContainers /
// validateContainerCommon report their errors (pkg/apis/core/validation/validation.go).
import type {
  Container,
  ContainerPort,
  EnvFromSource,
  EnvVar,
  ExecAction,
  HTTPGetAction,
  Lifecycle,
  LifecycleHandler,
  PodSpec,
  Probe,
  ResourceRequirements,
  SecurityContext,
  Volume,
  VolumeMount,
} from 'kubernetes-types/core/v1.js';
import { isSidecar } from '../core/containers.js';
import { type FieldIssue, GoLiteral, duplicate, fieldPath, forbidden, invalid, notFound, notSupported, required } from './field-issue.js';
import {
  NEGATIVE_ERROR,
  isQualifiedName,
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isHTTPHeaderName,
  isRelaxedEnvVarName,
  isValidGroupID,
  isValidPortName,
  isValidPortNum,
  isValidUserID,
} from './names.js';
import { type ParsedQuantity, formatQuantity, parseQuantityStrict } from './quantity.js';
import { ENV_FIELD_PATHS, validateObjectFieldSelector, validateResourceFieldSelector } from './validate-downward-api.js';
import { validateLocalDescendingPath } from './validate-volumes.js';
import { validateAppArmorProfileField } from './validate-pod-annotations.js';
import { validateSeccompProfile } from './validate-security.js';

export interface ContainerContext {
  /** Volumes that validated cleanly; a mount of any other name is `Not found`. */
  readonly volumes: ReadonlyMap<string, Volume>;
  /** spec.terminationGracePeriodSeconds, bounding lifecycle sleep actions. */
  readonly gracePeriod: number | undefined;
  /** spec.hostUsers: `procMount: Unmasked` needs a user namespace (hostUsers: false). */
  readonly hostUsers?: boolean | undefined;
}

export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
export const PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
export const MOUNT_PROPAGATIONS = ['Bidirectional', 'HostToContainer', 'None'] as const;
export const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'] as const;
const HTTP_SCHEMES = ['HTTP', 'HTTPS'] as const;

/** validateContainers: regular containers, names unique among them, host ports across all. */
export function validateContainers(containers: readonly Container[] | undefined, path: string, ctx: ContainerContext): FieldIssue[] {
  if (!containers || containers.length === 0) return [required(path)];
  const errs: FieldIssue[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const p = fieldPath.index(path, i);
    errs.push(...validateContainerCommon(c, p, ctx));
    if (names.has(c.name)) errs.push(duplicate(fieldPath.child(p, 'name'), c.name));
    else names.add(c.name);
    if (c.lifecycle) errs.push(...validateLifecycle(c.lifecycle, fieldPath.child(p, 'lifecycle'), ctx));
    errs.push(...validateLivenessOrStartupProbe(c.livenessProbe, fieldPath.child(p, 'livenessProbe')));
    errs.push(...validateReadinessProbe(c.readinessProbe, fieldPath.child(p, 'readinessProbe')));
    errs.push(...validateLivenessOrStartupProbe(c.startupProbe, fieldPath.child(p, 'startupProbe')));
    if (c.restartPolicy !== undefined) errs.push(forbidden(fieldPath.child(p, 'restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(...checkHostPortConflicts(containers, path));
  return errs;
}

const NOT_FOR_INIT = 'may not be set for init containers without restartPolicy=Always';

/** validateInitContainers: names unique across init and regular containers; sidecars may have probes. */
export function validateInitContainers(
  initContainers: readonly Container[] | undefined,
  regular: readonly Container[] | undefined,
  path: string,
  ctx: ContainerContext,
): FieldIssue[] {
  const errs: FieldIssue[] = [];
  const names = new Set((regular ?? []).map((c) => c.name));
  (initContainers ?? []).forEach((c, i) => {
    const p = fieldPath.index(path, i);
    errs.push(...validateContainerCommon(c, p, ctx));
    let sidecar = false;
    if (c.restartPolicy !== undefined) {
      if (c.restartPolicy !== 'Always') errs.push(notSupported(fieldPath.child(p, 'restartPolicy'), c.restartPolicy, ['Always']));
      sidecar = isSidecar(c);
    }
    if (names.has(c.name)) errs.push(duplicate(fieldPath.child(p, 'name'), c.name));
    else if (c.name) names.add(c.name);
    // Init containers run one at a time, so each is checked for host-port conflicts alone.
    errs.push(...checkHostPortConflicts([c], path));
    if (sidecar) {
      if (c.lifecycle) errs.push(...validateLifecycle(c.lifecycle, fieldPath.child(p, 'lifecycle'), ctx));
      errs.push(...validateLivenessOrStartupProbe(c.livenessProbe, fieldPath.child(p, 'livenessProbe')));
      errs.push(...validateReadinessProbe(c.readinessProbe, fieldPath.child(p, 'readinessProbe')));
      errs.push(...validateLivenessOrStartupProbe(c.startupProbe, fieldPath.child(p, 'startupProbe')));
    } else {
      if (c.lifecycle) errs.push(forbidden(fieldPath.child(p, 'lifecycle'), NOT_FOR_INIT));
      if (c.livenessProbe) errs.push(forbidden(fieldPath.child(p, 'livenessProbe'), NOT_FOR_INIT));
      if (c.readinessProbe) errs.push(forbidden(fieldPath.child(p, 'readinessProbe'), NOT_FOR_INIT));
      if (c.startupProbe) errs.push(forbidden(fieldPath.child(p, 'startupProbe'), NOT_FOR_INIT));
    }
  });
  return errs;
}

/** The API server's check of a Pod's image (validateContainerOnlyForPod): no surrounding whitespace. */
export function imageWhitespaceIssue(image: string, field: string): FieldIssue | undefined {
  return image.length !== image.trim().length ? invalid(field, image, 'must not have leading or trailing whitespace') : undefined;
}

/** validateContainerOnlyForPod: pods (not templates) reject an image padded with whitespace. */
export function validateContainersOnlyForPod(containers: readonly Container[] | undefined, path: string): FieldIssue[] {
  return (containers ?? []).flatMap((c, i) => imageWhitespaceIssue(c.image ?? '', fieldPath.child(fieldPath.index(path, i), 'image')) ?? []);
}

function validateContainerCommon(c: Container, path: string, ctx: ContainerContext): FieldIssue[] {
  const errs: FieldIssue[] = [];
  const namePath = fieldPath.child(path, 'name');
  if (!c.name) errs.push(required(namePath));
  else errs.push(...isDNS1123Label(c.name).map((m) => invalid(namePath, c.name, m)));
  if (!c.image) errs.push(required(fieldPath.child(path, 'image')));

  const tmp = c.terminationMessagePolicy ?? '';
  if (tmp === '') errs.push(required(fieldPath.child(path, 'terminationMessagePolicy')));
  else if (!(TERMINATION_MESSAGE_POLICIES as readonly string[]).includes(tmp)) {
    errs.push(notSupported(fieldPath.child(path, 'terminationMessagePolicy'), tmp, TERMINATION_MESSAGE_POLICIES));
  }
  errs.push(...validateContainerPorts(c.ports, fieldPath.child(path, 'ports')));
  errs.push(...validateEnv(c.env, fieldPath.child(path, 'env')));
  errs.push(...validateEnvFrom(c.envFrom, fieldPath.child(path, 'envFrom')));
  errs.push(...validateVolumeMounts(c.volumeMounts, c, fieldPath.child(path, 'volumeMounts'), ctx));
  errs.push(...validatePullPolicy(c.imagePullPolicy, fieldPath.child(path, 'imagePullPolicy')));
  errs.push(...validateResources(c.resources, fieldPath.child(path, 'resources')));
  errs.push(...validateSecurityContext(c.securityContext, fieldPath.child(path, 'securityContext'), ctx.hostUsers));
  return errs;
}

function validateContainerPorts(ports: readonly ContainerPort[] | undefined, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((port, i) => {
    const p = fieldPath.index(path, i);
    if (port.name) {
      const msgs = isValidPortName(port.name);
      if (msgs.length > 0) errs.push(...msgs.map((m) => invalid(fieldPath.child(p, 'name'), port.name, m)));
      else if (names.has(port.name)) errs.push(duplicate(fieldPath.child(p, 'name'), port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(required(fieldPath.child(p, 'containerPort')));
    else errs.push(...isValidPortNum(port.containerPort).map((m) => invalid(fieldPath.child(p, 'containerPort'), port.containerPort, m)));
    if (port.hostPort) errs.push(...isValidPortNum(port.hostPort).map((m) => invalid(fieldPath.child(p, 'hostPort'), port.hostPort, m)));
    if (!port.protocol) errs.push(required(fieldPath.child(p, 'protocol')));
    else if (!(PORT_PROTOCOLS as readonly string[]).includes(port.protocol)) {
      errs.push(notSupported(fieldPath.child(p, 'protocol'), port.protocol, PORT_PROTOCOLS));
    }
  });
  return errs;
}

/** AccumulateUniqueHostPorts: `<protocol>/<hostIP>/<hostPort>` must be unique. */
function checkHostPortConflicts(containers: readonly Container[], path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    (c.ports ?? []).forEach((port, pi) => {
      if (!port.hostPort) return;
      const key = `${port.protocol ?? ''}/${port.hostIP ?? ''}/${port.hostPort}`;
      const p = fieldPath.child(fieldPath.index(fieldPath.child(fieldPath.index(path, ci), 'ports'), pi), 'hostPort');
      if (seen.has(key)) errs.push(duplicate(p, key));
      else seen.add(key);
    });
  });
  return errs;
}

function validateEnv(env: readonly EnvVar[] | undefined, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  (env ?? []).forEach((ev, i) => {
    const p = fieldPath.index(path, i);
    if (!ev.name) errs.push(required(fieldPath.child(p, 'name')));
    else errs.push(...isRelaxedEnvVarName(ev.name).map((m) => invalid(fieldPath.child(p, 'name'), ev.name, m)));
    errs.push(...validateEnvVarValueFrom(ev, fieldPath.child(p, 'valueFrom')));
  });
  return errs;
}

function validateEnvVarValueFrom(ev: EnvVar, path: string): FieldIssue[] {
  const from = ev.valueFrom;
  if (!from) return [];
  const errs: FieldIssue[] = [];
  let n = 0;
  if (from.fieldRef) {
    n++;
    errs.push(...validateObjectFieldSelector(from.fieldRef, ENV_FIELD_PATHS, fieldPath.child(path, 'fieldRef')));
  }
  if (from.resourceFieldRef) {
    n++;
    errs.push(...validateResourceFieldSelector(from.resourceFieldRef, fieldPath.child(path, 'resourceFieldRef'), false));
  }
  if (from.configMapKeyRef) {
    n++;
    errs.push(...validateKeySelector(from.configMapKeyRef.name, from.configMapKeyRef.key, fieldPath.child(path, 'configMapKeyRef')));
  }
  if (from.secretKeyRef) {
    n++;
    errs.push(...validateKeySelector(from.secretKeyRef.name, from.secretKeyRef.key, fieldPath.child(path, 'secretKeyRef')));
  }
  // fileKeyRef (EnvFiles, beta and on by default since 1.35): a key of an env file in an emptyDir.
  const fileKeyRef = (from as typeof from & { fileKeyRef?: { volumeName?: string; path?: string; key?: string } }).fileKeyRef;
  if (fileKeyRef) {
    n++;
    for (const member of ['volumeName', 'path', 'key'] as const) {
      if (!fileKeyRef[member]) errs.push(required(fieldPath.child(path, 'fileKeyRef', member)));
    }
  }
  if (n === 0) errs.push(invalid(path, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`'));
  else if (ev.value) errs.push(invalid(path, '', 'may not be specified when `value` is not empty'));
  else if (n > 1) errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  return errs;
}

function validateKeySelector(name: string | undefined, key: string, path: string): FieldIssue[] {
  const errs = isDNS1123Subdomain(name ?? '').map((m) => invalid(fieldPath.child(path, 'name'), name ?? '', m));
  if (!key) errs.push(required(fieldPath.child(path, 'key')));
  else errs.push(...isConfigMapKey(key).map((m) => invalid(fieldPath.child(path, 'key'), key, m)));
  return errs;
}

function validateEnvFrom(envFrom: readonly EnvFromSource[] | undefined, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  (envFrom ?? []).forEach((ev, i) => {
    const p = fieldPath.index(path, i);
    if (ev.prefix) errs.push(...isRelaxedEnvVarName(ev.prefix).map((m) => invalid(fieldPath.child(p, 'prefix'), ev.prefix, m)));
    let n = 0;
    for (const [key, ref] of [['configMapRef', ev.configMapRef], ['secretRef', ev.secretRef]] as const) {
      if (!ref) continue;
      n++;
      const namePath = fieldPath.child(p, key, 'name');
      if (!ref.name) errs.push(required(namePath));
      else errs.push(...isDNS1123Subdomain(ref.name).map((m) => invalid(namePath, ref.name, m)));
    }
    if (n === 0) errs.push(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

/**
 * ValidateVolumeMounts. Upstream quirk kept on purpose: subPath, subPathExpr and
 * mountPropagation errors name the list (`volumeMounts.subPath`), not the entry.
 */
function validateVolumeMounts(mounts: readonly VolumeMount[] | undefined, c: Container, path: string, ctx: ContainerContext): FieldIssue[] {
  const errs: FieldIssue[] = [];
  const mountPoints = new Set<string>();
  (mounts ?? []).forEach((m, i) => {
    const p = fieldPath.index(path, i);
    if (!m.name) errs.push(required(fieldPath.child(p, 'name')));
    if (!ctx.volumes.has(m.name)) errs.push(notFound(fieldPath.child(p, 'name'), m.name));
    if (!m.mountPath) errs.push(required(fieldPath.child(p, 'mountPath')));
    if (mountPoints.has(m.mountPath)) errs.push(invalid(fieldPath.child(p, 'mountPath'), m.mountPath, 'must be unique'));
    mountPoints.add(m.mountPath);
    if (m.subPath) errs.push(...validateLocalDescendingPath(m.subPath, fieldPath.child(path, 'subPath')));
    if (m.subPathExpr) {
      if (m.subPath) errs.push(invalid(fieldPath.child(p, 'subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(m.subPathExpr, fieldPath.child(path, 'subPathExpr')));
    }
    if (m.mountPropagation !== undefined) errs.push(...validateMountPropagation(m.mountPropagation, c, fieldPath.child(path, 'mountPropagation')));
    errs.push(...validateRecursiveReadOnly(m, fieldPath.child(path, 'recursiveReadOnly')));
  });
  return errs;
}

function validateMountPropagation(mode: string, c: Container, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  if (!(MOUNT_PROPAGATIONS as readonly string[]).includes(mode)) errs.push(notSupported(path, mode, MOUNT_PROPAGATIONS));
  if (mode === 'Bidirectional' && c.securityContext?.privileged !== true) {
    errs.push(forbidden(path, 'Bidirectional mount propagation is available only to privileged containers'));
  }
  return errs;
}

function validateRecursiveReadOnly(m: VolumeMount, path: string): FieldIssue[] {
  const rro = m.recursiveReadOnly;
  if (rro === undefined || rro === 'Disabled') return [];
  if (rro === 'Enabled' || rro === 'IfPossible') {
    const errs: FieldIssue[] = [];
    if (!m.readOnly) errs.push(forbidden(path, 'may only be specified when readOnly is true'));
    if (m.mountPropagation !== undefined && m.mountPropagation !== 'None') {
      errs.push(forbidden(path, 'may only be specified when mountPropagation is None or not specified'));
    }
    return errs;
  }
  return [notSupported(path, rro, ['Disabled', 'Enabled', 'IfPossible'])];
}

function validatePullPolicy(policy: string | undefined, path: string): FieldIssue[] {
  if (!policy) return [required(path)];
  return (PULL_POLICIES as readonly string[]).includes(policy) ? [] : [notSupported(path, policy, PULL_POLICIES)];
}

// --- probes and lifecycle -------------------------------------------------------------------

function validateLivenessOrStartupProbe(probe: Probe | undefined, path: string): FieldIssue[] {
  if (!probe) return [];
  const errs = validateProbe(probe, path);
  if (probe.successThreshold !== 1) errs.push(invalid(fieldPath.child(path, 'successThreshold'), probe.successThreshold ?? 0, 'must be 1'));
  return errs;
}

function validateReadinessProbe(probe: Probe | undefined, path: string): FieldIssue[] {
  if (!probe) return [];
  const errs = validateProbe(probe, path);
  if (probe.terminationGracePeriodSeconds !== undefined) {
    errs.push(invalid(fieldPath.child(path, 'terminationGracePeriodSeconds'), probe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  }
  return errs;
}

function validateProbe(probe: Probe, path: string): FieldIssue[] {
  const errs = validateHandler(
    { exec: probe.exec, httpGet: probe.httpGet, tcpSocket: probe.tcpSocket, grpc: probe.grpc },
    path,
    undefined,
  );
  for (const key of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    const v = probe[key] ?? 0;
    if (v < 0) errs.push(invalid(fieldPath.child(path, key), v, NEGATIVE_ERROR));
  }
  if (probe.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds <= 0) {
    errs.push(invalid(fieldPath.child(path, 'terminationGracePeriodSeconds'), probe.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  return errs;
}

function validateLifecycle(lifecycle: Lifecycle, path: string, ctx: ContainerContext): FieldIssue[] {
  const errs: FieldIssue[] = [];
  for (const [key, handler] of [['postStart', lifecycle.postStart], ['preStop', lifecycle.preStop]] as const) {
    if (handler) errs.push(...validateHandler(handlerOf(handler), fieldPath.child(path, key), ctx.gracePeriod));
  }
  return errs;
}

interface CommonHandler {
  readonly exec?: ExecAction;
  readonly httpGet?: HTTPGetAction;
  readonly tcpSocket?: { port: number | string };
  readonly grpc?: { port: number };
  readonly sleep?: { seconds: number };
}

function handlerOf(h: LifecycleHandler): CommonHandler {
  return { exec: h.exec, httpGet: h.httpGet, tcpSocket: h.tcpSocket, sleep: h.sleep };
}

/** validateHandler: exactly one handler; later ones are "may not specify more than 1 handler type". */
function validateHandler(h: CommonHandler, path: string, gracePeriod: number | undefined): FieldIssue[] {
  const errs: FieldIssue[] = [];
  let n = 0;
  const more = (key: string): FieldIssue => forbidden(fieldPath.child(path, key), 'may not specify more than 1 handler type');
  if (h.exec) {
    n++;
    if (!h.exec.command || h.exec.command.length === 0) errs.push(required(fieldPath.child(path, 'exec', 'command')));
  }
  if (h.httpGet) {
    if (n > 0) errs.push(more('httpGet'));
    else {
      n++;
      errs.push(...validateHTTPGet(h.httpGet, fieldPath.child(path, 'httpGet')));
    }
  }
  if (h.tcpSocket) {
    if (n > 0) errs.push(more('tcpSocket'));
    else {
      n++;
      errs.push(...validatePortNumOrName(h.tcpSocket.port, fieldPath.child(path, 'tcpSocket', 'port')));
    }
  }
  if (h.grpc) {
    if (n > 0) errs.push(more('grpc'));
    else {
      n++;
      errs.push(...validatePortNumOrName(h.grpc.port, fieldPath.child(path, 'grpc', 'port')));
    }
  }
  if (h.sleep) {
    if (n > 0) errs.push(more('sleep'));
    else {
      n++;
      const s = h.sleep.seconds;
      // PodLifecycleSleepActionAllowZero (on by default since 1.33) allows 0.
      if (gracePeriod !== undefined && (s < 0 || s > gracePeriod)) {
        errs.push(invalid(fieldPath.child(path, 'sleep'), s, `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`));
      }
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

function validateHTTPGet(h: HTTPGetAction, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  if (!h.path) errs.push(required(fieldPath.child(path, 'path')));
  errs.push(...validatePortNumOrName(h.port, fieldPath.child(path, 'port')));
  if (!(HTTP_SCHEMES as readonly string[]).includes(h.scheme ?? '')) errs.push(notSupported(fieldPath.child(path, 'scheme'), h.scheme ?? '', HTTP_SCHEMES));
  for (const header of h.httpHeaders ?? []) {
    errs.push(...isHTTPHeaderName(header.name).map((m) => invalid(fieldPath.child(path, 'httpHeaders'), header.name, m)));
  }
  return errs;
}

/** ValidatePortNumOrName: an int is a port number, a string an IANA service name. */
export function validatePortNumOrName(port: number | string | undefined, path: string): FieldIssue[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(path, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(path, port, m));
  return [invalid(path, 0, 'must be between 1 and 65535, inclusive')];
}

// --- resources ------------------------------------------------------------------------------

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const STANDARD_RESOURCES = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'storage', 'pods', 'services', 'replicationcontrollers', 'resourcequotas',
  'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers',
  'requests.cpu', 'requests.memory', 'requests.storage', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
]);

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}

/** Native resources (no prefix, or a kubernetes.io prefix) other than huge pages may be overcommitted. */
function isOvercommitAllowed(name: string): boolean {
  const native = !name.includes('/') || name.includes('kubernetes.io/');
  return native && !isHugePages(name);
}

/** ValidateResourceName: a qualified name, standard unless it has a prefix. */
function validateStandardResourceName(name: string, path: string): FieldIssue[] {
  const errs: FieldIssue[] = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (errs.length > 0) return errs;
  if (!name.includes('/') && !STANDARD_RESOURCES.has(name) && !isHugePages(name) && !name.startsWith('requests.hugepages-')) {
    errs.push(invalid(path, name, 'must be a standard resource type or fully qualified'));
  }
  return errs;
}

/** validateContainerResourceName. */
function validateResourceName(name: string, path: string): FieldIssue[] {
  const errs = validateStandardResourceName(name, path);
  if (isQualifiedName(name).length > 0) return errs;
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) {
      errs.push(invalid(path, name, 'must be a standard resource for containers'));
    }
  }
  return errs;
}

/** Extended resources (a prefix other than kubernetes.io) are counted in whole units. */
function isIntegerResource(name: string): boolean {
  return name.includes('/') && !name.includes('kubernetes.io/');
}

function parseResourceQuantity(name: string, value: unknown, path: string, errs: FieldIssue[]): ParsedQuantity | undefined {
  const text = typeof value === 'number' ? value : String(value);
  const parsed = parseQuantityStrict(text);
  if (!parsed.ok) {
    errs.push(invalid(path, String(value), parsed.error));
    return undefined;
  }
  const q = parsed.quantity;
  if (q.nano < 0n) errs.push(invalid(path, formatQuantity(q), NEGATIVE_ERROR));
  // ValidateResourceQuantityValue prints the Quantity through String(), unquoted.
  if (isIntegerResource(name) && q.nano % 1_000_000_000n !== 0n) errs.push(invalid(path, new GoLiteral(formatQuantity(q)), 'must be an integer'));
  return q;
}

/** ValidateResourceRequirements: names, non-negative quantities, request <= limit. */
export function validateResources(r: ResourceRequirements | undefined, path: string): FieldIssue[] {
  const errs: FieldIssue[] = [];
  if (!r) return errs;
  const limPath = fieldPath.child(path, 'limits');
  const reqPath = fieldPath.child(path, 'requests');
  const limits = new Map<string, ParsedQuantity>();
  for (const name of Object.keys(r.limits ?? {}).sort()) {
    const p = fieldPath.key(limPath, name);
    errs.push(...validateResourceName(name, p));
    const q = parseResourceQuantity(name, r.limits?.[name], p, errs);
    if (q) limits.set(name, q);
  }
  for (const name of Object.keys(r.requests ?? {}).sort()) {
    const p = fieldPath.key(reqPath, name);
    errs.push(...validateResourceName(name, p));
    const q = parseResourceQuantity(name, r.requests?.[name], p, errs);
    if (!q) continue;
    const limit = limits.get(name);
    if (limit) {
      if (q.nano !== limit.nano && !isOvercommitAllowed(name)) {
        errs.push(invalid(reqPath, formatQuantity(q), `must be equal to ${name} limit of ${formatQuantity(limit)}`));
      } else if (q.nano > limit.nano) {
        errs.push(invalid(reqPath, formatQuantity(q), `must be less than or equal to ${name} limit of ${formatQuantity(limit)}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

/** resourcehelper.SupportedPodLevelResources (huge pages are supported too, by IsSupportedPodLevelResource). */
const POD_LEVEL_RESOURCES = ['cpu', 'memory'] as const;

/**
 * validatePodResources / validatePodResourceRequirements: pod-level `spec.resources` takes only
 * cpu, memory and huge pages (validatePodResourceName), no claims, non-negative quantities and
 * requests at most the limits.
 */
export function validatePodLevelResources(spec: PodSpec, r: ResourceRequirements | undefined, path: string): FieldIssue[] {
  if (!r) return [];
  const errs: FieldIssue[] = [];
  if (r.claims !== undefined) errs.push(forbidden(fieldPath.child(path, 'claims'), 'claims cannot be set for Resources at pod-level'));
  const nameIssues = (name: string, p: string): FieldIssue[] => {
    const issues = validateStandardResourceName(name, p);
    if (issues.length > 0) return issues;
    return (POD_LEVEL_RESOURCES as readonly string[]).includes(name) || isHugePages(name) ? [] : [notSupported(p, name, POD_LEVEL_RESOURCES)];
  };
  const limPath = fieldPath.child(path, 'limits');
  const reqPath = fieldPath.child(path, 'requests');
  const limits = new Map<string, ParsedQuantity>();
  for (const name of Object.keys(r.limits ?? {}).sort()) {
    const p = fieldPath.key(limPath, name);
    errs.push(...nameIssues(name, p));
    const q = parseResourceQuantity(name, r.limits?.[name], p, errs);
    if (q) limits.set(name, q);
  }
  for (const name of Object.keys(r.requests ?? {}).sort()) {
    const p = fieldPath.key(reqPath, name);
    errs.push(...nameIssues(name, p));
    const q = parseResourceQuantity(name, r.requests?.[name], p, errs);
    const limit = limits.get(name);
    if (q && limit && q.nano > limit.nano) {
      errs.push(invalid(reqPath, formatQuantity(q), `must be less than or equal to ${name} limit of ${formatQuantity(limit)}`));
    }
  }
  // validatePodResourceConsistency, its second half: no container limit above the pod's (the
  // path is upstream's). The first half, pod requests >= the aggregate container requests
  // (resourcehelper.AggregateContainerRequests, init containers and sidecars included), is not
  // checked here.
  (spec.containers ?? []).forEach((c, i) => {
    for (const name of Object.keys(c.resources?.limits ?? {}).sort()) {
      const podLimit = limits.get(name);
      const parsed = parseQuantityStrict(c.resources?.limits?.[name] ?? '');
      if (podLimit === undefined || !parsed.ok || parsed.quantity.nano <= podLimit.nano) continue;
      const p = fieldPath.child(fieldPath.key(fieldPath.index(fieldPath.child(path, 'containers'), i), name), 'limits');
      errs.push(invalid(p, formatQuantity(parsed.quantity), `must be less than or equal to pod limits of ${formatQuantity(podLimit)}`));
    }
  });
  return errs;
}

// --- container security context -------------------------------------------------------------

function validateSecurityContext(sc: SecurityContext | undefined, path: string, hostUsers: boolean | undefined): FieldIssue[] {
  if (!sc) return [];
  const errs: FieldIssue[] = [];
  if (sc.runAsUser !== undefined) errs.push(...isValidUserID(sc.runAsUser).map((m) => invalid(fieldPath.child(path, 'runAsUser'), sc.runAsUser, m)));
  if (sc.runAsGroup !== undefined) errs.push(...isValidGroupID(sc.runAsGroup).map((m) => invalid(fieldPath.child(path, 'runAsGroup'), sc.runAsGroup, m)));
  if (sc.procMount !== undefined) {
    if (sc.procMount !== 'Default' && sc.procMount !== 'Unmasked') {
      errs.push(notSupported(fieldPath.child(path, 'procMount'), sc.procMount, ['Default', 'Unmasked']));
    } else if (sc.procMount === 'Unmasked' && hostUsers !== false) {
      // validateContainerCommon: only a pod in its own user namespace may unmask /proc.
      errs.push(invalid(fieldPath.child(path, 'procMount'), sc.procMount, '`hostUsers` must be false to use `Unmasked`'));
    }
  }
  errs.push(...validateSeccompProfile(sc.seccompProfile, fieldPath.child(path, 'seccompProfile')));
  errs.push(...validateAppArmorProfileField(sc.appArmorProfile, fieldPath.child(path, 'appArmorProfile')));
  return errs;
}
