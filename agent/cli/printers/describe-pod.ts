// `kubectl describe pod`, line for line as staging/src/k8s.io/kubectl/pkg/describe/describe.go
// writes it (describePod, describeContainers, describeVolumes, DescribeEvents): text with tabs
// at two-space indentation levels, aligned at the end by Go's tabwriter (padding 2).
import type { ContainerStatus, EnvVar, Pod } from 'kubernetes-types/core/v1.js';
import type { NodeletEvent } from '../../events/event-store.js';
import { podQosClass } from '../../status/qos.js';
import { type ContainersContext, type DescribeStyle, PrefixWriter, describeContainers, describeEvents, describeVolumes, printAnnotationsMultiline, printLabelsMultiline, printTolerationsMultiline } from './describe-blocks.js';
import { timestampSince } from './duration.js';
import { KUBECTL_DESCRIBE, tabwrite } from './table.js';

export { describeProbe } from './describe-blocks.js';

export interface DescribeOptions {
  /** Minutes east of UTC for the dates; defaults to the local time zone, as kubectl does. */
  readonly utcOffsetMinutes?: number;
}

/** describePod's ports carry their names; see DescribeStyle for the other fields. */
const POD_STYLE: DescribeStyle = {
  titleIndent: '',
  nameIndent: '',
  portNames: true,
  goQuoteSubPath: false,
  devicesNoneAfterMounts: false,
  escapeProbePath: true,
  referenceVolumes: false,
};

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

  const withStatuses = (statuses: readonly ContainerStatus[] = []): ContainersContext => ({ style: POD_STYLE, status: { statuses, time }, fieldRefValue: (e) => fieldRefValue(pod, e) });
  if ((spec.initContainers ?? []).length > 0) describeContainers('Init Containers', spec.initContainers ?? [], w, withStatuses(status.initContainerStatuses));
  describeContainers('Containers', spec.containers, w, withStatuses(status.containerStatuses));
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
  describeVolumes(spec.volumes ?? [], w, POD_STYLE);
  w.write(0, `QoS Class:\t${status.qosClass || podQosClass(spec)}\n`);
  printLabelsMultiline(w, 'Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(w, 'Tolerations', spec.tolerations ?? []);
  describeEvents(events, w, now);
  return tabwrite(w.text, KUBECTL_DESCRIBE);
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
