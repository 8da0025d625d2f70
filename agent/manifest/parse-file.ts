// The per-file manifest pipeline. For every document of a file:
//   decode -> apiVersion/kind -> JSON Schema -> defaults -> semantic validation -> warnings
// An invalid document yields its errors and no object; the file's other documents still yield
// theirs (the file source decides what a partly invalid file means, and what an object defined
// twice means). Semantic validation runs on
// the defaulted object, as the API server validates defaulted objects. Pure: no I/O, never throws.
import type { DaemonSet, Diagnostic, FileResult, ManifestObject, ObjectKey, Pod, WorkloadKind } from '../core/types.js';
import { checkKind } from './api-version.js';
import { decodeManifest, type DecodedDocument, type DecodeProblem } from './decode.js';
import { errorMessage } from '../core/errors.js';
import { defaultDaemonSet, defaultPod } from './defaults.js';
import { forbiddenHostPathIssues } from './forbidden-host-paths.js';
import { podUidIssues, staticPodNameIssues } from './identity.js';
import type { FieldIssue } from './field-issue.js';
import { unimplementedFieldWarnings } from './implemented-fields.js';
import { validateSchema, withoutFields } from './schema-validate.js';
import { daemonSetWarnings, validateDaemonSet } from './validate-daemonset.js';
import { validatePod } from './validate-pod.js';
import { staticPodRestrictions } from './static-pod-restrictions.js';
import { podSpecWarnings } from './api-warnings.js';
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { inItem, isPodList, splitPodList } from './pod-list.js';

export type ValidationMode = 'strict' | 'warn';

export interface ParseOptions {
  /** strict (default): unknown fields are errors, as kubectl's strict field validation;
   *  warn: they are warnings and are dropped, as with `kubectl --validate=warn`. */
  readonly validation?: ValidationMode;
  /** Host paths this node refuses to mount (nodelet config; forbidden-host-paths.ts). */
  readonly forbiddenHostPaths?: readonly string[];
  /** The node a Pod would run on: its name gets the `-<node>` suffix, and the suffixed name
   *  must be a valid object name, as the kubelet validates the renamed pod. */
  readonly nodeName?: string;
}

/** What is known about one document, for messages such as `The Pod "web" is invalid`. */
export interface DocumentSummary {
  readonly document: number;
  /** 1-based line where the document starts. */
  readonly line?: number;
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  /** True when apiVersion/kind name a kind nodelet serves (v1 Pod, apps/v1 DaemonSet). */
  readonly supported: boolean;
}

export interface ParsedFile extends FileResult {
  readonly documents: readonly DocumentSummary[];
}

/** The outcome for one decoded document. */
export interface DocumentResult {
  readonly summary: DocumentSummary;
  readonly object?: ManifestObject;
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
}

// Go's JSON decoding leaves a field at its zero value when the input holds null
// (`creationTimestamp: null` in exported objects), so a null member is an absent member.
function dropNullMembers(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) dropNullMembers(item);
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (record[key] === null) delete record[key];
      else dropNullMembers(record[key]);
    }
  }
}

function stringMember(record: unknown, key: string): string | undefined {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return undefined;
  const value = (record as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

function fromIssue(issue: FieldIssue, severity: Diagnostic['severity'], file: string, document: number): Diagnostic {
  return {
    severity,
    file,
    document,
    field: issue.field,
    message: issue.message,
    ...(issue.hint === undefined ? {} : { hint: issue.hint }),
  };
}

/** A decode problem as a file's diagnostic (also for a file the reader refuses unread: oversizeProblem). */
export function fromDecodeProblem(problem: DecodeProblem, file: string, severity: Diagnostic['severity'] = 'error'): Diagnostic {
  return {
    severity,
    file,
    ...(problem.index === undefined ? {} : { document: problem.index }),
    ...(problem.line === undefined ? {} : { line: problem.line }),
    ...(problem.column === undefined ? {} : { column: problem.column }),
    message: problem.message,
    ...(problem.hint === undefined ? {} : { hint: problem.hint }),
  };
}

function summarize(document: number, line: number, value: Record<string, unknown>, supported: boolean): DocumentSummary {
  const metadata = value['metadata'];
  const apiVersion = stringMember(value, 'apiVersion');
  const kind = stringMember(value, 'kind');
  const name = stringMember(metadata, 'name');
  const namespace = stringMember(metadata, 'namespace');
  return {
    document,
    line,
    supported,
    ...(apiVersion === undefined ? {} : { apiVersion }),
    ...(kind === undefined ? {} : { kind }),
    ...(name === undefined ? {} : { name }),
    ...(namespace === undefined ? {} : { namespace }),
  };
}

/**
 * Defaults, validates and wraps one schema-valid object of a served kind. The node's
 * forbiddenHostPaths are checked last, on an otherwise valid object, as one more validation rule.
 */
function finish(
  kind: WorkloadKind,
  decoded: Record<string, unknown>,
  file: string,
  document: number,
  forbiddenHostPaths: readonly string[],
  nodeName: string | undefined,
): { object?: ManifestObject; errors: FieldIssue[]; warnings: FieldIssue[] } {
  const warnings = unimplementedFieldWarnings(kind, decoded as Pod | DaemonSet);
  // Creating an object discards the status it carries (PrepareForCreate in the Pod and DaemonSet
  // strategies): an exported manifest's status must not reach the defaulted object or its hash.
  const { status: _status, ...spec } = decoded;
  let object: ManifestObject;
  let errors: FieldIssue[];
  if (kind === 'Pod') {
    const pod = defaultPod(spec as Pod);
    errors = validatePod(pod, { restrictionsChecked: true });
    // kubelet renames a static pod (`<name>-<node>`) before it validates it; a name already
    // refused as written is not reported twice.
    if (nodeName !== undefined && !errors.some((e) => e.field === 'metadata.name')) errors.push(...staticPodNameIssues(pod, nodeName));
    errors.push(...podUidIssues(pod));
    warnings.push(...podSpecWarnings(pod.spec, pod.metadata, false));
    object = { kind, key: keyOf(kind, pod), file, document, object: pod };
  } else {
    const daemonSet = defaultDaemonSet(spec as DaemonSet);
    errors = validateDaemonSet(daemonSet, { restrictionsChecked: true });
    if (errors.length === 0) warnings.push(...podSpecWarnings(daemonSet.spec?.template?.spec, daemonSet.spec?.template?.metadata, true), ...daemonSetWarnings(daemonSet));
    object = { kind, key: keyOf(kind, daemonSet), file, document, object: daemonSet };
  }
  if (errors.length === 0) errors = forbiddenHostPathIssues(object.object, kind, forbiddenHostPaths);
  return errors.length > 0 ? { errors, warnings } : { object, errors: [], warnings };
}

function keyOf(kind: WorkloadKind, object: Pod | DaemonSet): ObjectKey {
  const namespace = object.metadata?.namespace;
  return { kind, namespace: namespace === undefined || namespace === '' ? 'default' : namespace, name: object.metadata?.name ?? '' };
}

/**
 * Everything after decoding, for one document: kind, schema, defaults, semantic validation and
 * warnings. parseManifestFile calls it for each decoded document; benchmarks call it alone.
 * Null members of `value` are removed in place.
 */
export function parseDocument(
  value: Record<string, unknown>,
  index: number,
  line: number,
  file: string,
  mode: ValidationMode,
  forbiddenHostPaths: readonly string[] = [],
  nodeName?: string,
): DocumentResult {
  dropNullMembers(value);
  const kindCheck = checkKind(value);
  if (!kindCheck.ok) {
    return {
      summary: summarize(index, line, value, false),
      errors: kindCheck.issues.map((i) => fromIssue(i, 'error', file, index)),
      warnings: [],
    };
  }
  const summary = summarize(index, line, value, true);
  const diagnostics = (issues: readonly FieldIssue[], severity: Diagnostic['severity']): Diagnostic[] => issues.map((i) => fromIssue(i, severity, file, index));
  // Static-pod restrictions first, on the document as decoded: a reference to an API object is
  // what makes the document unusable on nodelet, whatever else is wrong inside it.
  const restricted = staticPodRestrictions(podSpecOf(kindCheck.kind, value), kindCheck.kind === 'Pod' ? 'spec' : 'spec.template.spec');
  const schema = validateSchema(kindCheck.kind, value);
  const unknown = schema.unknownFields.map((u) => u.issue);
  // Fields gated off by default: dropped with a warning in both modes, as the API server drops them.
  const gated = schema.gatedFields.map((u) => u.issue);
  if (restricted.length > 0) {
    // Schema errors inside a restricted subtree would only repeat it in other words.
    const outside = (i: FieldIssue): boolean => !restricted.some((r) => i.field === r.field || i.field.startsWith(`${r.field}.`) || i.field.startsWith(`${r.field}[`));
    const rest = (mode === 'strict' ? [...unknown, ...schema.errors] : schema.errors).filter(outside);
    return { summary, errors: diagnostics([...restricted, ...rest], 'error'), warnings: diagnostics(mode === 'warn' ? [...gated, ...unknown] : gated, 'warning') };
  }
  if (schema.errors.length > 0 || (mode === 'strict' && unknown.length > 0)) {
    const errors = mode === 'strict' ? [...unknown, ...schema.errors] : schema.errors;
    return { summary, errors: diagnostics(errors, 'error'), warnings: diagnostics(mode === 'warn' ? [...gated, ...unknown] : gated, 'warning') };
  }
  const dropped = [...schema.gatedFields, ...schema.unknownFields];
  const known = dropped.length > 0 ? withoutFields(value, dropped.map((u) => u.path)) : value;
  const result = finish(kindCheck.kind, known, file, index, forbiddenHostPaths, nodeName);
  const warnings = diagnostics([...gated, ...unknown, ...result.warnings], 'warning');
  return {
    summary,
    errors: diagnostics(result.errors, 'error'),
    warnings,
    ...(result.object === undefined ? {} : { object: result.object }),
  };
}

/** The pod spec of a decoded Pod (`spec`) or DaemonSet (`spec.template.spec`), unchecked. */
function podSpecOf(kind: WorkloadKind, value: Record<string, unknown>): PodSpec | undefined {
  const member = (record: unknown, key: string): unknown => (record !== null && typeof record === 'object' && !Array.isArray(record) ? (record as Record<string, unknown>)[key] : undefined);
  const spec = kind === 'Pod' ? member(value, 'spec') : member(member(member(value, 'spec'), 'template'), 'spec');
  return spec !== null && typeof spec === 'object' && !Array.isArray(spec) ? (spec as PodSpec) : undefined;
}

/**
 * parseDocument, with an exception in any stage (a bug, or input no check foresaw) turned into
 * this document's error: one bad document must never stop the file's other documents, the
 * other files of a batch, or the agent's initial scan.
 */
function guardedParseDocument(document: DecodedDocument, file: string, mode: ValidationMode, opts: ParseOptions): DocumentResult {
  try {
    return parseDocument(document.value, document.index, document.line, file, mode, opts.forbiddenHostPaths, opts.nodeName);
  } catch (error) {
    const diagnostic: Diagnostic = {
      severity: 'error',
      file,
      document: document.index,
      line: document.line,
      message: `internal error while checking the document: ${errorMessage(error)}`,
    };
    return { summary: { document: document.index, line: document.line, supported: false }, errors: [diagnostic], warnings: [] };
  }
}

/**
 * A v1 PodList document (pod-list.ts): each item through the Pod pipeline, its diagnostics under
 * `items[i]`. The list's objects come only with no error anywhere in it: one invalid item refuses
 * the list, as the kubelet's tryDecodePodList does.
 */
function parsePodListDocument(document: DecodedDocument, file: string, mode: ValidationMode, opts: ParseOptions): { result: DocumentResult; objects: ManifestObject[] } {
  dropNullMembers(document.value);
  const split = splitPodList(document.value);
  const diagnostic = (i: FieldIssue, severity: Diagnostic['severity']): Diagnostic => fromIssue(i, severity, file, document.index);
  const errors: Diagnostic[] = split.errors.map((i) => diagnostic(i, 'error'));
  const warnings: Diagnostic[] = [];
  (mode === 'strict' ? errors : warnings).push(...split.unknownFields.map((i) => diagnostic(i, mode === 'strict' ? 'error' : 'warning')));
  const objects: ManifestObject[] = [];
  for (const item of split.items) {
    const r = guardedParseDocument({ ...document, value: item.value }, file, mode, opts);
    errors.push(...r.errors.map((d) => inItem(d, item.index)));
    warnings.push(...r.warnings.map((d) => inItem(d, item.index)));
    if (r.object !== undefined) objects.push(r.object);
  }
  const summary = summarize(document.index, document.line, document.value, false);
  return { result: { summary, errors, warnings }, objects: errors.length === 0 ? objects : [] };
}

export function parseManifestFile(text: string, file: string, opts: ParseOptions = {}): ParsedFile {
  const mode = opts.validation ?? 'strict';
  const decoded = decodeManifest(text);
  const documents: DocumentSummary[] = [];
  const objects: ManifestObject[] = [];
  const errors: Diagnostic[] = decoded.errors.map((p) => fromDecodeProblem(p, file));
  const warnings: Diagnostic[] = decoded.warnings.map((p) => fromDecodeProblem(p, file, 'warning'));
  for (const problem of decoded.errors) {
    if (problem.index !== undefined) {
      documents.push({ document: problem.index, supported: false, ...(problem.line === undefined ? {} : { line: problem.line }) });
    }
  }
  for (const document of decoded.documents) {
    if (isPodList(document.value)) {
      const list = parsePodListDocument(document, file, mode, opts);
      documents.push(list.result.summary);
      errors.push(...list.result.errors);
      warnings.push(...list.result.warnings);
      objects.push(...list.objects);
      continue;
    }
    const result = guardedParseDocument(document, file, mode, opts);
    documents.push(result.summary);
    errors.push(...result.errors);
    warnings.push(...result.warnings);
    if (result.object !== undefined) objects.push(result.object);
  }
  documents.sort((a, b) => a.document - b.document);
  const byDocument = (a: Diagnostic, b: Diagnostic): number => (a.document ?? -1) - (b.document ?? -1);
  return { file, objects, errors: errors.sort(byDocument), warnings: warnings.sort(byDocument), documents };
}
