// What `kubectl rollout status|undo|restart` and `set image` print for a DaemonSet, word for
// word: staging/src/k8s.io/kubectl/pkg/polymorphichelpers/{rollout_status,rollback}.go and the
// name printer (`daemonset.apps/<name> <operation>`). Errors are returned without the `error: `
// prefix kubectl's CheckErr adds. Pure. What prints a pod template (`rollout history
// --revision`, `undo --dry-run`) is a printer: cli/printers/rollout.ts.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import { goQuote } from '../manifest/field-issue.js';
import { type DaemonSetRevision, findRevision, templatesEqual } from './revisions.js';

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

// --- rollout undo ----------------------------------------------------------------------------

export type UndoResult =
  | { readonly kind: 'error'; readonly error: string }
  /** --dry-run (cli/printers/rollout.ts undoDryRun): print `output` as is. */
  | { readonly kind: 'dryRun'; readonly output: string }
  /** Nothing to do: print `message`. */
  | { readonly kind: 'skipped'; readonly message: string }
  /** Rewrite the manifest's template to `revision.template`, then print `message`. */
  | { readonly kind: 'rollback'; readonly revision: DaemonSetRevision; readonly message: string };

/** DaemonSetRollbacker.Rollback for the DaemonSet as it is now (defaulted) and its history. */
export function planUndo(ds: DaemonSet, history: readonly DaemonSetRevision[], toRevision = 0): UndoResult {
  const ref = daemonSetRef(ds.metadata?.name ?? '');
  if (toRevision < 0) return { kind: 'error', error: revisionNotFound(toRevision) };
  if (toRevision === 0 && history.length <= 1) return { kind: 'error', error: 'no last revision to roll back to' };
  const target = findRevision(history, toRevision);
  if (!target) return { kind: 'error', error: revisionNotFound(toRevision) };
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
