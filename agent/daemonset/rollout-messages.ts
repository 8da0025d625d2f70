// What `kubectl rollout status|history|undo|restart` and `set image` print for a DaemonSet,
// word for word: staging/src/k8s.io/kubectl/pkg/polymorphichelpers/{rollout_status,history,
// rollback}.go, the name printer (`daemonset.apps/<name> <operation>`) and
// describe.DescribePodTemplate (history --revision prints it through a bare PrefixWriter, so
// its tabs are left in the output, as kubectl leaves them). Errors are returned without the
// `error: ` prefix kubectl's CheckErr adds. Pure.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Container, PodTemplateSpec, Toleration, Volume } from 'kubernetes-types/core/v1.js';
import { goQuote } from '../manifest/field-issue.js';
import { canonicalQuantity, quantityNano } from '../manifest/quantity.js';
import { CHANGE_CAUSE_ANNOTATION, type DaemonSetRevision, findRevision, templatesEqual } from './revisions.js';

/** The name printer's `<kind>.<group>/<name>`. */
export function daemonSetRef(name: string): string {
  return `daemonset.apps/${name}`;
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

// --- rollout status ---------------------------------------------------------------------------

export interface RolloutStatusLine {
  /** One line, without the newline. */
  readonly message: string;
  readonly done: boolean;
}

/** DaemonSetStatusViewer.Status (`--revision` does not apply to DaemonSets). */
export function rolloutStatus(ds: DaemonSet): Outcome<RolloutStatusLine> {
  if (ds.spec?.updateStrategy?.type !== 'RollingUpdate') {
    return { ok: false, error: 'rollout status is only available for RollingUpdate strategy type' };
  }
  const name = goQuote(ds.metadata?.name ?? '');
  const status = ds.status;
  const generation = ds.metadata?.generation ?? 0;
  if (generation <= (status?.observedGeneration ?? 0)) {
    const desired = status?.desiredNumberScheduled ?? 0;
    const updated = status?.updatedNumberScheduled ?? 0;
    const available = status?.numberAvailable ?? 0;
    if (updated < desired) {
      return { ok: true, value: { message: `Waiting for daemon set ${name} rollout to finish: ${updated} out of ${desired} new pods have been updated...`, done: false } };
    }
    if (available < desired) {
      return { ok: true, value: { message: `Waiting for daemon set ${name} rollout to finish: ${available} of ${desired} updated pods are available...`, done: false } };
    }
    return { ok: true, value: { message: `daemon set ${name} successfully rolled out`, done: true } };
  }
  return { ok: true, value: { message: 'Waiting for daemon set spec update to be observed...', done: false } };
}

// --- rollout history -------------------------------------------------------------------------

/**
 * `rollout history daemonset/<name> [--revision=N]`: the header line, then the REVISION /
 * CHANGE-CAUSE table or the revision's pod template, exactly as printed (final newline included).
 */
export function rolloutHistory(dsName: string, history: readonly DaemonSetRevision[], revision = 0): Outcome<string> {
  const header = revision > 0 ? `${daemonSetRef(dsName)} with revision #${revision}` : daemonSetRef(dsName);
  if (history.length === 0) return { ok: true, value: `${header}\nNo rollout history found.\n` };
  if (revision > 0) {
    const rev = history.find((h) => h.revision === revision);
    if (!rev) return { ok: false, error: 'unable to find the specified revision' };
    return { ok: true, value: `${header}\n${describePodTemplate(rev.template)}\n` };
  }
  const rows = [...history]
    .sort((a, b) => a.revision - b.revision)
    .map((h) => [String(h.revision), h.annotations[CHANGE_CAUSE_ANNOTATION] || '<none>'] as const);
  return { ok: true, value: `${header}\n${twoColumns([['REVISION', 'CHANGE-CAUSE'], ...rows])}\n` };
}

/** tabwriter(minwidth 0, tabwidth 8, padding 2) over two columns: the last cell is never padded. */
function twoColumns(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([a]) => [...a].length)) + 2;
  return rows.map(([a, b]) => `${a}${' '.repeat(width - [...a].length)}${b}\n`).join('');
}

// --- rollout undo ----------------------------------------------------------------------------

export type UndoResult =
  | { readonly kind: 'error'; readonly error: string }
  /** --dry-run: print `output` as is. */
  | { readonly kind: 'dryRun'; readonly output: string }
  /** Nothing to do: print `message`. */
  | { readonly kind: 'skipped'; readonly message: string }
  /** Rewrite the manifest's template to `revision.template`, then print `message`. */
  | { readonly kind: 'rollback'; readonly revision: DaemonSetRevision; readonly message: string };

/** DaemonSetRollbacker.Rollback for the DaemonSet as it is now (defaulted) and its history. */
export function planUndo(ds: DaemonSet, history: readonly DaemonSetRevision[], toRevision = 0, opts: { readonly dryRun?: boolean } = {}): UndoResult {
  const ref = daemonSetRef(ds.metadata?.name ?? '');
  if (toRevision < 0) return { kind: 'error', error: revisionNotFound(toRevision) };
  if (toRevision === 0 && history.length <= 1) return { kind: 'error', error: 'no last revision to roll back to' };
  const target = findRevision(history, toRevision);
  if (!target) return { kind: 'error', error: revisionNotFound(toRevision) };
  if (opts.dryRun) return { kind: 'dryRun', output: `${ref} will roll back to ${describePodTemplate(target.template)} (dry run)\n` };
  if (templatesEqual(ds.spec?.template ?? {}, target.template)) {
    // kubectl reports the revision as asked: 0 when --to-revision was not given.
    return { kind: 'skipped', message: `${ref} skipped rollback (current template already matches revision ${toRevision})` };
  }
  return { kind: 'rollback', revision: target, message: `${ref} rolled back` };
}

function revisionNotFound(r: number): string {
  return `unable to find specified revision ${r} in history`;
}

/** `rollout restart` and `set image` results. */
export function restartedMessage(dsName: string): string {
  return `${daemonSetRef(dsName)} restarted`;
}

export function imageUpdatedMessage(dsName: string): string {
  return `${daemonSetRef(dsName)} image updated`;
}

// --- get controllerrevisions -----------------------------------------------------------------

/** NAME, CONTROLLER, REVISION (AGE is the caller's): printControllerRevision. */
export function controllerRevisionCells(rev: DaemonSetRevision, dsName: string): [string, string, string] {
  return [rev.name, daemonSetRef(dsName), String(rev.revision)];
}

// --- describe.DescribePodTemplate ---------------------------------------------------------

class PrefixWriter {
  text = '';
  write(level: number, s: string): void {
    this.text += '  '.repeat(level) + s;
  }
}

/** describe.DescribePodTemplate, tabs included. */
export function describePodTemplate(template: PodTemplateSpec): string {
  const w = new PrefixWriter();
  const spec = template.spec ?? { containers: [] };
  w.write(0, 'Pod Template:\n');
  printLabelsMultiline(w, '  Labels', template.metadata?.labels);
  if (Object.keys(template.metadata?.annotations ?? {}).length > 0) printAnnotationsMultiline(w, '  Annotations', template.metadata?.annotations);
  if (spec.serviceAccountName) w.write(1, `Service Account:\t${spec.serviceAccountName}\n`);
  if ((spec.initContainers ?? []).length > 0) describeContainers('Init Containers', spec.initContainers ?? [], w);
  describeContainers('Containers', spec.containers, w);
  describeVolumes(spec.volumes ?? [], w);
  describeTopologySpread(spec.topologySpreadConstraints ?? [], w);
  if (spec.priorityClassName) w.write(1, `Priority Class Name:\t${spec.priorityClassName}\n`);
  printLabelsMultiline(w, '  Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(w, '  Tolerations', spec.tolerations ?? []);
  return w.text;
}

function describeContainers(label: string, containers: readonly Container[], w: PrefixWriter): void {
  w.write(0, `  ${label}:${containers.length === 0 ? ' <none>' : ''}\n`);
  for (const c of containers) {
    w.write(1, ` ${c.name}:\n`);
    w.write(2, `Image:\t${c.image ?? ''}\n`);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? ''}`).join(', ');
    if (ports.includes(',')) w.write(2, `Ports:\t${ports}\n`);
    else w.write(2, `Port:\t${ports || '<none>'}\n`);
    const hostPorts = (c.ports ?? []).map((p) => `${p.hostPort ?? 0}/${p.protocol ?? ''}`).join(', ');
    if (hostPorts.includes(',')) w.write(2, `Host Ports:\t${hostPorts}\n`);
    else w.write(2, `Host Port:\t${hostPorts || '<none>'}\n`);
    const seccomp = c.securityContext?.seccompProfile;
    if (seccomp) {
      w.write(2, `SeccompProfile:\t${seccomp.type}\n`);
      if (seccomp.type === 'Localhost') w.write(3, `LocalhostProfile:\t${seccomp.localhostProfile ?? ''}\n`);
    }
    for (const [title, parts] of [
      ['Command', c.command],
      ['Args', c.args],
    ] as const) {
      if ((parts ?? []).length === 0) continue;
      w.write(2, `${title}:\n`);
      for (const part of parts ?? []) for (const line of part.split('\n')) w.write(3, `${line}\n`);
    }
    for (const [title, list] of [
      ['Limits', c.resources?.limits],
      ['Requests', c.resources?.requests],
    ] as const) {
      const names = Object.keys(list ?? {}).sort();
      if (names.length > 0) w.write(2, `${title}:\n`);
      for (const n of names) {
        const raw = list?.[n] ?? '';
        w.write(3, `${n}:\t${canonicalQuantity(raw) ?? raw}\n`);
      }
    }
    if (c.livenessProbe) w.write(2, `Liveness:\t${describeProbe(c.livenessProbe)}\n`);
    if (c.readinessProbe) w.write(2, `Readiness:\t${describeProbe(c.readinessProbe)}\n`);
    if (c.startupProbe) w.write(2, `Startup:\t${describeProbe(c.startupProbe)}\n`);
    if ((c.envFrom ?? []).length > 0) {
      w.write(2, 'Environment Variables from:\n');
      for (const e of c.envFrom ?? []) {
        const ref = e.configMapRef ?? e.secretRef;
        const from = e.configMapRef ? 'ConfigMap' : e.secretRef ? 'Secret' : '';
        const optional = ref?.optional === true;
        if (!e.prefix) w.write(3, `${ref?.name ?? ''}\t${from}\tOptional: ${optional}\n`);
        else w.write(3, `${ref?.name ?? ''}\t${from} with prefix '${e.prefix}'\tOptional: ${optional}\n`);
      }
    }
    describeEnv(c, w);
    const mounts = [...(c.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
    w.write(2, `Mounts:${mounts.length === 0 ? '\t<none>' : ''}\n`);
    for (const m of mounts) {
      const flags = [m.readOnly ? 'ro' : 'rw', ...(m.subPath ? [`path=${goQuote(m.subPath)}`] : [])];
      w.write(3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
    }
    const devices = [...(c.volumeDevices ?? [])].sort((a, b) => (a.devicePath < b.devicePath ? -1 : a.devicePath > b.devicePath ? 1 : 0));
    if (devices.length > 0) {
      w.write(2, `Devices:${mounts.length === 0 ? '\t<none>' : ''}\n`);
      for (const d of devices) w.write(3, `${d.devicePath} from ${d.name}\n`);
    }
  }
}

function describeEnv(c: Container, w: PrefixWriter): void {
  const env = c.env ?? [];
  w.write(2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
  for (const e of env) {
    const from = e.valueFrom;
    if (!from) {
      (e.value ?? '').split('\n').forEach((line, i) => w.write(3, i === 0 ? `${e.name}:\t${line}\n` : `\t${line}\n`));
    } else if (from.fieldRef) {
      // A template has no pod to resolve the field from: the value is empty.
      w.write(3, `${e.name}:\t (${from.fieldRef.apiVersion ?? ''}:${from.fieldRef.fieldPath})\n`);
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

/** resource.ExtractContainerResourceValue: ceil(value / divisor), cpu in milli-units, rounded up. */
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

/** describe.DescribeProbe. */
function describeProbe(p: NonNullable<Container['livenessProbe']>): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 0}s period=${p.periodSeconds ?? 0}s #success=${p.successThreshold ?? 0} #failure=${p.failureThreshold ?? 0}`;
  if (p.exec) return `exec [${(p.exec.command ?? []).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const port = String(p.httpGet.port);
    const host = p.httpGet.host ?? '';
    const hostPort = port.length > 0 ? (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`) : host;
    const scheme = (p.httpGet.scheme ?? '').toLowerCase();
    const path = p.httpGet.path ?? '';
    return `http-get ${scheme ? `${scheme}:` : ''}//${hostPort}${path && !path.startsWith('/') ? '/' : ''}${path} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${String(p.tcpSocket.port)} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

function describeVolumes(volumes: readonly Volume[], w: PrefixWriter): void {
  if (volumes.length === 0) {
    w.write(0, '  Volumes:\t<none>\n');
    return;
  }
  w.write(0, '  Volumes:\n');
  for (const v of volumes) {
    w.write(1, ` ${v.name}:\n`);
    if (v.hostPath) {
      w.write(2, `Type:\tHostPath (bare host directory volume)\n    Path:\t${v.hostPath.path}\n    HostPathType:\t${v.hostPath.type ?? '<none>'}\n`);
    } else if (v.emptyDir) {
      const limit = v.emptyDir.sizeLimit;
      const sizeLimit = limit !== undefined && (quantityNano(limit) ?? 0n) > 0n ? (canonicalQuantity(limit) ?? limit) : '<unset>';
      w.write(2, `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${v.emptyDir.medium ?? ''}\n    SizeLimit:\t${sizeLimit}\n`);
    } else if (v.secret) {
      w.write(2, `Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${v.secret.secretName ?? ''}\n    Optional:\t${v.secret.optional === true}\n`);
    } else if (v.configMap) {
      w.write(2, `Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${v.configMap.name ?? ''}\n    Optional:\t${v.configMap.optional === true}\n`);
    } else if (v.persistentVolumeClaim) {
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
    } else if (v.projected) {
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

function describeTopologySpread(tscs: NonNullable<NonNullable<PodTemplateSpec['spec']>['topologySpreadConstraints']>, w: PrefixWriter): void {
  if (tscs.length === 0) return;
  const sorted = [...tscs].sort((a, b) => (a.topologyKey < b.topologyKey ? -1 : a.topologyKey > b.topologyKey ? 1 : 0));
  w.write(0, '  Topology Spread Constraints:\t');
  sorted.forEach((t, i) => {
    if (i !== 0) w.write(0, '  \t');
    let line = `${t.topologyKey}:${t.whenUnsatisfiable} when max skew ${t.maxSkew} is exceeded`;
    const labels = Object.entries(t.labelSelector?.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .sort();
    if (t.labelSelector) line += ` for selector ${labels.length > 0 ? labels.join(',') : '<none>'}`;
    w.write(0, `${line}\n`);
  });
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

const MAX_ANNOTATION_LEN = 140;

function printAnnotationsMultiline(w: PrefixWriter, title: string, annotations: Readonly<Record<string, string>> | undefined): void {
  w.write(0, `${title}:\t`);
  const keys = Object.keys(annotations ?? {})
    .filter((k) => k !== 'kubectl.kubernetes.io/last-applied-configuration')
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
      for (const line of value.split('\n')) w.write(0, `\t  ${line.length > MAX_ANNOTATION_LEN - 2 ? `${line.slice(0, MAX_ANNOTATION_LEN - 2)}...` : line}\n`);
    } else {
      w.write(0, `${key}: ${value}\n`);
    }
  });
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
    // `operator: Exists` alone tolerates everything.
    if (t.operator === 'Exists' && !t.value) line += t.key || t.effect ? ' op=Exists' : 'op=Exists';
    if (t.tolerationSeconds !== undefined) line += ` for ${t.tolerationSeconds}s`;
    w.write(0, `${line}\n`);
  });
}
