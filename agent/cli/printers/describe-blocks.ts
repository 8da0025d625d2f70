// The building blocks that `kubectl describe pod|daemonset|node` (describe-pod.ts,
// describe-daemonset.ts, describe-node.ts) and describe.DescribePodTemplate
// (daemonset/rollout-messages.ts) share in staging/src/k8s.io/kubectl/pkg/describe/describe.go:
// PrefixWriter, the multiline label / annotation / toleration printers, describeContainers,
// describeVolumes, DescribeProbe and DescribeEvents. Pure: every block appends to a PrefixWriter.
import type { Container, ContainerState, ContainerStatus, EnvVar, Probe, Toleration, Volume } from 'kubernetes-types/core/v1.js';
import type { NodeletEvent } from '../../events/event-store.js';
import { goQuote } from '../../manifest/field-issue.js';
import { canonicalQuantity, quantityNano } from '../../manifest/quantity.js';
import { ageSince } from './duration.js';

/** Text that the tabwriter aligns; `write` prefixes two spaces per level, like PrefixWriter. */
export class PrefixWriter {
  text = '';
  write(level: number, s: string): void {
    this.text += '  '.repeat(level) + s;
  }
}

/**
 * How the two printers differ. The indentation and the port names are intended; the other
 * fields keep apart what each printer has printed so far, where one of them departs from
 * describe.go (noted on each field), so that sharing the code changed no output.
 */
export interface DescribeStyle {
  /** Before the level-0 section titles (`Containers:`, `Volumes:`): DescribePodTemplate's "  ". */
  readonly titleIndent: string;
  /** Before the level-1 container and volume names. */
  readonly nameIndent: string;
  /** `80/TCP (http)` rather than `80/TCP`. */
  readonly portNames: boolean;
  /** Go's %q for a mount's subPath (describe.go); otherwise JSON quoting. */
  readonly goQuoteSubPath: boolean;
  /** `Devices:` carries the mounts' `\t<none>` when there are no mounts (describe.go). */
  readonly devicesNoneAfterMounts: boolean;
  /** Escape an http-get probe's path as url.URL.String() does (describe.go). */
  readonly escapeProbePath: boolean;
  /** Describe secret, configMap, persistentVolumeClaim and projected volumes (describe.go); otherwise `<unknown>`. */
  readonly referenceVolumes: boolean;
}

/** kubectl.kubernetes.io/last-applied-configuration is never shown. */
const SKIPPED_ANNOTATIONS: ReadonlySet<string> = new Set(['kubectl.kubernetes.io/last-applied-configuration']);
const MAX_ANNOTATION_LEN = 140;

export function printLabelsMultiline(w: PrefixWriter, title: string, labels: Readonly<Record<string, string>> | undefined): void {
  w.write(0, `${title}:\t`);
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) {
    w.write(0, '<none>\n');
    return;
  }
  keys.forEach((key, i) => {
    if (i !== 0) w.write(0, '\t');
    w.write(0, `${key}=${labels?.[key] ?? ''}\n`);
  });
}

export function printAnnotationsMultiline(w: PrefixWriter, title: string, annotations: Readonly<Record<string, string>> | undefined): void {
  w.write(0, `${title}:\t`);
  const keys = Object.keys(annotations ?? {})
    .filter((k) => !SKIPPED_ANNOTATIONS.has(k))
    .sort();
  if (keys.length === 0) {
    w.write(0, '<none>\n');
    return;
  }
  keys.forEach((key, i) => {
    if (i !== 0) w.write(0, '\t');
    const value = (annotations?.[key] ?? '').replace(/\n$/, '');
    if (value.length + key.length + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
      w.write(0, `${key}:\n`);
      for (const line of value.split('\n')) w.write(0, `\t  ${shorten(line, MAX_ANNOTATION_LEN - 2)}\n`);
    } else {
      w.write(0, `${key}: ${value}\n`);
    }
  });
}

function shorten(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

export function printTolerationsMultiline(w: PrefixWriter, title: string, tolerations: readonly Toleration[]): void {
  w.write(0, `${title}:\t`);
  if (tolerations.length === 0) {
    w.write(0, '<none>\n');
    return;
  }
  const sorted = [...tolerations].sort((a, b) => ((a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0));
  sorted.forEach((t, i) => {
    if (i !== 0) w.write(0, '\t');
    let line = t.key ?? '';
    if (t.value) line += `=${t.value}`;
    if (t.effect) line += `:${t.effect}`;
    // operator Exists without a value tolerates everything (for that key/effect).
    if (t.operator === 'Exists' && !t.value) line += t.key || t.effect ? ' op=Exists' : 'op=Exists';
    if (t.tolerationSeconds !== undefined) line += ` for ${t.tolerationSeconds}s`;
    w.write(0, `${line}\n`);
  });
}

// --- describeContainers ----------------------------------------------------------------------

export interface ContainersContext {
  readonly style: DescribeStyle;
  /** describePod's container statuses and its timestamp format; a template has none, so no state lines. */
  readonly status?: {
    readonly statuses: readonly ContainerStatus[];
    readonly time: (iso: string | undefined) => string;
  };
  /** The value of a fieldRef env var: describePod resolves it from the pod, a template has none. */
  readonly fieldRefValue: (e: EnvVar) => string;
}

export function describeContainers(label: string, containers: readonly Container[], w: PrefixWriter, ctx: ContainersContext): void {
  const { style } = ctx;
  const byName = new Map((ctx.status?.statuses ?? []).map((s) => [s.name, s]));
  w.write(0, `${style.titleIndent}${label}:${containers.length === 0 ? ' <none>' : ''}\n`);
  for (const c of containers) {
    const status = byName.get(c.name);
    w.write(1, `${style.nameIndent}${c.name}:\n`);
    if (status) w.write(2, `Container ID:\t${status.containerID ?? ''}\n`);
    w.write(2, `Image:\t${c.image ?? ''}\n`);
    if (status) w.write(2, `Image ID:\t${status.imageID}\n`);
    describePorts(c, w, style.portNames);
    const seccomp = c.securityContext?.seccompProfile;
    if (seccomp) {
      w.write(2, `SeccompProfile:\t${seccomp.type}\n`);
      if (seccomp.type === 'Localhost') w.write(3, `LocalhostProfile:\t${seccomp.localhostProfile ?? ''}\n`);
    }
    describeCommand(c, w);
    if (status && ctx.status) {
      const { time } = ctx.status;
      describeState('State', status.state ?? {}, w, time);
      if (status.lastState?.terminated) describeState('Last State', status.lastState, w, time);
      w.write(2, `Ready:\t${status.ready ? 'True' : 'False'}\n`);
      w.write(2, `Restart Count:\t${status.restartCount}\n`);
    }
    describeResources(c, w);
    if (c.livenessProbe) w.write(2, `Liveness:\t${describeProbe(c.livenessProbe, style.escapeProbePath)}\n`);
    if (c.readinessProbe) w.write(2, `Readiness:\t${describeProbe(c.readinessProbe, style.escapeProbePath)}\n`);
    if (c.startupProbe) w.write(2, `Startup:\t${describeProbe(c.startupProbe, style.escapeProbePath)}\n`);
    if ((c.envFrom ?? []).length > 0) describeEnvFrom(c, w);
    describeEnv(c, w, ctx.fieldRefValue);
    describeMounts(c, w, style);
  }
}

function describePorts(c: Container, w: PrefixWriter, named: boolean): void {
  const withName = (port: string, name: string | undefined): string => (named && name ? `${port} (${name})` : port);
  const ports = (c.ports ?? []).map((p) => withName(`${p.containerPort}/${p.protocol ?? ''}`, p.name)).join(', ');
  if (ports.includes(',')) w.write(2, `Ports:\t${ports}\n`);
  else w.write(2, `Port:\t${ports || '<none>'}\n`);
  const hostPorts = (c.ports ?? []).map((p) => withName(`${p.hostPort ?? 0}/${p.protocol ?? ''}`, p.name)).join(', ');
  if (hostPorts.includes(',')) w.write(2, `Host Ports:\t${hostPorts}\n`);
  else w.write(2, `Host Port:\t${hostPorts || '<none>'}\n`);
}

function describeCommand(c: Container, w: PrefixWriter): void {
  for (const [title, parts] of [
    ['Command', c.command],
    ['Args', c.args],
  ] as const) {
    if ((parts ?? []).length === 0) continue;
    w.write(2, `${title}:\n`);
    for (const part of parts ?? []) for (const line of part.split('\n')) w.write(3, `${line}\n`);
  }
}

function describeState(name: string, state: ContainerState, w: PrefixWriter, time: (iso: string | undefined) => string): void {
  if (state.running) {
    w.write(2, `${name}:\tRunning\n`);
    w.write(3, `Started:\t${time(state.running.startedAt)}\n`);
  } else if (state.waiting) {
    w.write(2, `${name}:\tWaiting\n`);
    if (state.waiting.reason) w.write(3, `Reason:\t${state.waiting.reason}\n`);
  } else if (state.terminated) {
    const t = state.terminated;
    w.write(2, `${name}:\tTerminated\n`);
    if (t.reason) w.write(3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(3, `Message:\t${t.message}\n`);
    w.write(3, `Exit Code:\t${t.exitCode}\n`);
    if ((t.signal ?? 0) > 0) w.write(3, `Signal:\t${t.signal}\n`);
    w.write(3, `Started:\t${time(t.startedAt)}\n`);
    w.write(3, `Finished:\t${time(t.finishedAt)}\n`);
  } else {
    w.write(2, `${name}:\tWaiting\n`);
  }
}

function describeResources(c: Container, w: PrefixWriter): void {
  const { limits, requests } = c.resources ?? {};
  for (const [title, list] of [
    ['Limits', limits],
    ['Requests', requests],
  ] as const) {
    const names = Object.keys(list ?? {}).sort();
    if (names.length > 0) w.write(2, `${title}:\n`);
    for (const name of names) {
      const raw = list?.[name] ?? '';
      w.write(3, `${name}:\t${canonicalQuantity(raw) ?? raw}\n`);
    }
  }
}

/** describe.DescribeProbe. */
export function describeProbe(p: Probe, escapePath = true): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 0}s period=${p.periodSeconds ?? 0}s #success=${p.successThreshold ?? 0} #failure=${p.failureThreshold ?? 0}`;
  if (p.exec) return `exec [${(p.exec.command ?? []).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const port = String(p.httpGet.port);
    const host = p.httpGet.host ?? '';
    const hostPort = port.length > 0 ? joinHostPort(host, port) : host;
    const scheme = (p.httpGet.scheme ?? '').toLowerCase();
    const path = p.httpGet.path ?? '';
    return `http-get ${escapePath ? goUrl(scheme, hostPort, path) : rawUrl(scheme, hostPort, path)} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${String(p.tcpSocket.port)} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** url.URL{Scheme, Host, Path}.String(). */
function goUrl(scheme: string, host: string, path: string): string {
  let out = '';
  if (scheme) out += `${scheme}:`;
  if (scheme || host) out += `//${host}`;
  const escaped = path.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/g, (ch) =>
    [...new TextEncoder().encode(ch)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
  if (escaped && !escaped.startsWith('/') && host) out += '/';
  return out + escaped;
}

/** The template printer's URL: the path as written, `//` always. */
function rawUrl(scheme: string, host: string, path: string): string {
  return `${scheme ? `${scheme}:` : ''}//${host}${path && !path.startsWith('/') ? '/' : ''}${path}`;
}

function describeEnvFrom(c: Container, w: PrefixWriter): void {
  w.write(2, 'Environment Variables from:\n');
  for (const e of c.envFrom ?? []) {
    const from = e.configMapRef ? 'ConfigMap' : e.secretRef ? 'Secret' : '';
    const ref = e.configMapRef ?? e.secretRef;
    const optional = ref?.optional === true;
    if (!e.prefix) w.write(3, `${ref?.name ?? ''}\t${from}\tOptional: ${optional}\n`);
    else w.write(3, `${ref?.name ?? ''}\t${from} with prefix '${e.prefix}'\tOptional: ${optional}\n`);
  }
}

function describeEnv(c: Container, w: PrefixWriter, fieldRefValue: (e: EnvVar) => string): void {
  const env = c.env ?? [];
  w.write(2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
  for (const e of env) {
    const from = e.valueFrom;
    if (!from) {
      (e.value ?? '').split('\n').forEach((line, i) => w.write(3, i === 0 ? `${e.name}:\t${line}\n` : `\t${line}\n`));
    } else if (from.fieldRef) {
      w.write(3, `${e.name}:\t${fieldRefValue(e)} (${from.fieldRef.apiVersion ?? ''}:${from.fieldRef.fieldPath})\n`);
    } else if (from.resourceFieldRef) {
      const resource = from.resourceFieldRef.resource;
      let value = resourceFieldValue(c, resource, from.resourceFieldRef.divisor);
      if (value === '0' && (resource === 'limits.cpu' || resource === 'limits.memory')) value = 'node allocatable';
      w.write(3, `${e.name}:\t${value} (${resource})\n`);
    } else if (from.secretKeyRef) {
      w.write(3, `${e.name}:\t<set to the key '${from.secretKeyRef.key}' in secret '${from.secretKeyRef.name ?? ''}'>\tOptional: ${from.secretKeyRef.optional === true}\n`);
    } else if (from.configMapKeyRef) {
      w.write(3, `${e.name}:\t<set to the key '${from.configMapKeyRef.key}' of config map '${from.configMapKeyRef.name ?? ''}'>\tOptional: ${from.configMapKeyRef.optional === true}\n`);
    }
  }
}

/**
 * resource.ExtractContainerResourceValue: ceil(value / divisor), cpu compared in milli-units
 * (MilliValue), the others in units (Value), both rounded up; unsupported resources show ''.
 */
function resourceFieldValue(c: Container, resource: string, divisor: string | undefined): string {
  const [, kind, name] = /^(limits|requests)\.(cpu|memory|ephemeral-storage)$/.exec(resource) ?? [];
  if (!kind || !name) return '';
  const list = kind === 'limits' ? c.resources?.limits : c.resources?.requests;
  const value = quantityNano(list?.[name] ?? '0') ?? 0n;
  const divisorNano = divisor === undefined ? undefined : quantityNano(divisor);
  const div = divisorNano === undefined || divisorNano === 0n ? 1_000_000_000n : divisorNano;
  const unit = name === 'cpu' ? 1_000_000n : 1_000_000_000n;
  const roundedUp = (q: bigint): bigint => (q + unit - 1n) / unit;
  return String(Math.ceil(Number(roundedUp(value)) / Number(roundedUp(div))));
}

function describeMounts(c: Container, w: PrefixWriter, style: DescribeStyle): void {
  const quote = style.goQuoteSubPath ? goQuote : (s: string): string => JSON.stringify(s);
  const mounts = [...(c.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
  const none = mounts.length === 0 ? '\t<none>' : '';
  w.write(2, `Mounts:${none}\n`);
  for (const m of mounts) {
    const flags = [m.readOnly ? 'ro' : 'rw', ...(m.subPath ? [`path=${quote(m.subPath)}`] : [])];
    w.write(3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
  }
  if ((c.volumeDevices ?? []).length > 0) {
    w.write(2, `Devices:${style.devicesNoneAfterMounts ? none : ''}\n`);
    const devices = [...(c.volumeDevices ?? [])].sort((a, b) => (a.devicePath < b.devicePath ? -1 : a.devicePath > b.devicePath ? 1 : 0));
    for (const d of devices) w.write(3, `${d.devicePath} from ${d.name}\n`);
  }
}

// --- describeVolumes -------------------------------------------------------------------------

export function describeVolumes(volumes: readonly Volume[], w: PrefixWriter, style: DescribeStyle): void {
  if (volumes.length === 0) {
    w.write(0, `${style.titleIndent}Volumes:\t<none>\n`);
    return;
  }
  w.write(0, `${style.titleIndent}Volumes:\n`);
  for (const v of volumes) {
    w.write(1, `${style.nameIndent}${v.name}:\n`);
    if (v.hostPath) {
      w.write(2, `Type:\tHostPath (bare host directory volume)\n    Path:\t${v.hostPath.path}\n    HostPathType:\t${v.hostPath.type ?? '<none>'}\n`);
    } else if (v.emptyDir) {
      const limit = v.emptyDir.sizeLimit;
      const sizeLimit = limit !== undefined && (quantityNano(limit) ?? 0n) > 0n ? (canonicalQuantity(limit) ?? limit) : '<unset>';
      w.write(2, `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${v.emptyDir.medium ?? ''}\n    SizeLimit:\t${sizeLimit}\n`);
    } else if (style.referenceVolumes && v.secret) {
      w.write(2, `Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${v.secret.secretName ?? ''}\n    Optional:\t${v.secret.optional === true}\n`);
    } else if (style.referenceVolumes && v.configMap) {
      w.write(2, `Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${v.configMap.name ?? ''}\n    Optional:\t${v.configMap.optional === true}\n`);
    } else if (style.referenceVolumes && v.persistentVolumeClaim) {
      w.write(
        2,
        `Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t${v.persistentVolumeClaim.claimName}\n    ReadOnly:\t${v.persistentVolumeClaim.readOnly === true}\n`,
      );
    } else if (v.downwardAPI) {
      w.write(2, 'Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n');
      for (const item of v.downwardAPI.items ?? []) {
        if (item.fieldRef) w.write(3, `${item.fieldRef.fieldPath} -> ${item.path}\n`);
        if (item.resourceFieldRef) w.write(3, `${item.resourceFieldRef.resource} -> ${item.path}\n`);
      }
    } else if (style.referenceVolumes && v.projected) {
      w.write(2, 'Type:\tProjected (a volume that contains injected data from multiple sources)\n');
      for (const s of v.projected.sources ?? []) {
        if (s.secret) w.write(2, `SecretName:\t${s.secret.name ?? ''}\n    Optional:\t${s.secret.optional === true}\n`);
        else if (s.downwardAPI) w.write(2, 'DownwardAPI:\ttrue\n');
        else if (s.configMap) w.write(2, `ConfigMapName:\t${s.configMap.name ?? ''}\n    Optional:\t${s.configMap.optional === true}\n`);
        else if (s.serviceAccountToken) w.write(2, `TokenExpirationSeconds:\t${s.serviceAccountToken.expirationSeconds ?? 0}\n`);
      }
    } else {
      w.write(1, '<unknown>\n');
    }
  }
}

// --- DescribeEvents --------------------------------------------------------------------------

/** describe.DescribeEvents: the object's events, oldest last-seen first. */
export function describeEvents(events: readonly NodeletEvent[], w: PrefixWriter, now: number): void {
  if (events.length === 0) {
    w.write(0, 'Events:\t<none>\n');
    return;
  }
  w.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(1, '----\t------\t----\t----\t-------\n');
  for (const e of [...events].sort((a, b) => a.lastTimestamp - b.lastTimestamp)) {
    const first = ageSince(e.firstTimestamp, now);
    const interval = e.count > 1 ? `${ageSince(e.lastTimestamp, now)} (x${e.count} over ${first})` : first;
    w.write(1, `${e.type}\t${e.reason}\t${interval}\t${eventComponent(e.source)}\t${e.message.trim()}\n`);
  }
}

/** The event's Source.Component: the store keeps `component, host`. */
function eventComponent(source: string): string {
  const comma = source.indexOf(', ');
  return comma >= 0 ? source.slice(0, comma) : source;
}
