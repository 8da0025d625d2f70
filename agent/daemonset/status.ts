// DaemonSet status as updateDaemonSetStatus computes it (pkg/controller/daemon/daemon_controller.go),
// over the single node nodelet runs on, so every count is 0 or 1. The node's "pod" is its
// oldest daemon pod (terminating ones included), so during a surge rollout the old pod is the
// one counted until it is gone. Pure.
import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Eligibility } from '../node/eligibility.js';
import { type DaemonPodState, isPodAvailable, isPodUpdated, minReadySeconds, oldestFirst } from './rollout.js';

export interface DaemonSetStatusInput {
  /** Defaulted DaemonSet. */
  readonly ds: DaemonSet;
  readonly eligibility: Eligibility;
  readonly pods: readonly DaemonPodState[];
  /** controller-revision-hash of the current revision. */
  readonly currentHash: string;
  readonly templateGeneration?: number;
  /** The generation the controller last fully processed. */
  readonly observedGeneration?: number;
  readonly collisionCount?: number;
  readonly now: number;
}

/** Counts as the API serialises them: the omitempty fields are left out when zero. */
export function computeDaemonSetStatus(input: DaemonSetStatusInput): DaemonSetStatus {
  const pods = oldestFirst(input.pods.filter((p) => !(p.terminating && (p.phase === 'Failed' || p.phase === 'Succeeded'))));
  const scheduled = pods.length > 0;
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  if (input.eligibility.shouldRun) {
    desired = 1;
    const pod = pods[0];
    if (pod) {
      current = 1;
      if (pod.ready) {
        ready = 1;
        if (isPodAvailable(pod, minReadySeconds(input.ds), input.now)) available = 1;
      }
      if (isPodUpdated(pod, input.currentHash, input.templateGeneration)) updated = 1;
    }
  } else if (scheduled) {
    misscheduled = 1;
  }
  const unavailable = desired - available;
  const status: DaemonSetStatus = {
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
  };
  if (input.observedGeneration) status.observedGeneration = input.observedGeneration;
  if (updated) status.updatedNumberScheduled = updated;
  if (available) status.numberAvailable = available;
  if (unavailable) status.numberUnavailable = unavailable;
  if (input.collisionCount !== undefined) status.collisionCount = input.collisionCount;
  return status;
}

/**
 * `get ds` cells after NAME (printDaemonSet): DESIRED, CURRENT, READY, UP-TO-DATE, AVAILABLE,
 * NODE SELECTOR; with `wide` also CONTAINERS, IMAGES, SELECTOR. AGE is the caller's.
 */
export function daemonSetCells(ds: DaemonSet, status: DaemonSetStatus, opts: { readonly wide?: boolean } = {}): string[] {
  const spec = ds.spec?.template.spec;
  const cells = [
    String(status.desiredNumberScheduled),
    String(status.currentNumberScheduled),
    String(status.numberReady),
    String(status.updatedNumberScheduled ?? 0),
    String(status.numberAvailable ?? 0),
    formatLabels(spec?.nodeSelector),
  ];
  if (opts.wide) {
    const containers = spec?.containers ?? [];
    cells.push(containers.map((c) => c.name).join(','), containers.map((c) => c.image ?? '').join(','), formatLabelSelector(ds.spec?.selector));
  }
  return cells;
}

/** labels.FormatLabels: `k=v,...` sorted by key, `<none>` when empty. */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${labels?.[k] ?? ''}`).join(',');
}

/** metav1.FormatLabelSelector: requirements sorted by key, `<none>` when it selects everything or nothing. */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  if (!selector) return '<none>';
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of selector.matchExpressions ?? []) {
    const values = [...new Set(e.values ?? [])].sort().join(',');
    switch (e.operator) {
      case 'In':
        reqs.push({ key: e.key, text: `${e.key} in (${values})` });
        break;
      case 'NotIn':
        reqs.push({ key: e.key, text: `${e.key} notin (${values})` });
        break;
      case 'Exists':
        reqs.push({ key: e.key, text: e.key });
        break;
      case 'DoesNotExist':
        reqs.push({ key: e.key, text: `!${e.key}` });
        break;
      default:
        return '<error>';
    }
  }
  const text = reqs
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.text)
    .join(',');
  return text || '<none>';
}
