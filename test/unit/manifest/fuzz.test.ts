// Property: whatever a manifest file holds, parseManifestFile returns (never throws), and the
// result is either valid (objects, no errors) or carries errors that each point somewhere: a field
// path, or a line and column for YAML errors.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeManifest, encodeYaml } from '../../../agent/manifest/decode.js';
import { parseManifestFile } from '../../../agent/manifest/parse-file.js';
import type { FileResult } from '../../../agent/core/types.js';

const examplesDir = fileURLToPath(new URL('../../../manifests/examples/', import.meta.url));
const examples = readdirSync(examplesDir)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => {
    const text = readFileSync(`${examplesDir}${name}`, 'utf8');
    const value = decodeManifest(text).documents[0]?.value;
    if (value === undefined) throw new Error(`${name} has no document`);
    return { name, text, value };
  });

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push([...prefix, i]);
      pathsOf(item, [...prefix, i], out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      out.push([...prefix, key]);
      pathsOf(item, [...prefix, key], out);
    }
  }
  return out;
}

function parentAndKey(root: unknown, path: Path): { parent: Record<string | number, unknown>; key: string | number } | undefined {
  let current = root;
  for (const segment of path.slice(0, -1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  const key = path[path.length - 1];
  if (current === null || typeof current !== 'object' || key === undefined) return undefined;
  return { parent: current as Record<string | number, unknown>, key };
}

type Mutation =
  | { readonly op: 'drop'; readonly at: number }
  | { readonly op: 'replace'; readonly at: number; readonly value: Json }
  | { readonly op: 'retype'; readonly at: number }
  | { readonly op: 'perturb'; readonly at: number; readonly text: string; readonly number: number }
  | { readonly op: 'add'; readonly at: number; readonly key: string; readonly value: Json };

const junk: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>,
  fc.string(),
  fc.constantFrom<Json>('', 'yes', '0644', '-1', '1e400', 'a'.repeat(300), '💥', 'Always', 'v1', 'Pod', 'apps/v1', 'DaemonSet', null, [], {}),
  fc.integer({ min: -2_147_483_649, max: 2_147_483_649 }),
  fc.double(),
  // deep junk
  fc.integer({ min: 20, max: 200 }).map((depth) => {
    let value: Json = 'bottom';
    for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { nested: value } : [value];
    return value;
  }),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: junk }),
  fc.record({ op: fc.constant('retype' as const), at: fc.nat() }),
  // Same type, other value: keeps the document schema-valid, so semantic validation sees it.
  fc.record({
    op: fc.constant('perturb' as const),
    at: fc.nat(),
    text: fc.oneof(fc.string(), fc.constantFrom('', ' x', 'UPPER', 'a'.repeat(70), 'a/b', '..', '/abs', 'x:y', '-', '0', '100%', '1Gi', 'Always', 'None')),
    number: fc.oneof(fc.integer({ min: -5, max: 70_000 }), fc.constantFrom(0, -1, 2_147_483_648, Number.MAX_SAFE_INTEGER)),
  }),
  fc.record({ op: fc.constant('add' as const), at: fc.nat(), key: fc.oneof(fc.string(), fc.constantFrom('name', 'image', 'spec', 'imagee', 'nodeSelector')), value: junk }),
);

function retype(value: unknown): unknown {
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 0;
  if (Array.isArray(value)) return Object.fromEntries(value.map((v, i) => [String(i), v]));
  if (value !== null && typeof value === 'object') return Object.values(value);
  return 'null';
}

function mutate(document: unknown, mutations: readonly Mutation[]): unknown {
  let root: unknown = structuredClone(document);
  for (const m of mutations) {
    const paths = pathsOf(root);
    if (paths.length === 0) {
      root = m.op === 'replace' || m.op === 'add' ? m.value : root;
      continue;
    }
    const path = paths[m.at % paths.length] ?? [];
    const target = parentAndKey(root, path);
    if (target === undefined) continue;
    const { parent, key } = target;
    switch (m.op) {
      case 'drop':
        if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
        else delete parent[key];
        break;
      case 'replace':
        parent[key] = m.value;
        break;
      case 'retype':
        parent[key] = retype(parent[key]);
        break;
      case 'perturb': {
        const value = parent[key];
        if (typeof value === 'string') parent[key] = m.text;
        else if (typeof value === 'number') parent[key] = m.number;
        else if (typeof value === 'boolean') parent[key] = !value;
        else if (Array.isArray(value) && value.length > 0) value.push(structuredClone(value[0]));
        break;
      }
      case 'add': {
        const value = parent[key];
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) (value as Record<string, unknown>)[m.key] = m.value;
        else parent[key] = { [m.key]: m.value };
        break;
      }
    }
  }
  return root;
}

function assertWellFormed(result: FileResult): void {
  if (result.errors.length === 0) {
    // Valid (possibly empty: a file of null documents holds no object).
    for (const object of result.objects) expect(object.key.name.length).toBeGreaterThan(0);
    return;
  }
  for (const error of result.errors) {
    expect(error.severity).toBe('error');
    expect(error.message.length).toBeGreaterThan(0);
    const located = (error.field !== undefined && error.field.length > 0) || (error.line !== undefined && error.column !== undefined);
    if (!located) throw new Error(`error without a field path or a position: ${JSON.stringify(error)}`);
  }
  for (const warning of result.warnings) expect(warning.severity).toBe('warning');
}

function serialize(value: unknown, format: 'yaml' | 'json'): string {
  if (format === 'json') return JSON.stringify(value, null, 2) ?? 'null';
  try {
    return encodeYaml(value);
  } catch {
    return JSON.stringify(value) ?? 'null';
  }
}

const example = fc.constantFrom(...examples);

describe('parseManifestFile on mutated manifests', () => {
  it('never throws; every error has a field path or a position', () => {
    fc.assert(
      fc.property(
        example,
        fc.array(mutation, { minLength: 1, maxLength: 5 }),
        fc.constantFrom('yaml' as const, 'json' as const),
        fc.constantFrom('strict' as const, 'warn' as const),
        (base, mutations, format, validation) => {
          const text = serialize(mutate(base.value, mutations), format);
          assertWellFormed(parseManifestFile(text, 'fuzz.yaml', { validation }));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('never throws on damaged YAML text', () => {
    fc.assert(
      fc.property(
        example,
        fc.array(fc.record({ at: fc.nat(), cut: fc.nat({ max: 20 }), insert: fc.oneof(fc.string(), fc.constantFrom('\t', ':', '- ', '---\n', '{', '"', '&a', '*a', '  ', '\n  x: 1\n', '? ', '%YAML 1.2\n', '!!binary ')) }), {
          minLength: 1,
          maxLength: 4,
        }),
        (base, edits) => {
          let text = base.text;
          for (const edit of edits) {
            const at = edit.at % (text.length + 1);
            text = text.slice(0, at) + edit.insert + text.slice(at + edit.cut);
          }
          assertWellFormed(parseManifestFile(text, 'fuzz.yaml'));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary documents', () => {
    fc.assert(
      fc.property(fc.array(junk, { minLength: 1, maxLength: 3 }), (documents) => {
        const text = documents.map((d) => serialize(d, 'yaml')).join('---\n');
        assertWellFormed(parseManifestFile(text, 'fuzz.yaml'));
      }),
      { numRuns: 500 },
    );
  });
});
