// Renders a file's diagnostics the way kubectl prints API errors:
//   web.yaml: The Pod "web" is invalid: spec.containers[0].image: Required value
//   web.yaml: The DaemonSet.apps "agent" is invalid:
//   * spec.selector: Required value
//   * spec.template.metadata.labels: Invalid value: ...
//   web.yaml: Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"
//   web.yaml: Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string
//   web.yaml:3:1: yaml: tab characters must not be used in indentation
//   part.yaml: error validating data: [apiVersion not set, kind not set]
//   Warning: web.yaml: unknown field "spec.foo"
// Each line that has a fix we know is followed by an indented `hint:` line. Pure: returns text.
import type { Diagnostic, FileResult } from '../core/types.js';
import type { DocumentSummary } from './parse-file.js';

/** A FileResult, with the per-document summaries parseManifestFile adds when available. */
export type RenderableResult = FileResult & { readonly documents?: readonly DocumentSummary[] };

/** The qualified kind of API error messages (`NewInvalid` uses Kind.group for non-core groups). */
function qualifiedKind(kind: string): string {
  return kind === 'DaemonSet' ? 'DaemonSet.apps' : kind;
}

function isUnknownField(d: Diagnostic): boolean {
  return d.message.startsWith('unknown field "');
}

/** A type error of Go's JSON decoding (schema-validate.ts goDecodeError). */
function isDecodeError(d: Diagnostic): boolean {
  return d.message.startsWith('json: cannot unmarshal ');
}

function isNotSet(d: Diagnostic): boolean {
  return (d.field === 'apiVersion' || d.field === 'kind') && d.message === `${d.field} not set`;
}

function hintLines(d: Diagnostic, indent: string): string[] {
  return d.hint === undefined ? [] : [`${indent}hint: ${d.hint}`];
}

function documentCount(result: RenderableResult): number {
  if (result.documents !== undefined) return result.documents.length;
  const indexes = new Set([...result.errors, ...result.warnings].map((d) => d.document ?? 0));
  return Math.max(indexes.size, result.objects.length);
}

/** `file`, or `file:line:column` for a problem with a position. */
function position(d: Diagnostic): string {
  return d.line === undefined ? d.file : `${d.file}:${d.line}:${d.column ?? 1}`;
}

function location(result: RenderableResult, d: Diagnostic): string {
  const base = position(d);
  if (d.document === undefined || d.line !== undefined || documentCount(result) <= 1) return base;
  return `${base} (document ${d.document + 1})`;
}

/** One diagnostic on one line, with its location (for logs and status output). */
export function formatDiagnostic(d: Diagnostic): string {
  const text = `${position(d)}: ${d.message}`;
  return d.severity === 'warning' ? `Warning: ${text}` : text;
}

function renderDocumentErrors(result: RenderableResult, errors: readonly Diagnostic[], summary: DocumentSummary | undefined): string[] {
  const first = errors[0];
  if (first === undefined) return [];
  const where = location(result, first);
  const kind = summary?.kind;
  if (errors.every(isNotSet)) {
    // kubectl's client-side check: `error validating data: [apiVersion not set, kind not set]`.
    return [`${where}: error validating data: [${errors.map((e) => e.message).join(', ')}]`, ...errors.flatMap((e) => hintLines(e, '  '))];
  }
  if (summary?.supported !== true || kind === undefined || errors.some((e) => e.line !== undefined)) {
    return errors.flatMap((e) => [`${location(result, e)}: ${e.message}`, ...hintLines(e, '  ')]);
  }
  if (errors.every((e) => isUnknownField(e) || isDecodeError(e))) {
    // The API server's decode errors: type errors (the API server stops at the first; nodelet
    // lists each), then the strict decoding error for unknown fields (kubectl --validate=strict).
    const prefix = `${where}: ${kind} in version "${summary.apiVersion ?? ''}" cannot be handled as a ${kind}: `;
    const unknown = errors.filter(isUnknownField);
    const lines = errors.filter(isDecodeError).flatMap((e) => [`${prefix}${e.message}`, ...hintLines(e, '  ')]);
    if (unknown.length > 0) lines.push(`${prefix}strict decoding error: ${unknown.map((e) => e.message).join(', ')}`, ...unknown.flatMap((e) => hintLines(e, '  ')));
    return lines;
  }
  const head = `${where}: The ${qualifiedKind(kind)} "${summary.name ?? ''}" is invalid:`;
  if (errors.length === 1) return [`${head} ${first.message}`, ...hintLines(first, '  ')];
  return [head, ...errors.flatMap((e) => [`* ${e.message}`, ...hintLines(e, '  ')])];
}

/** The file's errors as kubectl prints them, one block per document; '' when there are none. */
export function formatErrors(result: RenderableResult): string {
  const byDocument = new Map<number, Diagnostic[]>();
  for (const error of result.errors) {
    const key = error.document ?? -1;
    const list = byDocument.get(key) ?? [];
    list.push(error);
    byDocument.set(key, list);
  }
  const lines: string[] = [];
  for (const [document, errors] of [...byDocument.entries()].sort(([a], [b]) => a - b)) {
    const summary = result.documents?.find((s) => s.document === document);
    lines.push(...renderDocumentErrors(result, errors, summary));
  }
  return lines.join('\n');
}

/** The file's warnings, `Warning: <file>: <message>` as kubectl prints server warnings; '' when none. */
export function formatWarnings(result: RenderableResult): string {
  return result.warnings.flatMap((w) => [`Warning: ${location(result, w)}: ${w.message}`, ...hintLines(w, '  ')]).join('\n');
}
