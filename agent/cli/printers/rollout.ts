// What prints a DaemonSet's pod template, word for word: `kubectl rollout history --revision`
// and `rollout undo --dry-run` (staging/src/k8s.io/kubectl/pkg/polymorphichelpers/{history,
// rollback}.go) and describe.DescribePodTemplate (history --revision prints it through a bare
// PrefixWriter, so its tabs are left in the output, as kubectl leaves them). Pure. The plain
// rollout messages are the DaemonSet controller's: daemonset/rollout-messages.ts.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { CHANGE_CAUSE_ANNOTATION, type DaemonSetRevision, findRevision } from '../../daemonset/revisions.js';
import { daemonSetRef, planUndo, type Outcome, type UndoResult } from '../../daemonset/rollout-messages.js';
import { type ContainersContext, type DescribeStyle, PrefixWriter, describeContainers, describeVolumes, printAnnotationsMultiline, printLabelsMultiline, printTolerationsMultiline } from './describe-blocks.js';
import { KUBECTL_DESCRIBE, tabwrite } from './table.js';
import { printableOrQuoted } from '../../manifest/field-issue.js';

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

// --- rollout undo --dry-run ------------------------------------------------------------------

/** DaemonSetRollbacker.Rollback with --dry-run=client: the same checks, then the target template. */
export function undoDryRun(ds: DaemonSet, history: readonly DaemonSetRevision[], toRevision = 0): UndoResult {
  const plan = planUndo(ds, history, toRevision);
  const target = findRevision(history, toRevision);
  if (plan.kind === 'error' || target === undefined) return plan;
  return { kind: 'dryRun', output: `${daemonSetRef(ds.metadata?.name ?? '')} will roll back to ${describePodTemplate(target.template)} (dry run)\n` };
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
