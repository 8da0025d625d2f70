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
import { dedupeIssues, goQuote, invalid, notSupported, plainIssue, required, withHint, type FieldIssue, type GoValue } from './field-issue.js';
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
  /** The Go type of a number (int32, int64, float64), for the decode error. */
  readonly 'x-go-type'?: string;
}

/** A field the API server drops on create while its feature gate is off (scripts/kubernetes-openapi/gated-fields.json). */
interface GatedField {
  readonly definition: string;
  readonly field: string;
  readonly gate: string;
  readonly stage: string;
}

interface SchemaDocument {
  readonly $id: string;
  readonly 'x-nodelet': { readonly kubernetesVersion: string; readonly gatedFields: readonly GatedField[] };
  readonly definitions: Readonly<Record<string, SchemaNode>>;
}

const SCHEMA = schemaDocument as unknown as SchemaDocument;

/** The Kubernetes release whose API the schema is, e.g. `1.37.2` (the kube-apiserver it came from). */
export const SCHEMA_KUBERNETES_VERSION = SCHEMA['x-nodelet'].kubernetesVersion;
/** Its minor release, as messages name it: `1.37`. */
export const SCHEMA_KUBERNETES_MINOR = SCHEMA_KUBERNETES_VERSION.split('.').slice(0, 2).join('.');

/** `<definition>.<field>` -> the gate that is off by default. */
const GATED = new Map(SCHEMA['x-nodelet'].gatedFields.map((f) => [`${f.definition}.${f.field}`, f]));

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
  /** Fields of the API whose feature gate is off by default: the API server drops them silently;
   *  nodelet drops them too, with a warning, in both modes. */
  readonly gatedFields: readonly UnknownField[];
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

function definitionId(node: SchemaNode | undefined): string | undefined {
  return node?.$ref?.slice('#/definitions/'.length);
}

function definitionName(node: SchemaNode | undefined): string | undefined {
  return definitionId(node)?.split('.').pop();
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

/** A decoded value as field.Error prints it; lists and objects as JSON. */
function goValue(value: unknown): GoValue {
  if (value === null || value === undefined || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value;
  }
  return JSON.stringify(value);
}

function valueAt(document: unknown, segments: readonly PathSegment[]): unknown {
  let current = document;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[String(segment)];
  }
  return current;
}

// Go structs that embed another (json:",inline"): encoding/json names the embedded struct in the
// decode error's field path (`livenessProbe.ProbeHandler.httpGet.port`), and the members below
// are the embedded struct's, named by the outer struct (checked against kube-apiserver by
// test/integration/manifest-api-parity.test.ts). Upstream k8s.io/api core/v1 and apps/v1 types.go.
const EMBEDDED: Readonly<Record<string, { readonly name: string; readonly except: readonly string[] }>> = {
  Probe: { name: 'ProbeHandler', except: ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold', 'terminationGracePeriodSeconds'] },
  Volume: { name: 'VolumeSource', except: ['name'] },
  EphemeralContainer: { name: 'EphemeralContainerCommon', except: ['targetContainerName'] },
  Pod: { name: 'TypeMeta', except: ['metadata', 'spec', 'status'] },
  DaemonSet: { name: 'TypeMeta', except: ['metadata', 'spec', 'status'] },
};

const QUANTITY_ID = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING_ID = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/** The Go type of a schema node as encoding/json names it (`string`, `int32`, `[]string`, `v1.Probe`). */
function goTypeOf(raw: SchemaNode | undefined): string {
  const id = definitionId(raw);
  if (id === INT_OR_STRING_ID) return 'int32';
  if (id !== undefined) {
    const node = resolve(raw);
    if (node?.properties === undefined) return goTypeOf(node);
    const [, , , group, version, name] = id.split('.');
    return id.startsWith('io.k8s.api.') ? `${version ?? group ?? ''}.${name ?? ''}` : `v1.${id.split('.').pop() ?? ''}`;
  }
  if (raw === undefined) return 'interface {}';
  if (raw['x-go-type'] !== undefined) return raw['x-go-type'];
  if (raw.type === 'boolean') return 'bool';
  if (raw.type === 'array') return `[]${goTypeOf(raw.items)}`;
  if (raw.type === 'object') return typeof raw.additionalProperties === 'object' ? `map[string]${goTypeOf(raw.additionalProperties)}` : 'map[string]interface {}';
  return typeof raw.type === 'string' ? raw.type : 'string';
}

/** encoding/json's word for a JSON value in UnmarshalTypeError (`number 1.5` when it is no integer of the target). */
function jsonValueWord(value: unknown, target: string): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return /^u?int/.test(target) && !Number.isInteger(value) ? `number ${String(value)}` : 'number';
  return typeof value;
}

/**
 * The API server's decode error for a value of the wrong type (k8s.io/apimachinery's JSON
 * serializer, sigs.k8s.io/json, Go encoding/json's UnmarshalTypeError):
 * `json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string`.
 * The path has the JSON names of struct fields only, no list indexes or map keys.
 */
export function goDecodeError(segments: readonly PathSegment[], kind: WorkloadKind, value: unknown): string {
  let raw: SchemaNode | undefined = { $ref: `#/definitions/${ROOT_DEFINITIONS[kind]}` };
  let struct: string = kind;
  const names: string[] = [];
  for (const segment of segments) {
    const node = resolve(raw);
    if (node === undefined) break;
    if (isArraySchema(node)) raw = node.items;
    else if (isMapSchema(node)) raw = node.additionalProperties;
    else {
      const owner = definitionName(raw) ?? struct;
      const name = String(segment);
      const embedded = EMBEDDED[owner];
      // A promoted field is decoded as the outer struct's (`Volume.spec.volumes.VolumeSource.hostPath`).
      if (embedded !== undefined && !embedded.except.includes(name)) names.push(embedded.name);
      struct = owner;
      names.push(name);
      raw = node.properties?.[name];
    }
  }
  const target = goTypeOf(raw);
  return `json: cannot unmarshal ${jsonValueWord(value, target)} into Go struct field ${struct}.${names.join('.')} of type ${target}`;
}

function typeIssue(segments: readonly PathSegment[], kind: WorkloadKind, field: string, value: unknown): FieldIssue {
  if (definitionId(refAt(segments, kind)) === QUANTITY_ID) {
    // resource.Quantity's UnmarshalJSON parses any scalar as a quantity string.
    return withHint(invalid(field, goValue(value), QUANTITY_FORMAT_ERROR), 'write a number with an optional suffix, e.g. 100m, 0.5, 128Mi, 1Gi');
  }
  return plainIssue(field, goDecodeError(segments, kind, value));
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
      return typeIssue(segments, kind, field, value);
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

/** Every unknown-field hint names the release, so a field of a newer one is not taken for a typo. */
const SCHEMA_NOTE = `nodelet's schema is Kubernetes ${SCHEMA_KUBERNETES_MINOR}`;

function toUnknownField(error: ErrorObject, kind: WorkloadKind): UnknownField & { readonly gated: boolean } {
  const parentSegments = decodePointer(error.instancePath);
  const name = (error.params as { additionalProperty: string }).additionalProperty;
  const path = [...parentSegments, name];
  const field = formatFieldPath(path, kind);
  const parentRef = refAt(parentSegments, kind);
  const gated = GATED.get(`${definitionId(parentRef) ?? ''}.${name}`);
  if (gated !== undefined) {
    const stage = gated.stage === '' ? '' : ` (${gated.stage.toLowerCase()})`;
    return {
      path,
      gated: true,
      issue: plainIssue(
        field,
        `${field}: dropped: the field is behind the feature gate ${gated.gate}${stage}, off by default in Kubernetes ${SCHEMA_KUBERNETES_MINOR}`,
        `the API server drops this field silently on create, and nodelet runs the pod without it, as a kubelet of ${SCHEMA_KUBERNETES_MINOR} with default feature gates does: remove it`,
      ),
    };
  }
  const parentPath = formatFieldPath(parentSegments, kind);
  const hint = unknownFieldHint(name, parentPath, resolve(parentRef), parentRef);
  const note = hint === undefined ? `${SCHEMA_NOTE}: ${name} is not a field of ${definitionName(parentRef) ?? 'this object'} there (a field of a newer release, or a typo)` : `${hint} (${SCHEMA_NOTE})`;
  return { path, gated: false, issue: { field, message: `unknown field ${goQuote(field)}`, hint: note } };
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
  if (validate(document)) return { errors: [], unknownFields: [], gatedFields: [] };
  const errors: FieldIssue[] = [];
  const unknownFields: UnknownField[] = [];
  const gatedFields: UnknownField[] = [];
  for (const error of validate.errors ?? []) {
    if (error.keyword === 'additionalProperties') {
      const { gated, ...unknown } = toUnknownField(error, kind);
      (gated ? gatedFields : unknownFields).push(unknown);
    } else errors.push(toIssue(error, kind, document));
  }
  // Like field.ErrorList.ToAggregate: one line per distinct message.
  return { errors: dedupeIssues(errors), unknownFields, gatedFields };
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
