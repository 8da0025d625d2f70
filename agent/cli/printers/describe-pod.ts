// `kubectl describe pod`, line for line as staging/src/k8s.io/kubectl/pkg/describe/describe.go
// writes it (describePod, describeContainers, describeVolumes, DescribeEvents): text with tabs
// at two-space indentation levels, aligned at the end by Go's tabwriter (padding 2).
import type { Container, ContainerState, ContainerStatus, EnvVar, Pod, Probe, Toleration, Volume } from 'kubernetes-types/core/v1.js';
import type { NodeletEvent } from '../../events/event-store.js';
import { canonicalQuantity, quantityNano } from '../../manifest/quantity.js';
import { podQosClass } from '../../status/qos.js';
import { ageSince, timestampSince } from './duration.js';
import { KUBECTL_DESCRIBE, tabwrite } from './table.js';

export interface DescribeOptions {
  /** Minutes east of UTC for the dates; defaults to the local time zone, as kubectl does. */
  readonly utcOffsetMinutes?: number;
}

/** kubectl.kubernetes.io/last-applied-configuration is never shown. */
const SKIPPED_ANNOTATIONS: ReadonlySet<string> = new Set(['kubectl.kubernetes.io/last-applied-configuration']);
const MAX_ANNOTATION_LEN = 140;

/** Text that the tabwriter aligns; `write` prefixes two spaces per level, like PrefixWriter. */
class PrefixWriter {
  text = '';
  write(level: number, s: string): void {
    this.text += '  '.repeat(level) + s;
  }
}

export function describePod(pod: Pod, events: readonly NodeletEvent[], now: number, opts: DescribeOptions = {}): string {
  const w = new PrefixWriter();
  const time = (iso: string | undefined): string => formatRFC1123Z(iso, opts.utcOffsetMinutes);
  const meta = pod.metadata ?? {};
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};

  w.write(0, `Name:\t${meta.name ?? ''}\n`);
  w.write(0, `Namespace:\t${meta.namespace ?? ''}\n`);
  if (spec.priority !== undefined) w.write(0, `Priority:\t${spec.priority}\n`);
  if (spec.priorityClassName) w.write(0, `Priority Class Name:\t${spec.priorityClassName}\n`);
  if (spec.runtimeClassName) w.write(0, `Runtime Class Name:\t${spec.runtimeClassName}\n`);
  if (spec.serviceAccountName) w.write(0, `Service Account:\t${spec.serviceAccountName}\n`);
  if (!spec.nodeName) w.write(0, 'Node:\t<none>\n');
  else w.write(0, `Node:\t${spec.nodeName}/${status.hostIP ?? ''}\n`);
  if (status.startTime) w.write(0, `Start Time:\t${time(status.startTime)}\n`);
  printLabelsMultiline(w, 'Labels', meta.labels);
  printAnnotationsMultiline(w, 'Annotations', meta.annotations);
  if (meta.deletionTimestamp && status.phase !== 'Failed' && status.phase !== 'Succeeded') {
    w.write(0, `Status:\tTerminating (lasts ${timestampSince(meta.deletionTimestamp, now)})\n`);
    w.write(0, `Termination Grace Period:\t${meta.deletionGracePeriodSeconds ?? 0}s\n`);
  } else {
    w.write(0, `Status:\t${status.phase ?? ''}\n`);
  }
  if (status.reason) w.write(0, `Reason:\t${status.reason}\n`);
  if (status.message) w.write(0, `Message:\t${status.message}\n`);
  const seccomp = spec.securityContext?.seccompProfile;
  if (seccomp) {
    w.write(0, `SeccompProfile:\t${seccomp.type}\n`);
    if (seccomp.type === 'Localhost') w.write(0, `LocalhostProfile:\t${seccomp.localhostProfile ?? ''}\n`);
  }
  w.write(0, `IP:\t${status.podIP ?? ''}\n`);
  const podIPs = status.podIPs ?? [];
  if (podIPs.length === 0) {
    w.write(0, 'IPs:\t<none>\n');
  } else {
    w.write(0, 'IPs:\n');
    for (const ip of podIPs) w.write(1, `IP:\t${ip.ip ?? ''}\n`);
  }
  const controller = (meta.ownerReferences ?? []).find((r) => r.controller === true);
  if (controller) w.write(0, `Controlled By:\t${controller.kind}/${controller.name}\n`);
  if (status.nominatedNodeName) w.write(0, `NominatedNodeName:\t${status.nominatedNodeName}\n`);

  if ((spec.initContainers ?? []).length > 0) describeContainers('Init Containers', spec.initContainers ?? [], status.initContainerStatuses ?? [], pod, w, time);
  describeContainers('Containers', spec.containers, status.containerStatuses ?? [], pod, w, time);
  if ((spec.readinessGates ?? []).length > 0) {
    w.write(0, 'Readiness Gates:\n  Type\tStatus\n');
    for (const g of spec.readinessGates ?? []) {
      const c = (status.conditions ?? []).find((x) => x.type === g.conditionType);
      w.write(1, `${g.conditionType} \t${c ? c.status : '<none>'} \n`);
    }
  }
  if ((status.conditions ?? []).length > 0) {
    w.write(0, 'Conditions:\n  Type\tStatus\n');
    for (const c of status.conditions ?? []) w.write(1, `${c.type} \t${c.status} \n`);
  }
  describeVolumes(spec.volumes ?? [], w);
  w.write(0, `QoS Class:\t${status.qosClass || podQosClass(spec)}\n`);
  printLabelsMultiline(w, 'Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(w, 'Tolerations', spec.tolerations ?? []);
  describeEvents(events, w, now);
  return tabwrite(w.text, KUBECTL_DESCRIBE);
}

function describeContainers(
  label: string,
  containers: readonly Container[],
  statuses: readonly ContainerStatus[],
  pod: Pod,
  w: PrefixWriter,
  time: (iso: string | undefined) => string,
): void {
  const byName = new Map(statuses.map((s) => [s.name, s]));
  w.write(0, `${label}:${containers.length === 0 ? ' <none>' : ''}\n`);
  for (const c of containers) {
    const status = byName.get(c.name);
    w.write(1, `${c.name}:\n`);
    if (status) w.write(2, `Container ID:\t${status.containerID ?? ''}\n`);
    w.write(2, `Image:\t${c.image ?? ''}\n`);
    if (status) w.write(2, `Image ID:\t${status.imageID}\n`);
    const ports = (c.ports ?? []).map((p) => withPortName(`${p.containerPort}/${p.protocol ?? ''}`, p.name)).join(', ');
    if (ports.includes(',')) w.write(2, `Ports:\t${ports}\n`);
    else w.write(2, `Port:\t${ports || '<none>'}\n`);
    const hostPorts = (c.ports ?? []).map((p) => withPortName(`${p.hostPort ?? 0}/${p.protocol ?? ''}`, p.name)).join(', ');
    if (hostPorts.includes(',')) w.write(2, `Host Ports:\t${hostPorts}\n`);
    else w.write(2, `Host Port:\t${hostPorts || '<none>'}\n`);
    const seccomp = c.securityContext?.seccompProfile;
    if (seccomp) {
      w.write(2, `SeccompProfile:\t${seccomp.type}\n`);
      if (seccomp.type === 'Localhost') w.write(3, `LocalhostProfile:\t${seccomp.localhostProfile ?? ''}\n`);
    }
    describeCommand(c, w);
    if (status) {
      describeState('State', status.state ?? {}, w, time);
      if (status.lastState?.terminated) describeState('Last State', status.lastState, w, time);
      w.write(2, `Ready:\t${status.ready ? 'True' : 'False'}\n`);
      w.write(2, `Restart Count:\t${status.restartCount}\n`);
    }
    describeResources(c, w);
    if (c.livenessProbe) w.write(2, `Liveness:\t${describeProbe(c.livenessProbe)}\n`);
    if (c.readinessProbe) w.write(2, `Readiness:\t${describeProbe(c.readinessProbe)}\n`);
    if (c.startupProbe) w.write(2, `Startup:\t${describeProbe(c.startupProbe)}\n`);
    if ((c.envFrom ?? []).length > 0) describeEnvFrom(c, w);
    describeEnv(c, pod, w);
    describeMounts(c, w);
  }
}

function withPortName(port: string, name: string | undefined): string {
  return name ? `${port} (${name})` : port;
}

function describeCommand(c: Container, w: PrefixWriter): void {
  if ((c.command ?? []).length > 0) {
    w.write(2, 'Command:\n');
    for (const part of c.command ?? []) for (const line of part.split('\n')) w.write(3, `${line}\n`);
  }
  if ((c.args ?? []).length > 0) {
    w.write(2, 'Args:\n');
    for (const part of c.args ?? []) for (const line of part.split('\n')) w.write(3, `${line}\n`);
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
export function describeProbe(p: Probe): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 0}s period=${p.periodSeconds ?? 0}s #success=${p.successThreshold ?? 0} #failure=${p.failureThreshold ?? 0}`;
  if (p.exec) return `exec [${(p.exec.command ?? []).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const port = String(p.httpGet.port);
    const host = p.httpGet.host ?? '';
    const hostPort = port.length > 0 ? joinHostPort(host, port) : host;
    const scheme = (p.httpGet.scheme ?? '').toLowerCase();
    return `http-get ${goUrl(scheme, hostPort, p.httpGet.path ?? '')} ${attrs}`;
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

function describeEnv(c: Container, pod: Pod, w: PrefixWriter): void {
  const env = c.env ?? [];
  w.write(2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
  for (const e of env) {
    const from = e.valueFrom;
    if (!from) {
      (e.value ?? '').split('\n').forEach((line, i) => w.write(3, i === 0 ? `${e.name}:\t${line}\n` : `\t${line}\n`));
    } else if (from.fieldRef) {
      w.write(3, `${e.name}:\t${fieldRefValue(pod, e)} (${from.fieldRef.apiVersion ?? ''}:${from.fieldRef.fieldPath})\n`);
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
 * EnvValueRetriever: kubectl's scheme converts only metadata.name and metadata.namespace field
 * labels for a Pod, so every other fieldRef shows an empty value.
 */
function fieldRefValue(pod: Pod, e: EnvVar): string {
  const ref = e.valueFrom?.fieldRef;
  if (!ref || !/^v1$/.test(ref.apiVersion ?? '')) return '';
  if (ref.fieldPath === 'metadata.name') return pod.metadata?.name ?? '';
  if (ref.fieldPath === 'metadata.namespace') return pod.metadata?.namespace ?? '';
  return '';
}

/**
 * resource.ExtractContainerResourceValue: ceil(value / divisor), cpu compared in milli-units
 * (MilliValue), the others in units (Value), both rounded up; unsupported resources show ''.
 */
function resourceFieldValue(c: Container, resource: string, divisor: string | undefined): string {
  const match = /^(limits|requests)\.(cpu|memory|ephemeral-storage)$/.exec(resource);
  const [, kind, name] = match ?? [];
  if (!kind || !name) return '';
  const list = kind === 'limits' ? c.resources?.limits : c.resources?.requests;
  const value = quantityNano(list?.[name] ?? '0') ?? 0n;
  const divisorNano = divisor === undefined ? undefined : quantityNano(divisor);
  const div = divisorNano === undefined || divisorNano === 0n ? 1_000_000_000n : divisorNano;
  const unit = name === 'cpu' ? 1_000_000n : 1_000_000_000n;
  const roundedUp = (q: bigint): bigint => (q + unit - 1n) / unit;
  return String(Math.ceil(Number(roundedUp(value)) / Number(roundedUp(div))));
}

function describeMounts(c: Container, w: PrefixWriter): void {
  const mounts = [...(c.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
  w.write(2, `Mounts:${mounts.length === 0 ? '\t<none>' : ''}\n`);
  for (const m of mounts) {
    const flags = [m.readOnly ? 'ro' : 'rw', ...(m.subPath ? [`path=${JSON.stringify(m.subPath)}`] : [])];
    w.write(3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
  }
  if ((c.volumeDevices ?? []).length > 0) {
    w.write(2, 'Devices:\n');
    const devices = [...(c.volumeDevices ?? [])].sort((a, b) => (a.devicePath < b.devicePath ? -1 : a.devicePath > b.devicePath ? 1 : 0));
    for (const d of devices) w.write(3, `${d.devicePath} from ${d.name}\n`);
  }
}

function describeVolumes(volumes: readonly Volume[], w: PrefixWriter): void {
  if (volumes.length === 0) {
    w.write(0, 'Volumes:\t<none>\n');
    return;
  }
  w.write(0, 'Volumes:\n');
  for (const v of volumes) {
    w.write(1, `${v.name}:\n`);
    if (v.hostPath) {
      w.write(2, `Type:\tHostPath (bare host directory volume)\n    Path:\t${v.hostPath.path}\n    HostPathType:\t${v.hostPath.type ?? '<none>'}\n`);
    } else if (v.emptyDir) {
      const limit = v.emptyDir.sizeLimit;
      const sizeLimit = limit !== undefined && (quantityNano(limit) ?? 0n) > 0n ? (canonicalQuantity(limit) ?? limit) : '<unset>';
      w.write(2, `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${v.emptyDir.medium ?? ''}\n    SizeLimit:\t${sizeLimit}\n`);
    } else if (v.downwardAPI) {
      w.write(2, 'Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n');
      for (const item of v.downwardAPI.items ?? []) {
        if (item.fieldRef) w.write(3, `${item.fieldRef.fieldPath} -> ${item.path}\n`);
        if (item.resourceFieldRef) w.write(3, `${item.resourceFieldRef.resource} -> ${item.path}\n`);
      }
    } else {
      w.write(1, '<unknown>\n');
    }
  }
}

function printLabelsMultiline(w: PrefixWriter, title: string, labels: Readonly<Record<string, string>> | undefined): void {
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

function printAnnotationsMultiline(w: PrefixWriter, title: string, annotations: Readonly<Record<string, string>> | undefined): void {
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

function printTolerationsMultiline(w: PrefixWriter, title: string, tolerations: readonly Toleration[]): void {
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

function describeEvents(events: readonly NodeletEvent[], w: PrefixWriter, now: number): void {
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
export function eventComponent(source: string): string {
  const comma = source.indexOf(', ');
  return comma >= 0 ? source.slice(0, comma) : source;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.RFC1123Z ("Mon, 02 Jan 2006 15:04:05 -0700"); an unset time is Go's zero time. */
export function formatRFC1123Z(iso: string | undefined, utcOffsetMinutes?: number): string {
  const ms = iso ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) return 'Mon, 01 Jan 0001 00:00:00 +0000';
  const offset = utcOffsetMinutes ?? -new Date(ms).getTimezoneOffset();
  const d = new Date(ms + offset * 60_000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const abs = Math.abs(offset);
  const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${zone}`;
}
