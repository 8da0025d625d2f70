// Checks a decoded document against the JSON Schema generated from the Kubernetes API definitions
// (manifests/schema/workloads.schema.json) and words every failure the way the API server does,
// with kubectl-form field paths (`spec.containers[0].ports[0].containerPort`). Pure: no I/O.
//
// Unknown fields are kept apart from the other errors: kubectl's strict field validation rejects
// them, `--validation=warn` reports them as warnings and drops them, as the API server does.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { validateDaemonSet, validatePod } from '../generated/validators.js';
import schemaDocument from '../../manifests/schema/workloads.schema.json' with { type: 'json' };
import type { WorkloadKind } from '../core/types.js';
import { dedupeIssues, goQuote, invalid, notSupported, required, withHint, type FieldIssue, type GoValue } from './field-issue.js';
import { QUANTITY_FORMAT_ERROR, QUANTITY_PATTERN } from './quantity.js';

/** A JSON-Schema node of the generated document (only the keywords the generator emits). */
interface SchemaNode {
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: boolean | SchemaNode;
  readonly items?: SchemaNode;
  readonly enum?: readonly unknown[];
  readonly required?: readonly string[];
  readonly pattern?: string;
}

interface SchemaDocument {
  readonly $id: string;
  readonly definitions: Readonly<Record<string, SchemaNode>>;
}

const SCHEMA = schemaDocument as unknown as SchemaDocument;

const ROOT_DEFINITIONS: Readonly<Record<WorkloadKind, string>> = {
  Pod: 'io.k8s.api.core.v1.Pod',
  DaemonSet: 'io.k8s.api.apps.v1.DaemonSet',
};

export type PathSegment = string | number;

/** A member the schema does not know, with where it sits so that it can be dropped. */
export interface UnknownField {
  readonly path: readonly PathSegment[];
  readonly issue: FieldIssue;
}

export interface SchemaCheck {
  /** Type, required and format errors: the document cannot be decoded as the kind. */
  readonly errors: readonly FieldIssue[];
  /** Members that are not fields of the kind (strict: errors; warn: warnings). */
  readonly unknownFields: readonly UnknownField[];
}

// Compiled ahead of time from the schema (scripts/generate-validators.mjs, agent/generated/).
const VALIDATORS: Readonly<Record<WorkloadKind, ValidateFunction>> = { Pod: validatePod, DaemonSet: validateDaemonSet };

function resolve(node: SchemaNode | undefined): SchemaNode | undefined {
  let current = node;
  for (let hops = 0; current?.$ref !== undefined && hops < 32; hops++) {
    current = SCHEMA.definitions[current.$ref.slice('#/definitions/'.length)];
  }
  return current;
}

function definitionName(node: SchemaNode | undefined): string | undefined {
  return node?.$ref?.slice('#/definitions/'.length).split('.').pop();
}

function isArraySchema(node: SchemaNode): boolean {
  return node.type === 'array';
}

function isMapSchema(node: SchemaNode): node is SchemaNode & { additionalProperties: SchemaNode } {
  return node.properties === undefined && typeof node.additionalProperties === 'object';
}

function decodePointer(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** A field path in kubectl form: struct members `.name`, list items `[0]`, map keys `[key]`. */
export function formatFieldPath(segments: readonly PathSegment[], kind: WorkloadKind): string {
  let path = '';
  let node = resolve(SCHEMA.definitions[ROOT_DEFINITIONS[kind]]);
  for (const segment of segments) {
    if (node !== undefined && isArraySchema(node)) {
      path += `[${segment}]`;
      node = resolve(node.items);
    } else if (node !== undefined && isMapSchema(node)) {
      path += `[${segment}]`;
      node = resolve(node.additionalProperties);
    } else {
      path += path === '' ? String(segment) : `.${segment}`;
      node = resolve(node?.properties?.[String(segment)]);
    }
  }
  return path;
}

/** Optimal-string-alignment distance: edits, with a swap of two neighbours counting as one. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

function closestName(name: string, candidates: readonly string[]): { name: string; distance: number } | undefined {
  const lower = name.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  if (best === undefined || best.distance > Math.max(1, Math.floor(name.length / 4))) return undefined;
  return best;
}

/** Where `name` is a field one or two object levels below `node` (e.g. DaemonSet spec -> template.spec). */
function nestedHome(name: string, node: SchemaNode): string | undefined {
  const lower = name.toLowerCase();
  let level: { path: string; node: SchemaNode }[] = [{ path: '', node }];
  for (let depth = 0; depth < 2; depth++) {
    const next: { path: string; node: SchemaNode }[] = [];
    for (const { path, node: parent } of level) {
      for (const [child, childSchema] of Object.entries(parent.properties ?? {})) {
        const resolved = resolve(childSchema);
        if (resolved?.properties === undefined) continue;
        const childPath = path === '' ? child : `${path}.${child}`;
        const match = Object.keys(resolved.properties).find((p) => p.toLowerCase() === lower);
        if (match !== undefined) return `${childPath}.${match}`;
        next.push({ path: childPath, node: resolved });
      }
    }
    level = next;
  }
  return undefined;
}

function unknownFieldHint(name: string, parentPath: string, parent: SchemaNode | undefined, parentSchemaRef: SchemaNode | undefined): string | undefined {
  if (parent?.properties === undefined) return undefined;
  const typeName = definitionName(parentSchemaRef);
  const close = closestName(name, Object.keys(parent.properties));
  if (close !== undefined && close.distance <= 1) return `did you mean "${close.name}"?`;
  const home = nestedHome(name, parent);
  if (home !== undefined) {
    const where = parentPath === '' ? home : `${parentPath}.${home}`;
    return `${name} is not a field of ${typeName ?? 'this object'}: did you mean ${where}?`;
  }
  if (close !== undefined) return `did you mean "${close.name}"?`;
  return undefined;
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** A decoded value as field.Error prints it; lists and objects as JSON. */
function goValue(value: unknown): GoValue {
  if (value === null || value === undefined || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value;
  }
  return JSON.stringify(value);
}

function expectedTypeOf(error: ErrorObject): string {
  const type = (error.params as { type?: string | string[] }).type;
  if (Array.isArray(type)) return type.join(' or ');
  return type ?? 'unknown';
}

function valueAt(document: unknown, segments: readonly PathSegment[]): unknown {
  let current = document;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[String(segment)];
  }
  return current;
}

function typeIssue(field: string, expected: string, value: unknown): FieldIssue {
  const actual = jsonTypeOf(value);
  // apiextensions-apiserver wording for a schema type mismatch (field.TypeInvalid + go-openapi).
  const issue = invalid(field, actual, `${field} in body must be of type ${expected}: ${goQuote(actual)}`);
  const quotable = expected === 'string' && (actual === 'integer' || actual === 'number' || actual === 'boolean');
  if (!quotable) return issue;
  const kindOfScalar = actual === 'boolean' ? 'a boolean' : 'a number';
  return withHint(issue, `quote the value (${goQuote(String(value))}): YAML reads it unquoted as ${kindOfScalar}`);
}

function toIssue(error: ErrorObject, kind: WorkloadKind, document: unknown): FieldIssue {
  const segments = decodePointer(error.instancePath);
  const field = formatFieldPath(segments, kind);
  const value = valueAt(document, segments);
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return required(formatFieldPath([...segments, missing], kind));
    }
    case 'type':
      return typeIssue(field, expectedTypeOf(error), value);
    case 'enum': {
      const allowed = ((error.params as { allowedValues?: unknown[] }).allowedValues ?? []).map(String);
      return notSupported(field, goValue(value), allowed);
    }
    case 'pattern':
      if ((error.params as { pattern?: string }).pattern === QUANTITY_PATTERN) {
        return withHint(
          invalid(field, goValue(value), QUANTITY_FORMAT_ERROR),
          'write a number with an optional suffix, e.g. 100m, 0.5, 128Mi, 1Gi',
        );
      }
      return invalid(field, goValue(value), error.message ?? 'does not match the expected format');
    default:
      return invalid(field, goValue(value), error.message ?? 'is invalid');
  }
}

function toUnknownField(error: ErrorObject, kind: WorkloadKind): UnknownField {
  const parentSegments = decodePointer(error.instancePath);
  const name = (error.params as { additionalProperty: string }).additionalProperty;
  const path = [...parentSegments, name];
  const field = formatFieldPath(path, kind);
  const parentPath = formatFieldPath(parentSegments, kind);
  const parentRef = refAt(parentSegments, kind);
  const hint = unknownFieldHint(name, parentPath, resolve(parentRef), parentRef);
  return { path, issue: { field, message: `unknown field ${goQuote(field)}`, ...(hint === undefined ? {} : { hint }) } };
}

/** The unresolved node ($ref) at a path, to name the type in hints. */
function refAt(segments: readonly PathSegment[], kind: WorkloadKind): SchemaNode | undefined {
  let raw: SchemaNode | undefined = { $ref: `#/definitions/${ROOT_DEFINITIONS[kind]}` };
  for (const segment of segments) {
    const node = resolve(raw);
    if (node === undefined) return undefined;
    if (isArraySchema(node)) raw = node.items;
    else if (isMapSchema(node)) raw = node.additionalProperties;
    else raw = node.properties?.[String(segment)];
  }
  return raw;
}

export function validateSchema(kind: WorkloadKind, document: unknown): SchemaCheck {
  const validate = VALIDATORS[kind];
  if (validate(document)) return { errors: [], unknownFields: [] };
  const errors: FieldIssue[] = [];
  const unknownFields: UnknownField[] = [];
  for (const error of validate.errors ?? []) {
    if (error.keyword === 'additionalProperties') unknownFields.push(toUnknownField(error, kind));
    else errors.push(toIssue(error, kind, document));
  }
  // Like field.ErrorList.ToAggregate: one line per distinct message.
  return { errors: dedupeIssues(errors), unknownFields };
}

/** A copy of `document` without the members at `paths` (what the API server drops in warn mode). */
export function withoutFields<T>(document: T, paths: readonly (readonly PathSegment[])[]): T {
  const copy = structuredClone(document);
  for (const path of paths) {
    const parent = valueAt(copy, path.slice(0, -1));
    const last = path[path.length - 1];
    if (parent !== null && typeof parent === 'object' && last !== undefined) {
      delete (parent as Record<string, unknown>)[String(last)];
    }
  }
  return copy;
}
