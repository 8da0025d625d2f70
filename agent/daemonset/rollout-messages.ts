// What `kubectl rollout status|history|undo|restart` and `set image` print for a DaemonSet,
// word for word: staging/src/k8s.io/kubectl/pkg/polymorphichelpers/{rollout_status,history,
// rollback}.go, the name printer (`daemonset.apps/<name> <operation>`) and
// describe.DescribePodTemplate (history --revision prints it through a bare PrefixWriter, so
// its tabs are left in the output, as kubectl leaves them). Errors are returned without the
// `error: ` prefix kubectl's CheckErr adds. Pure.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { type ContainersContext, type DescribeStyle, PrefixWriter, describeContainers, describeVolumes, printAnnotationsMultiline, printLabelsMultiline, printTolerationsMultiline } from '../cli/printers/describe-blocks.js';
import { KUBECTL_DESCRIBE, tabwrite } from '../cli/printers/table.js';
import { goQuote, printableOrQuoted } from '../manifest/field-issue.js';
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
    // A cause with a newline or a tab would break the table (kubectl prints it raw): escaped.
    .map((h) => `${h.revision}\t${printableOrQuoted(h.annotations[CHANGE_CAUSE_ANNOTATION] || '<none>')}\n`);
  // kubectl prints the table through tabwriter(minwidth 0, tabwidth 8, padding 2).
  return { ok: true, value: `${header}\n${tabwrite(['REVISION\tCHANGE-CAUSE\n', ...rows].join(''), KUBECTL_DESCRIBE)}\n` };
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

/** DescribePodTemplate's indentation; see DescribeStyle for the other fields. */
const TEMPLATE_STYLE: DescribeStyle = {
  titleIndent: '  ',
  nameIndent: ' ',
  portNames: false,
  goQuoteSubPath: true,
  devicesNoneAfterMounts: true,
  escapeProbePath: false,
  referenceVolumes: true,
};

/** A template has no pod to resolve a fieldRef env var from: the value is empty. */
const TEMPLATE_CONTAINERS: ContainersContext = { style: TEMPLATE_STYLE, fieldRefValue: () => '' };

/** describe.DescribePodTemplate, tabs included. */
export function describePodTemplate(template: PodTemplateSpec): string {
  const w = new PrefixWriter();
  const spec = template.spec ?? { containers: [] };
  w.write(0, 'Pod Template:\n');
  printLabelsMultiline(w, '  Labels', template.metadata?.labels);
  if (Object.keys(template.metadata?.annotations ?? {}).length > 0) printAnnotationsMultiline(w, '  Annotations', template.metadata?.annotations);
  if (spec.serviceAccountName) w.write(1, `Service Account:\t${spec.serviceAccountName}\n`);
  if ((spec.initContainers ?? []).length > 0) describeContainers('Init Containers', spec.initContainers ?? [], w, TEMPLATE_CONTAINERS);
  describeContainers('Containers', spec.containers, w, TEMPLATE_CONTAINERS);
  describeVolumes(spec.volumes ?? [], w, TEMPLATE_STYLE);
  describeTopologySpread(spec.topologySpreadConstraints ?? [], w);
  if (spec.priorityClassName) w.write(1, `Priority Class Name:\t${spec.priorityClassName}\n`);
  printLabelsMultiline(w, '  Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(w, '  Tolerations', spec.tolerations ?? []);
  return w.text;
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
