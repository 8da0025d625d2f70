#!/usr/bin/env node
// Generates manifests/schema/workloads.schema.json, the JSON Schema nodelet validates manifests
// against, from the official Kubernetes API definitions as published in the `kubernetes-types`
// package (TypeScript declarations generated upstream from the Kubernetes OpenAPI spec).
//
// Every type reachable from v1 Pod and apps/v1 DaemonSet is emitted, with every field: nodelet
// never hand-picks a subset, so any manifest kubectl accepts passes the schema.
//
//   node scripts/generate-schema.mjs           write the schema file
//   node scripts/generate-schema.mjs --check   exit 1 if the committed file differs
//   node scripts/generate-schema.mjs --stdout  print the schema
//
// Plain Node ESM (no build step); uses the TypeScript compiler API to read the declarations.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const packageJsonPath = require.resolve('kubernetes-types/package.json');
const packageDir = path.dirname(packageJsonPath);
const packageVersion = JSON.parse(readFileSync(packageJsonPath, 'utf8')).version;

export const SCHEMA_FILE = path.join(repoRoot, 'manifests', 'schema', 'workloads.schema.json');

/** The regular expression of the Go Quantity parser's format error (k8s.io/apimachinery resource.ErrFormatWrong). */
const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

const ROOTS = [
  { module: 'core/v1', name: 'Pod' },
  { module: 'apps/v1', name: 'DaemonSet' },
];

/** OpenAPI definition prefix of a kubernetes-types module, e.g. core/v1 -> io.k8s.api.core.v1. */
function namespaceOf(module) {
  if (module === 'meta/v1') return 'io.k8s.apimachinery.pkg.apis.meta.v1';
  if (module === 'api/resource') return 'io.k8s.apimachinery.pkg.api.resource';
  if (module === 'runtime') return 'io.k8s.apimachinery.pkg.runtime';
  return `io.k8s.api.${module.replace('/', '.')}`;
}

const modules = new Map();

/** Parses one declaration file: its interfaces, type aliases and imported names. */
function loadModule(module) {
  const cached = modules.get(module);
  if (cached) return cached;
  const fileName = path.join(packageDir, `${module}.d.ts`);
  const source = ts.createSourceFile(fileName, readFileSync(fileName, 'utf8'), ts.ScriptTarget.ES2022, true);
  const declarations = new Map();
  const imports = new Map();
  for (const statement of source.statements) {
    if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) {
      declarations.set(statement.name.text, statement);
    } else if (ts.isImportDeclaration(statement)) {
      const from = path.posix.join(path.posix.dirname(module), statement.moduleSpecifier.text);
      for (const element of statement.importClause?.namedBindings?.elements ?? []) {
        imports.set(element.name.text, from);
      }
    }
  }
  const loaded = { module, declarations, imports };
  modules.set(module, loaded);
  return loaded;
}

function describe(node) {
  const texts = ts
    .getJSDocCommentsAndTags(node)
    .filter(ts.isJSDoc)
    .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '')
    .filter((text) => text.length > 0);
  return texts.length > 0 ? texts.join('\n').trim() : undefined;
}

function withDescription(description, schema) {
  return description === undefined ? schema : { description, ...schema };
}

const definitions = {};
const pending = [];

/** Returns a $ref to the definition of `name` as seen from `module`, queueing it for emission. */
function referenceTo(module, name) {
  const owner = loadModule(module);
  const declaringModule = owner.declarations.has(name) ? module : owner.imports.get(name);
  if (declaringModule === undefined) throw new Error(`cannot resolve type ${name} in ${module}`);
  const id = `${namespaceOf(declaringModule)}.${name}`;
  if (!(id in definitions) && !pending.some((p) => p.id === id)) {
    pending.push({ id, module: declaringModule, name });
  }
  return { $ref: `#/definitions/${id}` };
}

function isStringLiteralType(node) {
  return ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal);
}

/** JSON Schema for a TypeScript type node of the declarations. */
function schemaOfType(node, module) {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return { type: 'string' };
    case ts.SyntaxKind.NumberKeyword:
      // The Pod and DaemonSet APIs have int32/int64 fields only (no float), so every number is an integer.
      return { type: 'integer' };
    case ts.SyntaxKind.BooleanKeyword:
      return { type: 'boolean' };
    default:
      break;
  }
  if (isStringLiteralType(node)) return { type: 'string', enum: [node.literal.text] };
  if (ts.isUnionTypeNode(node)) {
    if (node.types.every(isStringLiteralType)) {
      return { type: 'string', enum: node.types.map((t) => t.literal.text) };
    }
    const kinds = node.types.map((t) => t.kind).sort();
    if (kinds.length === 2 && kinds.includes(ts.SyntaxKind.NumberKeyword) && kinds.includes(ts.SyntaxKind.StringKeyword)) {
      // Upstream IntOrString (k8s.io/apimachinery/pkg/util/intstr), inlined by kubernetes-types.
      if (!(INT_OR_STRING in definitions)) {
        definitions[INT_OR_STRING] = {
          description:
            'IntOrString is a type that can hold an int32 or a string. When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type. This allows you to have, for example, a JSON field that can accept a name or number.',
          type: ['integer', 'string'],
        };
      }
      return { $ref: `#/definitions/${INT_OR_STRING}` };
    }
    throw new Error(`unsupported union type in ${module}: ${node.getText()}`);
  }
  if (ts.isArrayTypeNode(node)) return { type: 'array', items: schemaOfType(node.elementType, module) };
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText();
    if (name === 'Array') {
      const [element] = node.typeArguments ?? [];
      if (element === undefined) throw new Error(`Array without element type in ${module}`);
      return { type: 'array', items: schemaOfType(element, module) };
    }
    return referenceTo(module, name);
  }
  if (ts.isTypeLiteralNode(node)) {
    const [member] = node.members;
    if (node.members.length === 1 && member !== undefined && ts.isIndexSignatureDeclaration(member)) {
      // A Go map (labels, annotations, nodeSelector, resource lists): free keys, typed values.
      return { type: 'object', additionalProperties: schemaOfType(member.type, module) };
    }
    throw new Error(`unsupported type literal in ${module}: ${node.getText()}`);
  }
  throw new Error(`unsupported type node ${ts.SyntaxKind[node.kind]} in ${module}: ${node.getText()}`);
}

function schemaOfInterface(declaration, module) {
  const properties = {};
  const required = [];
  for (const member of declaration.members) {
    if (!ts.isPropertySignature(member) || member.type === undefined) {
      throw new Error(`unsupported member in ${module}.${declaration.name.text}: ${member.getText()}`);
    }
    const name = member.name.getText().replace(/^"|"$/g, '');
    properties[name] = withDescription(describe(member), schemaOfType(member.type, module));
    if (member.questionToken === undefined) required.push(name);
  }
  const schema = { type: 'object' };
  if (declaration.members.length === 0) {
    // An empty Go struct serialised as free-form JSON (e.g. meta/v1 FieldsV1).
    return withDescription(describe(declaration), schema);
  }
  schema.properties = properties;
  if (required.length > 0) schema.required = required;
  schema.additionalProperties = false;
  return withDescription(describe(declaration), schema);
}

function schemaOfAlias(declaration, module, id) {
  if (id === 'io.k8s.apimachinery.pkg.api.resource.Quantity') {
    // Quantity is typed `string` in the declarations, but the API also accepts JSON numbers.
    return withDescription(describe(declaration), { type: ['string', 'number'], pattern: QUANTITY_PATTERN });
  }
  return withDescription(describe(declaration), schemaOfType(declaration.type, module));
}

export function generateSchema() {
  for (const key of Object.keys(definitions)) delete definitions[key];
  pending.length = 0;
  const roots = ROOTS.map((root) => referenceTo(root.module, root.name));
  while (pending.length > 0) {
    const { id, module, name } = pending.shift();
    const declaration = loadModule(module).declarations.get(name);
    definitions[id] = ts.isInterfaceDeclaration(declaration)
      ? schemaOfInterface(declaration, module)
      : schemaOfAlias(declaration, module, id);
  }
  const sorted = {};
  for (const key of Object.keys(definitions).sort()) sorted[key] = definitions[key];
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'urn:nodelet:schema:workloads',
    $comment: `Generated by scripts/generate-schema.mjs from kubernetes-types@${packageVersion} (Kubernetes API ${packageVersion.split('.').slice(0, 2).join('.')}). Do not edit: run npm run schema:generate.`,
    title: 'nodelet workloads: v1 Pod and apps/v1 DaemonSet',
    oneOf: roots,
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
