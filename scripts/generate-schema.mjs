#!/usr/bin/env node
// Generates manifests/schema/workloads.schema.json, the JSON Schema nodelet validates manifests
// against, from the OpenAPI v3 documents of the real kube-apiserver (scripts/kubernetes-openapi/,
// fetched by test/tools/fetch-kubernetes-openapi.ts from the release the tests build, with its
// version). No npm package ships a newer API than kubernetes-types (1.30) does; the API server's
// own documents are the source kubectl's client-side validation also reads.
//
// Every type reachable from v1 Pod and apps/v1 DaemonSet is emitted, with every field, but for
// the fields whose feature gate is off by default in that release (gated-fields.json against
// feature-gates-off.json): the API server drops those silently, so they are left out of the
// schema and listed under `x-nodelet.gatedFields`, where schema-validate.ts finds them to say so.
// Only what Go's JSON decoding enforces is kept (types, and the required members the generated
// types have always carried): no enums, formats or defaults, which the API server checks later,
// in validation, with its own messages (agent/manifest/validate-*.ts). Numbers carry their Go
// type as `x-go-type` (int32, int64, float64) for the decode error's wording; the validator
// generator strips every `x-` member.
//
//   node scripts/generate-schema.mjs           write the schema file
//   node scripts/generate-schema.mjs --check   exit 1 if the committed file differs
//   node scripts/generate-schema.mjs --stdout  print the schema
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIR = path.join(repoRoot, 'scripts', 'kubernetes-openapi');
const readJson = (file) => JSON.parse(readFileSync(path.join(SOURCE_DIR, file), 'utf8'));

export const SCHEMA_FILE = path.join(repoRoot, 'manifests', 'schema', 'workloads.schema.json');

/** The regular expression of the Go Quantity parser's format error (k8s.io/apimachinery resource.ErrFormatWrong). */
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/**
 * Members the OpenAPI documents mark required since the release kubernetes-types stopped at,
 * whose absence Go's decoding accepts and the API server's validation reports in its own words
 * (`spec.hostAliases[0].ip: Invalid value: "": must be a valid IP address`, the DaemonSet spec's
 * members one by one): validate-*.ts does the same, so the schema does not require them.
 */
const VALIDATED_NOT_REQUIRED = new Set(['io.k8s.api.apps.v1.DaemonSet.spec', 'io.k8s.api.core.v1.HostAlias.ip']);

const ROOTS = [
  { file: 'api__v1_openapi.json', id: 'io.k8s.api.core.v1.Pod' },
  { file: 'apis__apps__v1_openapi.json', id: 'io.k8s.api.apps.v1.DaemonSet' },
];

function withDescription(description, schema) {
  return description === undefined ? schema : { description, ...schema };
}

/** `#/components/schemas/X` -> `#/definitions/X`. */
function refOf(node) {
  const ref = node.$ref ?? (node.allOf?.length === 1 ? node.allOf[0].$ref : undefined);
  return ref === undefined ? undefined : `#/definitions/${ref.slice(ref.lastIndexOf('/') + 1)}`;
}

/** JSON Schema of one OpenAPI property or item: only the keywords Go's decoding enforces. */
function convert(node, where) {
  const ref = refOf(node);
  if (ref !== undefined) return withDescription(node.description, { $ref: ref });
  switch (node.type) {
    case 'string':
    case 'boolean':
      return withDescription(node.description, { type: node.type });
    case 'integer':
    case 'number':
      // The Go type names the API server's decode error (`... of type int32`).
      return withDescription(node.description, { type: node.type, 'x-go-type': node.type === 'number' ? 'float64' : (node.format ?? 'int64') });
    case 'array':
      return withDescription(node.description, { type: 'array', items: convert(node.items, `${where}[]`) });
    case 'object':
      if (node.properties !== undefined) throw new Error(`inline object with properties at ${where}`);
      // A Go map (labels, annotations, nodeSelector, resource lists): free keys, typed values.
      return withDescription(node.description, {
        type: 'object',
        ...(node.additionalProperties === undefined ? {} : { additionalProperties: convert(node.additionalProperties, `${where}{}`) }),
      });
    default:
      throw new Error(`unsupported OpenAPI node at ${where}: ${JSON.stringify(node).slice(0, 200)}`);
  }
}

function convertDefinition(id, node, gated) {
  if (id === QUANTITY) {
    // The API accepts a string or a JSON number; the string must parse as a quantity.
    return withDescription(node.description, { type: ['string', 'number'], pattern: QUANTITY_PATTERN });
  }
  if (id === INT_OR_STRING) return withDescription(node.description, { type: ['integer', 'string'] });
  if (node.properties === undefined) {
    // Time (a string) and FieldsV1 (free-form JSON): their formats are checked after decoding.
    return withDescription(node.description, { type: node.type });
  }
  const properties = {};
  for (const [name, property] of Object.entries(node.properties)) {
    if (gated.has(`${id}.${name}`)) continue;
    properties[name] = convert(property, `${id}.${name}`);
  }
  const gvk = node['x-kubernetes-group-version-kind']?.[0];
  if (gvk !== undefined && ROOTS.some((r) => r.id === id)) {
    // The roots accept only their own apiVersion and kind (checked first by api-version.ts).
    properties.apiVersion = { ...properties.apiVersion, enum: [gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`] };
    properties.kind = { ...properties.kind, enum: [gvk.kind] };
  }
  const required = (node.required ?? []).filter((name) => name in properties && !VALIDATED_NOT_REQUIRED.has(`${id}.${name}`));
  return withDescription(node.description, {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  });
}

export function generateSchema() {
  const offGates = readJson('feature-gates-off.json');
  const offByName = new Map(offGates.off.map((g) => [g.name, g.stage]));
  const gatedFields = readJson('gated-fields.json').fields.filter((f) => offByName.has(f.gate));
  const gated = new Set(gatedFields.map((f) => `${f.definition}.${f.field}`));
  const definitions = {};
  for (const root of ROOTS) {
    for (const [id, node] of Object.entries(readJson(root.file).components.schemas)) {
      definitions[id] ??= convertDefinition(id, node, gated);
    }
  }
  for (const f of gatedFields) {
    if (definitions[f.definition] === undefined) throw new Error(`gated-fields.json: no definition ${f.definition}`);
  }
  const sorted = {};
  for (const key of Object.keys(definitions).sort()) sorted[key] = definitions[key];
  const kubernetesVersion = offGates.gitVersion.replace(/^v/, '');
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'urn:nodelet:schema:workloads',
    $comment: `Generated by scripts/generate-schema.mjs from the OpenAPI v3 documents of kube-apiserver v${kubernetesVersion} (scripts/kubernetes-openapi). Do not edit: run npm run schema:generate.`,
    title: 'nodelet workloads: v1 Pod and apps/v1 DaemonSet',
    'x-nodelet': {
      kubernetesVersion,
      gatedFields: gatedFields.map((f) => ({ ...f, stage: offByName.get(f.gate) || 'ALPHA' })),
    },
    oneOf: ROOTS.map((r) => ({ $ref: `#/definitions/${r.id}` })),
    definitions: sorted,
  };
}

export function generateSchemaText() {
  return `${JSON.stringify(generateSchema(), null, 2)}\n`;
}

function main(argv) {
  const text = generateSchemaText();
  if (argv.includes('--stdout')) {
    process.stdout.write(text);
    return 0;
  }
  if (argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(SCHEMA_FILE, 'utf8');
    } catch {
      // missing file: reported as drift below
    }
    if (committed !== text) {
      console.error(`${path.relative(repoRoot, SCHEMA_FILE)} is out of date: run npm run schema:generate`);
      return 1;
    }
    return 0;
  }
  mkdirSync(path.dirname(SCHEMA_FILE), { recursive: true });
  writeFileSync(SCHEMA_FILE, text);
  console.log(`wrote ${path.relative(repoRoot, SCHEMA_FILE)} (${Object.keys(JSON.parse(text).definitions).length} definitions)`);
  return 0;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
