import { describe, expect, it } from 'vitest';
import { decodeManifest, encodeYaml, MAX_MANIFEST_BYTES } from '../../../agent/manifest/decode.js';

function values(text: string): unknown[] {
  const result = decodeManifest(text);
  expect(result.errors).toEqual([]);
  return result.documents.map((d) => d.value);
}

describe('decodeManifest: documents', () => {
  it('decodes one YAML document with its start line', () => {
    const result = decodeManifest('# header\n\napiVersion: v1\nkind: Pod\n');
    expect(result.errors).toEqual([]);
    expect(result.documents).toEqual([{ index: 0, line: 3, value: { apiVersion: 'v1', kind: 'Pod' } }]);
  });

  it('splits on --- lines, skips empty and comment-only documents, and numbers the others', () => {
    const text = ['# only a comment', '---', 'a: 1', '---   # trailing comment', '', '---', 'b: 2', '---', '~', '---', 'c: 3', ''].join('\n');
    const result = decodeManifest(text);
    expect(result.errors).toEqual([]);
    expect(result.documents.map((d) => [d.index, d.line, d.value])).toEqual([
      [0, 3, { a: 1 }],
      [1, 7, { b: 2 }],
      [2, 11, { c: 3 }],
    ]);
  });

  it('does not split on an indented --- or on --- inside a block scalar', () => {
    expect(values('a: |\n  ---\n  x\nb: 1\n')).toEqual([{ a: '---\nx\n', b: 1 }]);
  });

  it('rejects a separator followed by content, as kubectl does', () => {
    const result = decodeManifest('a: 1\n--- b: 2\nc: 3\n');
    expect(result.documents.map((d) => d.value)).toEqual([{ a: 1 }]);
    expect(result.errors).toEqual([
      expect.objectContaining({ index: 1, line: 2, column: 1, message: 'invalid Yaml document separator: b: 2' }),
    ]);
  });

  it('handles CRLF line ends', () => {
    const result = decodeManifest('a: 1\r\n---\r\nb: x\r\n');
    expect(result.errors).toEqual([]);
    expect(result.documents.map((d) => [d.index, d.line, d.value])).toEqual([
      [0, 1, { a: 1 }],
      [1, 3, { b: 'x' }],
    ]);
  });

  it('reads JSON (tabs included) and a byte order mark', () => {
    expect(values('\uFEFF{\n\t"apiVersion": "v1",\n\t"kind": "Pod",\n\t"spec": {"containers": []}\n}\n')).toEqual([
      { apiVersion: 'v1', kind: 'Pod', spec: { containers: [] } },
    ]);
  });

  it('yields nothing for an empty file or a file of comments', () => {
    expect(decodeManifest('')).toEqual({ documents: [], errors: [], warnings: [] });
    expect(decodeManifest('# nothing here\n---\n# nor here\n')).toEqual({ documents: [], errors: [], warnings: [] });
  });

  it.each([
    ['a list', '- a\n- b\n', 'the document is a list, not a mapping: a manifest document must be one object with apiVersion, kind, metadata and spec'],
    ['a string', 'hello world\n', 'the document is a string, not a mapping: a manifest document must be one object with apiVersion, kind, metadata and spec'],
    ['a number', '42\n', 'the document is a number, not a mapping: a manifest document must be one object with apiVersion, kind, metadata and spec'],
  ])('rejects a document that is %s', (_name, text, message) => {
    const result = decodeManifest(text);
    expect(result.documents).toEqual([]);
    expect(result.errors).toEqual([expect.objectContaining({ index: 0, line: 1, column: 1, message })]);
  });
});

describe('decodeManifest: YAML errors with 1-based file positions', () => {
  it.each([
    ['tab indentation', 'a:\n\tb: 1\n', 2, 1, 'yaml: tab characters must not be used in indentation', /spaces/],
    ['bad indentation', 'spec:\n  containers:\n  - name: x\n   image: y\n', 4, 4, 'yaml: bad indentation of a sequence entry', /align/],
    ['unclosed flow sequence', 'args: [a, b\n', 2, 1, 'yaml: unexpected end of the stream within a flow collection', undefined],
    ['unknown alias', 'a: *nothing\n', 1, 12, 'yaml: unidentified alias "nothing"', undefined],
  ])('%s', (_name, text, line, column, message, hint) => {
    const result = decodeManifest(text);
    expect(result.documents).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ index: 0, line, column, message });
    if (hint === undefined) expect(result.errors[0]?.hint).toBeUndefined();
    else expect(result.errors[0]?.hint).toMatch(hint);
  });

  it('reports positions in the file, not in the document, and keeps the other documents', () => {
    const text = ['a: 1', '---', 'b: [2', '---', 'c: 4'].join('\n');
    const result = decodeManifest(text);
    expect(result.documents.map((d) => [d.index, d.value])).toEqual([
      [0, { a: 1 }],
      [2, { c: 4 }],
    ]);
    expect(result.errors).toEqual([expect.objectContaining({ index: 1, line: 4, column: 1 })]);
  });
});

// sigs.k8s.io/yaml (go-yaml v2 underneath) is what kubectl and the kubelet decode manifests with;
// each expectation is go-yaml v2's output for the input (yaml.Unmarshal into interface{}, then
// JSON), per its resolve.go and scannerc.go.
describe('decodeManifest: what sigs.k8s.io/yaml accepts (kubernetes/kubernetes#125885)', () => {
  it('keeps the last value of a duplicated key, with a warning naming both lines, at file positions', () => {
    const text = ['a: 1', '---', 'metadata:', '  name: a', '  labels: {p: q}', '  name: b', 'spec:', '  c: 1'].join('\n');
    const result = decodeManifest(text);
    expect(result.errors).toEqual([]);
    expect(result.documents.map((d) => d.value)).toEqual([{ a: 1 }, { metadata: { name: 'b', labels: { p: 'q' } }, spec: { c: 1 } }]);
    expect(result.warnings).toEqual([
      {
        index: 1,
        line: 6,
        column: 1,
        message: 'yaml: duplicated mapping key "name" on lines 4 and 6: the value on line 6 is used, the one on line 4 is ignored',
        hint: 'kubectl and the kubelet (sigs.k8s.io/yaml) keep the last value of a repeated key without a word: remove the line you do not mean',
      },
    ]);
  });

  it('replaces a duplicated mapping whole, not merged (go-yaml v2 SetMapIndex)', () => {
    const result = decodeManifest('spec:\n  a: 1\n  b: 2\nspec:\n  c: 3\n');
    expect(result.documents[0]?.value).toEqual({ spec: { c: 3 } });
    expect(result.warnings.map((w) => w.line)).toEqual([4]);
  });

  it("reads the escape \\' in a double-quoted scalar as ' (scannerc.go), anywhere and more than once", () => {
    const result = decodeManifest('a: "it\\\'s"\nb:\n  - "\\\'x\\\' and \\\'y\\\'"\nc: \'plain \\\'\n');
    expect(result.errors).toEqual([]);
    expect(result.documents[0]?.value).toEqual({ a: "it's", b: ["'x' and 'y'"], c: "plain \\" });
  });

  it('keeps the alias-bomb protection when the document also has a duplicate key', () => {
    const bomb = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    bomb.push('a2: 1', 'a2: 2');
    const result = decodeManifest(`${bomb.join('\n')}\n`);
    expect(result.documents).toEqual([]);
    expect(result.errors[0]?.message).toMatch(/^error converting YAML to JSON: yaml: /);
  });

  it('still refuses an escape go-yaml refuses (\\q)', () => {
    const result = decodeManifest('a: "\\q"\n');
    expect(result.errors[0]?.message).toBe('yaml: unknown escape sequence');
  });

  it.each([
    ['0777 is octal', 'mode: 0777\n', { mode: 511 }],
    ['sexagesimal stays a string (go-yaml v2 has no base 60)', 'port: 190:20:30\n', { port: '190:20:30' }],
    ['on/off are booleans', 'a: on\nb: Off\n', { a: true, b: false }],
    ['an alias', 'a: &x {k: v}\nb: *x\n', { a: { k: 'v' }, b: { k: 'v' } }],
    ['a merge key, local keys winning', 'base: &b {p: 1, q: 2}\nm:\n  <<: *b\n  q: 3\n', { base: { p: 1, q: 2 }, m: { p: 1, q: 3 } }],
    ['y is a boolean, even as a key (YAML 1.1)', 'y: n\n', { true: false }],
    ['merge of a list of maps, the first winning', 'a: &a {x: 1}\nb: &b {x: 2, z: 3}\nm:\n  <<: [*a, *b]\n', { a: { x: 1 }, b: { x: 2, z: 3 }, m: { x: 1, z: 3 } }],
  ])('%s', (_name, text, expected) => {
    const result = decodeManifest(text);
    expect(result.errors).toEqual([]);
    expect(result.documents[0]?.value).toEqual(expected);
  });
});

describe('decodeManifest: scalars resolve as go-yaml v2 (YAML 1.1) resolves them', () => {
  it.each([
    ['yes', true],
    ['No', false],
    ['on', true],
    ['OFF', false],
    ['y', true],
    ['true', true],
    ['"yes"', 'yes'],
    ["'0644'", '0644'],
    ['0644', 420],
    ['0o17', 15],
    ['0x1F', 31],
    ['0b101', 5],
    ['-0x10', -16],
    ['1_000', 1000],
    ['+12', 12],
    ['08', 8],
    ['1e3', 1000],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['.inf', Number.POSITIVE_INFINITY],
    ['-.Inf', Number.NEGATIVE_INFINITY],
    ['~', null],
    ['Null', null],
    ['', null],
    ['2022-12-15T09:03:44Z', '2022-12-15T09:03:44Z'],
    ['2001-12-14', '2001-12-14'],
    ['100m', '100m'],
    ['1Gi', '1Gi'],
    ['v1.2', 'v1.2'],
    ['1.2.3', '1.2.3'],
    ['0.0.0.0', '0.0.0.0'],
    ['+', '+'],
    ['.', '.'],
    ['_1', '_1'],
  ])('%s', (scalar, expected) => {
    expect(values(`v: ${scalar}\n`)).toEqual([{ v: expected }]);
  });

  it('reads .nan as NaN', () => {
    const [doc] = values('v: .nan\n') as [{ v: number }];
    expect(Number.isNaN(doc.v)).toBe(true);
  });

  it('stringifies non-string keys as sigs.k8s.io/yaml does', () => {
    expect(values('on: 1\n80: http\n')).toEqual([{ true: 1, 80: 'http' }]);
  });

  it('supports anchors, aliases and << merge keys', () => {
    expect(values('base: &b {image: busybox, tty: true}\nc:\n  <<: *b\n  name: x\n')).toEqual([
      { base: { image: 'busybox', tty: true }, c: { image: 'busybox', tty: true, name: 'x' } },
    ]);
  });

  it('expands an alias into a copy, so changing one place does not change the other', () => {
    const [doc] = decodeManifest('a: &x {k: v}\nb: *x\n').documents;
    const value = doc?.value as { a: { k: string }; b: { k: string } };
    expect(value.a).toEqual(value.b);
    expect(value.a).not.toBe(value.b);
  });

  it.each([
    ['an anchor inside itself (mapping)', 'metadata: &a\n  name: x\n  self: *a\n'],
    ['an anchor inside itself (sequence)', 'a: &a [*a]\n'],
  ])('refuses %s with a YAML error instead of crashing', (_name, text) => {
    const out = decodeManifest(`kind: Pod\n---\n${text}`);
    expect(out.documents).toHaveLength(1);
    expect(out.errors).toEqual([expect.objectContaining({ index: 1, line: 3, message: 'error converting YAML to JSON: yaml: anchor value contains itself' })]);
  });

  it('refuses a billion-laughs document', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const out = decodeManifest(levels.join('\n') + '\n');
    expect(out.documents).toEqual([]);
    expect(out.errors[0]?.message).toMatch(/^error converting YAML to JSON: yaml: document contains excessive aliasing/);
  });
});

describe('decodeManifest: size limit', () => {
  it('accepts a file of exactly 10 MiB', () => {
    const text = `a: 1\n#${'x'.repeat(MAX_MANIFEST_BYTES - 7)}\n`;
    expect(Buffer.byteLength(text)).toBe(MAX_MANIFEST_BYTES);
    expect(decodeManifest(text).errors).toEqual([]);
  });

  it('rejects a file over 10 MiB, counting UTF-8 bytes', () => {
    const text = `a: "${'é'.repeat(MAX_MANIFEST_BYTES / 2)}"\n`;
    expect(text.length).toBeLessThan(MAX_MANIFEST_BYTES);
    const result = decodeManifest(text);
    expect(result.documents).toEqual([]);
    expect(result.errors).toEqual([
      {
        message: `the read limit is reached: the file has ${Buffer.byteLength(text)} bytes, manifests may have at most 10485760 bytes (10 MiB)`,
        hint: expect.stringMatching(/10 MiB/),
      },
    ]);
  });
});

describe('encodeYaml', () => {
  it('lays YAML out as kubectl -o yaml does: keys sorted, list items not indented', () => {
    expect(encodeYaml({ spec: { containers: [{ name: 'a', image: 'b' }] }, kind: 'Pod', apiVersion: 'v1' })).toBe(
      'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: b\n    name: a\n',
    );
  });

  it('quotes strings that go-yaml would read as booleans, numbers or null', () => {
    const value = { a: 'yes', b: '0644', c: '1e3', d: 'null', e: '~', f: 'on', g: 'plain', h: 8080, i: true };
    const text = encodeYaml(value);
    expect(text).toContain("a: 'yes'");
    expect(text).toContain("b: '0644'");
    expect(text).toContain("c: '1e3'");
    expect(text).toContain("d: 'null'");
    expect(text).toContain('g: plain');
    expect(text).toContain('h: 8080');
    expect(decodeManifest(text).documents[0]?.value).toEqual(value);
  });
});
