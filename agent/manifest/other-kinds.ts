// `nodelet validate --only-supported`: all-in-one manifests (kube-flannel.yml and most install
// bundles) carry a Namespace, a ServiceAccount, RBAC and ConfigMaps beside their DaemonSet.
// nodelet runs none of those, and kubectl would create them on a cluster, so a bundle could
// never pass `validate`. This drops the documents whose kind nodelet does not serve from a
// file's result, and lists them, so that only the Pods and DaemonSets decide the outcome.
//
// Only a document with a well-formed apiVersion and kind of another kind is skipped: a Pod or a
// DaemonSet at a wrong or removed apiVersion (extensions/v1beta1) is meant for nodelet and keeps
// its error, as does a document without apiVersion or kind. Pure: no I/O.
import { WORKLOAD_KINDS } from '../core/types.js';
import type { DocumentSummary, ParsedFile } from './parse-file.js';

/** Kinds nodelet reads: the workloads, and the v1 PodList they may come in. */
const SERVED_KINDS: ReadonlySet<string> = new Set([...WORKLOAD_KINDS, 'PodList']);

export interface SkippedDocuments {
  /** The file's result without the other kinds' documents and their errors. */
  readonly result: ParsedFile;
  /** The documents left out, in file order. */
  readonly skipped: readonly DocumentSummary[];
}

function isOtherKind(summary: DocumentSummary): boolean {
  return summary.kind !== undefined && summary.kind !== '' && summary.apiVersion !== undefined && summary.apiVersion !== '' && !SERVED_KINDS.has(summary.kind);
}

export function skipOtherKinds(result: ParsedFile): SkippedDocuments {
  const skipped = result.documents.filter((d) => !d.supported && isOtherKind(d));
  if (skipped.length === 0) return { result, skipped };
  const indexes = new Set(skipped.map((d) => d.document));
  const keep = <T extends { document?: number }>(d: T): boolean => d.document === undefined || !indexes.has(d.document);
  return {
    result: { ...result, errors: result.errors.filter(keep), warnings: result.warnings.filter(keep), documents: result.documents.filter(keep) },
    skipped,
  };
}

/** One line for a file: `kube-flannel.yml: skipped 5 documents of kinds nodelet does not run: v1 Namespace "kube-flannel", ...`. */
export function formatSkipped(file: string, skipped: readonly DocumentSummary[]): string {
  const names = skipped.map((d) => {
    const name = d.name === undefined ? '' : ` ${JSON.stringify(d.namespace === undefined ? d.name : `${d.namespace}/${d.name}`)}`;
    return `${d.apiVersion ?? ''} ${d.kind ?? ''}${name}`;
  });
  const count = skipped.length === 1 ? '1 document' : `${skipped.length} documents`;
  return `${file}: skipped ${count} of kinds nodelet does not run: ${names.join(', ')}`;
}
