// The node's forbiddenHostPaths (nodelet config): host paths no manifest on this node may mount,
// for hardened hosts where a manifest author must not reach /etc or the Docker socket. Pure.
//
// Matching is lexical, on normalized absolute paths (no symlinks are resolved, since validation
// does no I/O): an entry forbids itself and everything below it, on path-component boundaries
// (`/etc` forbids `/etc` and `/etc/ssl`, not `/etcd`). The entry `/` forbids exactly `/`, or it
// would forbid every hostPath; list the directories to protect instead.
import { posix } from 'node:path';
import type { DaemonSet, Pod } from '../core/types.js';
import { fieldPath, forbidden, goQuote, withHint, type FieldIssue } from './field-issue.js';

const HINT = 'mount another host path, or remove the entry from forbiddenHostPaths in the nodelet config';

/** `/a//b/./c/` → `/a/b/c`; the root stays `/`. */
export function normalizeHostPath(path: string): string {
  const normalized = posix.normalize(path);
  return normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
}

/** The entry that forbids `path`, if any. */
export function forbiddingEntry(path: string, forbiddenPaths: readonly string[]): string | undefined {
  const p = normalizeHostPath(path);
  for (const raw of forbiddenPaths) {
    const entry = normalizeHostPath(raw);
    if (p === entry) return raw;
    if (entry !== '/' && p.startsWith(`${entry}/`)) return raw;
  }
  return undefined;
}

/** One Forbidden issue per hostPath volume of the Pod spec (or DaemonSet template) that a
 *  forbidden entry covers; parse-file reports them as the document's errors, and the document
 *  then yields no object, like any invalid one. */
export function forbiddenHostPathIssues(object: Pod | DaemonSet, kind: 'Pod' | 'DaemonSet', forbiddenPaths: readonly string[]): FieldIssue[] {
  if (forbiddenPaths.length === 0) return [];
  const spec = kind === 'Pod' ? (object as Pod).spec : (object as DaemonSet).spec?.template.spec;
  const specPath = kind === 'Pod' ? 'spec' : 'spec.template.spec';
  const issues: FieldIssue[] = [];
  (spec?.volumes ?? []).forEach((volume, i) => {
    const path = volume.hostPath?.path;
    if (path === undefined) return;
    const entry = forbiddingEntry(path, forbiddenPaths);
    if (entry === undefined) return;
    const field = fieldPath.child(fieldPath.index(fieldPath.child(specPath, 'volumes'), i), 'hostPath', 'path');
    const why =
      normalizeHostPath(path) === normalizeHostPath(entry)
        ? `${goQuote(path)} is in forbiddenHostPaths of this node (nodelet config)`
        : `${goQuote(path)} is below ${goQuote(entry)}, which is in forbiddenHostPaths of this node (nodelet config)`;
    issues.push(withHint(forbidden(field, why), HINT));
  });
  return issues;
}
