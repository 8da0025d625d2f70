// Core data types shared by every stage. Data only: no I/O, no classes with behaviour.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';

export type { Pod, DaemonSet };

/** The kinds nodelet accepts from a manifest directory. */
export const WORKLOAD_KINDS = ['Pod', 'DaemonSet'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** Identity of a manifest object: kind/namespace/name, never the file path. */
export interface ObjectKey {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
}

export function formatObjectKey(key: ObjectKey): string {
  return `${key.kind}/${key.namespace}/${key.name}`;
}

/**
 * One problem found in a manifest, already formatted the way kubectl prints it.
 * `message` is the full line (e.g. `spec.containers[0].image: Required value`);
 * `field` is the field path alone when there is one.
 */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  /** 0-based index of the YAML document in the file, when the problem is inside one. */
  readonly document?: number;
  /** 1-based position, for YAML syntax errors. */
  readonly line?: number;
  readonly column?: number;
  /** kubectl-style field path, e.g. `spec.containers[0].imagee`. */
  readonly field?: string;
  readonly message: string;
  /** How to fix it, when we know (did-you-mean, the apps/v1 hint...). */
  readonly hint?: string;
}

/** A validated, defaulted object from a manifest file. */
export type ManifestObject =
  | { readonly kind: 'Pod'; readonly key: ObjectKey; readonly file: string; readonly document: number; readonly object: Pod }
  | { readonly kind: 'DaemonSet'; readonly key: ObjectKey; readonly file: string; readonly document: number; readonly object: DaemonSet };

/** Result of decoding + validating one file. */
export interface FileResult {
  readonly file: string;
  readonly objects: readonly ManifestObject[];
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
}

/** Per-file status exposed to the CLI and the API. */
export interface FileStatus {
  readonly file: string;
  /** ok: every object in force; invalid: the file has errors (its last valid objects stay in force);
   *  conflict: at least one object is also defined by an earlier file; refused: the file, or a
   *  directory on its path, could be written by someone other than root or the agent's user, so
   *  it is not read (the objects last read while it was trusted stay in force). */
  readonly state: 'ok' | 'invalid' | 'conflict' | 'refused';
  readonly objects: readonly ObjectKey[];
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
  /** ms since epoch of the last read. */
  readonly checkedAt: number;
  /** When the file is invalid or refused but objects of an earlier read stay in force: when that
   *  version was read (ms since epoch). */
  readonly keptSince?: number;
  /** What happens to the file's objects, in words, when that is not simply "they are in force". */
  readonly note?: string;
}

export const SOURCE_OPS = ['ADD', 'UPDATE', 'REMOVE'] as const;
export type SourceOp = (typeof SOURCE_OPS)[number];

/** The ordered stream the manifest source emits. */
export type SourceUpdate =
  | { readonly op: 'ADD' | 'UPDATE'; readonly key: ObjectKey; readonly object: ManifestObject }
  | { readonly op: 'REMOVE'; readonly key: ObjectKey };

/** A pod nodelet should run on this host (from a manifest Pod or a DaemonSet). */
export interface DesiredPod {
  readonly uid: string;
  readonly namespace: string;
  /** Full pod name, e.g. `web-node1` for a static pod. */
  readonly name: string;
  /** The defaulted v1 Pod with identity (metadata.uid, annotations, spec.nodeName) filled in. */
  readonly pod: Pod;
  readonly origin:
    | { readonly kind: 'Pod'; readonly file: string }
    | { readonly kind: 'DaemonSet'; readonly file: string; readonly owner: string; readonly revision: number; readonly templateHash: string };
}
