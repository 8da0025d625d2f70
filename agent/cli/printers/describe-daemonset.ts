// `kubectl describe daemonset`, line for line as staging/src/k8s.io/kubectl/pkg/describe/describe.go
// writes it (DaemonSetDescriber, describeDaemonSet, getPodStatusForController,
// DescribePodTemplate, DescribeEvents), aligned by Go's tabwriter as tabbedString does. Pure.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { describePodTemplate } from './rollout.js';
import { formatLabels, formatLabelSelector } from '../../daemonset/status.js';
import type { NodeletEvent } from '../../events/event-store.js';
import { labelSelectorMatches } from '../../manifest/validate-meta.js';
import { PrefixWriter, describeEvents, printAnnotationsMultiline, printLabelsMultiline } from './describe-blocks.js';
import { KUBECTL_DESCRIBE, tabwrite } from './table.js';

/** The `Pods Status:` line's counts. */
export interface ControllerPodCounts {
  readonly running: number;
  readonly waiting: number;
  readonly succeeded: number;
  readonly failed: number;
}

/**
 * getPodStatusForController: the pods of the DaemonSet's namespace that its selector matches
 * and whose controller reference carries its uid, counted by phase (Unknown counts nowhere).
 */
export function daemonSetPodCounts(ds: DaemonSet, pods: readonly Pod[]): ControllerPodCounts {
  const counts = { running: 0, waiting: 0, succeeded: 0, failed: 0 };
  const namespace = ds.metadata?.namespace ?? '';
  const uid = ds.metadata?.uid ?? '';
  for (const pod of pods) {
    if ((pod.metadata?.namespace ?? '') !== namespace) continue;
    if (labelSelectorMatches(ds.spec?.selector, pod.metadata?.labels) !== true) continue;
    const controller = (pod.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
    if (!controller || controller.uid !== uid) continue;
    switch (pod.status?.phase) {
      case 'Running':
        counts.running++;
        break;
      case 'Pending':
        counts.waiting++;
        break;
      case 'Succeeded':
        counts.succeeded++;
        break;
      case 'Failed':
        counts.failed++;
        break;
    }
  }
  return counts;
}

/**
 * describeDaemonSet. `pods` may be every pod the agent runs (the DaemonSet's own are picked out
 * as kubectl picks them); `events` are the DaemonSet's.
 */
export function describeDaemonSet(ds: DaemonSet, pods: readonly Pod[], events: readonly NodeletEvent[], now: number): string {
  const w = new PrefixWriter();
  const meta = ds.metadata ?? {};
  const status = ds.status;
  const template = ds.spec?.template ?? {};
  // labels.Selector.String(): what FormatLabelSelector prints, but empty for an empty selector.
  const selector = formatLabelSelector(ds.spec?.selector);
  const counts = daemonSetPodCounts(ds, pods);

  w.write(0, `Name:\t${meta.name ?? ''}\n`);
  w.write(0, `Namespace:\t${meta.namespace ?? ''}\n`);
  w.write(0, `Selector:\t${selector === '<none>' ? '' : selector}\n`);
  w.write(0, `Node-Selector:\t${formatLabels(template.spec?.nodeSelector)}\n`);
  printLabelsMultiline(w, 'Labels', meta.labels);
  printAnnotationsMultiline(w, 'Annotations', meta.annotations);
  w.write(0, `Desired Number of Nodes Scheduled: ${status?.desiredNumberScheduled ?? 0}\n`);
  w.write(0, `Current Number of Nodes Scheduled: ${status?.currentNumberScheduled ?? 0}\n`);
  w.write(0, `Number of Nodes Scheduled with Up-to-date Pods: ${status?.updatedNumberScheduled ?? 0}\n`);
  w.write(0, `Number of Nodes Scheduled with Available Pods: ${status?.numberAvailable ?? 0}\n`);
  w.write(0, `Number of Nodes Misscheduled: ${status?.numberMisscheduled ?? 0}\n`);
  w.write(0, `Pods Status:\t${counts.running} Running / ${counts.waiting} Waiting / ${counts.succeeded} Succeeded / ${counts.failed} Failed\n`);
  w.text += describePodTemplate(template);
  describeEvents(events, w, now);
  return tabwrite(w.text, KUBECTL_DESCRIBE);
}
