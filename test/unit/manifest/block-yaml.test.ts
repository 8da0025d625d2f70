// The block-YAML fast path must never disagree with js-yaml: whatever it accepts decodes to the
// same value under the same schema; everything else it leaves (undefined) to js-yaml.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadBlockYaml } from '../../../agent/manifest/block-yaml.js';
import { KUBERNETES_YAML_SCHEMA, decodeManifest } from '../../../agent/manifest/decode.js';

const schema = KUBERNETES_YAML_SCHEMA as unknown as { compiledImplicit: yaml.Type[] };
function resolvePlain(text: string): unknown {
  for (const type of schema.compiledImplicit) if (type.resolve(text)) return type.construct(text);
  return text;
}

/** Accepted texts must decode exactly as js-yaml decodes them. */
function expectAgreement(text: string): boolean {
  const fast = loadBlockYaml(text, resolvePlain);
  if (fast === undefined) return false;
  expect(fast).toStrictEqual(yaml.load(text, { schema: KUBERNETES_YAML_SCHEMA }));
  return true;
}

const examplesDir = fileURLToPath(new URL('../../../manifests/examples/', import.meta.url));
const examples = readdirSync(examplesDir)
  .filter((name) => name.endsWith('.yaml'))
  .map((name) => readFileSync(`${examplesDir}${name}`, 'utf8'));

describe('loadBlockYaml', () => {
  it.each<[string, string, unknown]>([
    ['nested mappings and comments', 'a:\n  b: 1 # c\n  # note\n  c: x y\n', { a: { b: 1, c: 'x y' } }],
    ['a sequence at the key indentation', 'a:\n- x\n- -1\nb: yes\n', { a: ['x', -1], b: true }],
    ['compact mappings in a sequence', 'a:\n  - name: x\n    v: 0644\n  -\n    name: z\n', { a: [{ name: 'x', v: 420 }, { name: 'z' }] }],
    ['quoted scalars and empty collections', "a: 'it''s'\nb: \"#x\"\nc: {}\nd: []\ne:\n", { a: "it's", b: '#x', c: {}, d: [], e: null }],
    ['resolved keys', 'true: 1\n0x10: 2\n~: 3\n', { true: 1, '16': 2, null: 3 }],
  ])('decodes %s as js-yaml does', (_name, text, value) => {
    expect(loadBlockYaml(text, resolvePlain)).toStrictEqual(value);
    expect(expectAgreement(text)).toBe(true);
  });

  it.each([
    ['a flow sequence', 'a: [x, y]\n'],
    ['a block scalar', 'a: |\n  x\n'],
    ['an anchor and an alias', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a merge key', 'a: {}\n<<: {}\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a multi-line plain scalar', 'a: x\n  y\n'],
    ['an escape', 'a: "x\\ny"\n'],
    ['a tab', 'a:\t1\n'],
    ['CRLF', 'a: 1\r\n'],
    ['bad indentation', 'a:\n    b: 1\n  c: 2\n'],
    ['a dash swallowed after an empty item', 'a:\n  - x\n  -\n- y\n'],
    ['a root sequence', '- a\n'],
    ['a __proto__ key', '__proto__: x\n'],
  ])('leaves %s to js-yaml', (_name, text) => {
    expect(loadBlockYaml(text, resolvePlain)).toBeUndefined();
  });

  it('takes the fast path for the shipped examples written in block style', () => {
    expect(examples.filter((text) => loadBlockYaml(text, resolvePlain) !== undefined).length).toBeGreaterThan(0);
    for (const text of examples) expectAgreement(text);
  });

  it('agrees with js-yaml on damaged examples', () => {
    const insert = fc.oneof(fc.string(), fc.constantFrom('\t', ':', ': ', '- ', '-', '{', '[', '"', "'", '&a ', '*a', '  ', '\n', '\n  x: 1\n', '\n- y\n', ' #', '|\n  a\n', '\u00a0', 'é'));
    fc.assert(
      fc.property(fc.constantFrom(...examples), fc.array(fc.record({ at: fc.nat(), cut: fc.nat({ max: 12 }), insert }), { minLength: 1, maxLength: 4 }), (base, edits) => {
        let text = base;
        for (const edit of edits) {
          const at = edit.at % (text.length + 1);
          text = text.slice(0, at) + edit.insert + text.slice(at + edit.cut);
        }
        if (/^---/m.test(text)) return;
        expectAgreement(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with js-yaml on dumps of mutated examples in many styles', () => {
    const documents = examples.map((text) => decodeManifest(text).documents[0]?.value).filter((v) => v !== undefined);
    const options = fc.record({ indent: fc.constantFrom(1, 2, 3, 4), noArrayIndent: fc.boolean(), sortKeys: fc.boolean(), forceQuotes: fc.boolean(), quotingType: fc.constantFrom<"'" | '"'>("'", '"') });
    fc.assert(
      fc.property(fc.constantFrom(...documents), fc.jsonValue({ maxDepth: 3 }), options, (document, extra, opts) => {
        const text = yaml.dump({ ...document, extra }, { schema: KUBERNETES_YAML_SCHEMA, ...opts });
        expectAgreement(text);
      }),
      { numRuns: 1000 },
    );
  });
});
