import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hashObject } from '../../../agent/core/hash.js';
import {
  EMPTY_DESIRED_STATE,
  applyFileChanges,
  computeFileStatuses,
  desiredObjects,
  replaceAllFiles,
  type DesiredState,
  type FileChange,
} from '../../../agent/source/desired-store.js';
import { formatObjectKey, type Diagnostic, type FileResult, type ManifestObject, type SourceUpdate } from '../../../agent/core/types.js';

// A document is written as `Kind/name[@namespace][:image]`, `!message` (an error in the file) or
// `?message` (a warning).
type Doc = string;
type Batch = Readonly<Record<string, readonly Doc[] | null>>;

const DIR = '/m';

function fileResult(file: string, docs: readonly Doc[]): FileResult {
  const objects: ManifestObject[] = [];
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  docs.forEach((doc, document) => {
    if (doc.startsWith('!')) errors.push({ severity: 'error', file, document, message: doc.slice(1) });
    else if (doc.startsWith('?')) warnings.push({ severity: 'warning', file, document, message: doc.slice(1) });
    else objects.push(manifestObject(file, document, doc));
  });
  return { file, objects, errors, warnings };
}

function manifestObject(file: string, document: number, doc: Doc): ManifestObject {
  const m = /^(Pod|DaemonSet)\/([^@:]+)(?:@([^:]+))?(?::(.+))?$/.exec(doc);
  if (m === null) throw new Error(`bad doc ${doc}`);
  const [, kind, name = '', namespace = 'default', image = 'v0'] = m;
  const metadata = { name, namespace };
  const spec = { containers: [{ name: 'c', image }] };
  if (kind === 'Pod') {
    return { kind: 'Pod', key: { kind: 'Pod', namespace, name }, file, document, object: { apiVersion: 'v1', kind: 'Pod', metadata, spec } };
  }
  return {
    kind: 'DaemonSet',
    key: { kind: 'DaemonSet', namespace, name },
    file,
    document,
    object: {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata,
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec } },
    },
  };
}

function toChanges(batch: Batch): FileChange[] {
  return Object.entries(batch).map(([name, docs]) => {
    const file = `${DIR}/${name}`;
    return { file, result: docs === null ? undefined : fileResult(file, docs) };
  });
}

function show(u: SourceUpdate): string {
  const id = formatObjectKey(u.key);
  if (u.op === 'REMOVE') return `REMOVE ${id}`;
  const m = u.object;
  const spec = m.kind === 'Pod' ? m.object.spec : m.object.spec?.template.spec;
  return `${u.op} ${id}:${spec?.containers[0]?.image ?? '?'}`;
}

function run(batches: readonly Batch[], now = 1000): { state: DesiredState; steps: string[][] } {
  let state = EMPTY_DESIRED_STATE;
  const steps: string[][] = [];
  batches.forEach((batch, i) => {
    const r = applyFileChanges(state, toChanges(batch), now + i);
    state = r.state;
    steps.push(r.updates.map(show));
  });
  return { state, steps };
}

interface Scenario {
  readonly name: string;
  readonly steps: readonly (readonly [Batch, readonly string[]])[];
}

const scenarios: readonly Scenario[] = [
  {
    name: 'a new file adds its objects in document order',
    steps: [[{ 'a.yaml': ['Pod/web:1', 'DaemonSet/agent:1'] }, ['ADD Pod/default/web:1', 'ADD DaemonSet/default/agent:1']]],
  },
  {
    name: 'a re-read with identical content emits nothing',
    steps: [
      [{ 'a.yaml': ['Pod/web:1'] }, ['ADD Pod/default/web:1']],
      [{ 'a.yaml': ['Pod/web:1'] }, []],
    ],
  },
  {
    name: 'a content change is one UPDATE',
    steps: [
      [{ 'a.yaml': ['Pod/web:1', 'Pod/db:1'] }, ['ADD Pod/default/web:1', 'ADD Pod/default/db:1']],
      [{ 'a.yaml': ['Pod/web:2', 'Pod/db:1'] }, ['UPDATE Pod/default/web:2']],
    ],
  },
  {
    name: 'deleting the file removes its objects',
    steps: [
      [{ 'a.yaml': ['Pod/web:1'] }, ['ADD Pod/default/web:1']],
      [{ 'a.yaml': null }, ['REMOVE Pod/default/web']],
    ],
  },
  {
    name: 'deleting an unknown file is a no-op',
    steps: [[{ 'ghost.yaml': null }, []]],
  },
  {
    name: 'a rename in one batch changes nothing',
    steps: [
      [{ 'a.yaml': ['Pod/web:1'] }, ['ADD Pod/default/web:1']],
      [{ 'a.yaml': null, 'b.yaml': ['Pod/web:1'] }, []],
    ],
  },
  {
    name: 'a rename seen new-file-first changes nothing either',
    steps: [
      [{ 'b.yaml': ['Pod/web:1'] }, ['ADD Pod/default/web:1']],
      [{ 'a.yaml': ['Pod/web:1'] }, []],
      [{ 'b.yaml': null }, []],
    ],
  },
  {
    name: 'moving one object to another file changes nothing',
    steps: [
      [{ 'a.yaml': ['Pod/web:1', 'Pod/db:1'] }, ['ADD Pod/default/web:1', 'ADD Pod/default/db:1']],
      [{ 'a.yaml': ['Pod/web:1'], 'z.yaml': ['Pod/db:1'] }, []],
    ],
  },
  {
    name: 'an invalid file keeps its last valid objects; the fix is an UPDATE',
    steps: [
      [{ 'a.yaml': ['Pod/web:1'] }, ['ADD Pod/default/web:1']],
      [{ 'a.yaml': ['!mapping values are not allowed here'] }, []],
      [{ 'a.yaml': ['Pod/web:2'] }, ['UPDATE Pod/default/web:2']],
    ],
  },
  {
    name: 'fixing an invalid file back to the old content emits nothing',
    steps: [
      [{ 'a.yaml': ['Pod/web:1'] }, ['ADD Pod/default/web:1']],
      [{ 'a.yaml': ['!typo'] }, []],
      [{ 'a.yaml': ['Pod/web:1'] }, []],
    ],
  },
  {
    name: 'a partly valid file keeps its whole last valid set (no half-applied edit)',
    steps: [
      [{ 'a.yaml': ['Pod/web:1', 'Pod/db:1'] }, ['ADD Pod/default/web:1', 'ADD Pod/default/db:1']],
      [{ 'a.yaml': ['Pod/web:2', 'Pod/cache:1', '!spec.containers[0].image: Required value'] }, []],
      [{ 'a.yaml': ['Pod/web:2', 'Pod/cache:1'] }, ['REMOVE Pod/default/db', 'UPDATE Pod/default/web:2', 'ADD Pod/default/cache:1']],
    ],
  },
  {
    name: 'a file that was never valid contributes nothing, even its valid documents',
    steps: [
      [{ 'a.yaml': ['Pod/web:1', '!bad'] }, []],
      [{ 'a.yaml': ['Pod/web:1'] }, ['ADD Pod/default/web:1']],
    ],
  },
  {
    name: 'deleting an invalid file removes its last valid objects',
    steps: [
      [{ 'a.yaml': ['Pod/web:1'] }, ['ADD Pod/default/web:1']],
      [{ 'a.yaml': ['!bad'] }, []],
      [{ 'a.yaml': null }, ['REMOVE Pod/default/web']],
    ],
  },
  {
    name: 'warnings do not make a file invalid',
    steps: [[{ 'a.yaml': ['Pod/web:1', '?deprecated field'] }, ['ADD Pod/default/web:1']]],
  },
  {
    name: 'two files define one object: the first by path wins; removing the loser changes nothing',
    steps: [
      [{ 'b.yaml': ['Pod/web:2'], 'a.yaml': ['Pod/web:1'] }, ['ADD Pod/default/web:1']],
      [{ 'b.yaml': null }, []],
    ],
  },
  {
    name: 'removing the winner hands over to the other file (UPDATE when it differs)',
    steps: [
      [{ 'a.yaml': ['Pod/web:1'], 'b.yaml': ['Pod/web:2'] }, ['ADD Pod/default/web:1']],
      [{ 'a.yaml': null }, ['UPDATE Pod/default/web:2']],
      [{ 'b.yaml': null }, ['REMOVE Pod/default/web']],
    ],
  },
  {
    name: 'an earlier file appearing later takes over',
    steps: [
      [{ 'b.yaml': ['Pod/web:2'] }, ['ADD Pod/default/web:2']],
      [{ 'a.yaml': ['Pod/web:1'] }, ['UPDATE Pod/default/web:1']],
    ],
  },
  {
    name: 'a winner that turns invalid keeps winning with its last valid version',
    steps: [
      [{ 'a.yaml': ['Pod/web:1'], 'b.yaml': ['Pod/web:2'] }, ['ADD Pod/default/web:1']],
      [{ 'a.yaml': ['!bad'] }, []],
    ],
  },
  {
    name: 'a winner that stops defining the object hands over in file order',
    steps: [
      [{ 'a.yaml': ['Pod/web:1'], 'b.yaml': ['Pod/web:2'] }, ['ADD Pod/default/web:1']],
      [{ 'a.yaml': ['Pod/other:1'] }, ['ADD Pod/default/other:1', 'UPDATE Pod/default/web:2']],
    ],
  },
  {
    name: 'the same name in another namespace or of another kind is another object',
    steps: [
      [
        { 'a.yaml': ['Pod/web@x:1', 'Pod/web@y:1', 'DaemonSet/web@x:1'] },
        ['ADD Pod/x/web:1', 'ADD Pod/y/web:1', 'ADD DaemonSet/x/web:1'],
      ],
    ],
  },
  {
    name: 'a duplicate inside one file: the first document wins',
    steps: [
      [{ 'a.yaml': ['Pod/web:1', 'Pod/web:2'] }, ['ADD Pod/default/web:1']],
      [{ 'a.yaml': ['Pod/web:2'] }, ['UPDATE Pod/default/web:2']],
    ],
  },
  {
    name: 'REMOVEs come first, so a kind change frees the name before the new object is added',
    steps: [
      [{ 'a.yaml': ['Pod/web:1'] }, ['ADD Pod/default/web:1']],
      [{ 'a.yaml': ['DaemonSet/web:1'] }, ['REMOVE Pod/default/web', 'ADD DaemonSet/default/web:1']],
      [{ 'a.yaml': null, 'b.yaml': ['Pod/db:1'] }, ['REMOVE DaemonSet/default/web', 'ADD Pod/default/db:1']],
    ],
  },
  {
    name: 'ADD/UPDATE follow winning-file order, then document order',
    steps: [
      [{ 'c.yaml': ['Pod/c1:1'], 'a.yaml': ['Pod/a2:1', 'Pod/a1:1'], 'b.yaml': ['Pod/b1:1'] },
        ['ADD Pod/default/a2:1', 'ADD Pod/default/a1:1', 'ADD Pod/default/b1:1', 'ADD Pod/default/c1:1']],
    ],
  },
];

describe('applyFileChanges', () => {
  it.each(scenarios)('$name', ({ steps }) => {
    const { steps: actual } = run(steps.map(([batch]) => batch));
    expect(actual).toEqual(steps.map(([, expected]) => expected));
  });

  it('compares canonical JSON: a different key order is not an UPDATE', () => {
    const file = `${DIR}/a.yaml`;
    const first = fileResult(file, ['Pod/web:1']);
    const obj = first.objects[0];
    if (obj?.kind !== 'Pod') throw new Error('setup');
    const reordered: ManifestObject = {
      ...obj,
      object: { spec: obj.object.spec, metadata: { namespace: 'default', name: 'web' }, kind: 'Pod', apiVersion: 'v1' },
    };
    const s1 = applyFileChanges(EMPTY_DESIRED_STATE, [{ file, result: first }], 1).state;
    const r = applyFileChanges(s1, [{ file, result: { ...first, objects: [reordered] } }], 2);
    expect(r.updates).toEqual([]);
  });

  it('UPDATE and ADD carry the winning object; objects() follows a renamed file without an update', () => {
    const { state } = run([{ 'a.yaml': ['Pod/web:1'] }, { 'a.yaml': null, 'b.yaml': ['Pod/web:1'] }]);
    expect(desiredObjects(state).map((o) => o.file)).toEqual(['/m/b.yaml']);
  });

  it('does not mutate the previous state', () => {
    const { state } = run([{ 'a.yaml': ['Pod/web:1'] }]);
    const filesBefore = [...state.files.keys()];
    applyFileChanges(state, toChanges({ 'a.yaml': null, 'b.yaml': ['Pod/x:1'] }), 5);
    expect([...state.files.keys()]).toEqual(filesBefore);
    expect(desiredObjects(state).map((o) => o.key.name)).toEqual(['web']);
  });
});

describe('replaceAllFiles', () => {
  it('treats files missing from the listing as removed and keeps unchanged ones silent', () => {
    const { state } = run([{ 'a.yaml': ['Pod/a:1'], 'b.yaml': ['Pod/b:1'] }]);
    const r = replaceAllFiles(state, toChanges({ 'b.yaml': ['Pod/b:1'], 'c.yaml': ['Pod/c:1'] }), 50);
    expect(r.updates.map(show)).toEqual(['REMOVE Pod/default/a', 'ADD Pod/default/c:1']);
    expect([...r.state.files.keys()].sort()).toEqual(['/m/b.yaml', '/m/c.yaml']);
  });

  it('an empty listing removes everything (directory deleted)', () => {
    const { state } = run([{ 'a.yaml': ['Pod/a:1'] }]);
    expect(replaceAllFiles(state, [], 50).updates.map(show)).toEqual(['REMOVE Pod/default/a']);
  });

  it('entries without a result (not a manifest any more) count as absent', () => {
    const { state } = run([{ 'a.yaml': ['Pod/a:1'] }]);
    expect(replaceAllFiles(state, [{ file: '/m/a.yaml', result: undefined }], 50).updates.map(show)).toEqual([
      'REMOVE Pod/default/a',
    ]);
  });

  it('refreshes checkedAt of every listed file even when nothing changed', () => {
    const file = '/m/a.yaml';
    const result = fileResult(file, ['Pod/a:1']);
    const s1 = replaceAllFiles(EMPTY_DESIRED_STATE, [{ file, result }], 10).state;
    const r = replaceAllFiles(s1, [{ file, result }], 20_010);
    expect(r.updates).toEqual([]);
    expect(computeFileStatuses(r.state)[0]?.checkedAt).toBe(20_010);
  });
});

describe('an object that cannot be hashed', () => {
  // The parser refuses what could make hashing throw (e.g. a 2 GB alias expansion); should
  // something still slip through, it is that file's error and never stops the batch.
  it('makes its file invalid, keeps the file\'s last valid objects and applies the other files', () => {
    const { state } = run([{ 'a.yaml': ['Pod/a:1'] }]);
    const poisoned = fileResult('/m/a.yaml', ['Pod/a:2']);
    const pod = poisoned.objects[0]?.object;
    if (pod?.metadata) pod.metadata.annotations = { big: 1n } as unknown as Record<string, string>;
    const r = applyFileChanges(state, [{ file: '/m/a.yaml', result: poisoned }, ...toChanges({ 'b.yaml': ['Pod/b:1'] })], 2000);
    expect(r.updates.map(show)).toEqual(['ADD Pod/default/b:1']);
    expect(computeFileStatuses(r.state)[0]).toMatchObject({
      file: '/m/a.yaml',
      state: 'invalid',
      objects: [{ kind: 'Pod', name: 'a' }],
      errors: [{ severity: 'error', message: expect.stringMatching(/^internal error while reading the file's objects: .*BigInt/) }],
    });
  });
});

describe('computeFileStatuses', () => {
  it('reports ok files with their objects and read time, sorted by path', () => {
    const { state } = run([{ 'b.yaml': ['Pod/b:1', '?deprecated'], 'a.yaml': ['Pod/a:1', 'DaemonSet/d:1'] }], 777);
    expect(computeFileStatuses(state)).toEqual([
      {
        file: '/m/a.yaml',
        state: 'ok',
        objects: [
          { kind: 'Pod', namespace: 'default', name: 'a' },
          { kind: 'DaemonSet', namespace: 'default', name: 'd' },
        ],
        errors: [],
        warnings: [],
        checkedAt: 777,
      },
      {
        file: '/m/b.yaml',
        state: 'ok',
        objects: [{ kind: 'Pod', namespace: 'default', name: 'b' }],
        errors: [],
        warnings: [{ severity: 'warning', file: '/m/b.yaml', document: 1, message: 'deprecated' }],
        checkedAt: 777,
      },
    ]);
  });

  it('an invalid file lists its errors and the last valid objects still in force', () => {
    const { state } = run([{ 'a.yaml': ['Pod/web:1'] }, { 'a.yaml': ['Pod/web:2', '!bad thing'] }]);
    const [status] = computeFileStatuses(state);
    expect(status).toMatchObject({
      state: 'invalid',
      objects: [{ kind: 'Pod', namespace: 'default', name: 'web' }],
      errors: [{ severity: 'error', file: '/m/a.yaml', document: 1, message: 'bad thing' }],
      checkedAt: 1001,
    });
    expect(desiredObjects(state)[0]?.object.spec).toEqual({ containers: [{ name: 'c', image: '1' }] });
  });

  it('a never-valid file is invalid with no objects', () => {
    const { state } = run([{ 'a.yaml': ['Pod/web:1', '!bad'] }]);
    expect(computeFileStatuses(state)[0]).toMatchObject({ state: 'invalid', objects: [] });
    expect(desiredObjects(state)).toEqual([]);
  });

  it('a conflict is reported on the ignored definition, naming both files', () => {
    const { state } = run([{ 'b.yaml': ['Pod/other:1', 'Pod/web:2'], 'a.yaml': ['Pod/web:1'] }]);
    const [a, b] = computeFileStatuses(state);
    expect(a).toMatchObject({ file: '/m/a.yaml', state: 'ok', errors: [] });
    expect(b).toMatchObject({
      file: '/m/b.yaml',
      state: 'conflict',
      objects: [
        { kind: 'Pod', namespace: 'default', name: 'other' },
        { kind: 'Pod', namespace: 'default', name: 'web' },
      ],
    });
    expect(b?.errors).toEqual([
      {
        severity: 'error',
        file: '/m/b.yaml',
        document: 1,
        message:
          'Pod "web" in namespace "default" is also defined in /m/a.yaml, which comes first and wins; ' +
          'the definition in /m/b.yaml is ignored',
        hint: 'define each object in one file only; remove or rename one of the definitions',
      },
    ]);
    expect(desiredObjects(state).map((o) => `${o.key.name}@${o.file}`)).toEqual(['web@/m/a.yaml', 'other@/m/b.yaml']);
  });

  it('the conflict clears when the winner goes away', () => {
    const { state } = run([{ 'a.yaml': ['Pod/web:1'], 'b.yaml': ['Pod/web:1'] }, { 'a.yaml': null }]);
    expect(computeFileStatuses(state)).toMatchObject([{ file: '/m/b.yaml', state: 'ok', errors: [] }]);
  });

  it('a duplicate inside one file names the file and both documents', () => {
    const { state } = run([{ 'a.yaml': ['Pod/web:1', 'Pod/web:2'] }]);
    const [a] = computeFileStatuses(state);
    expect(a?.state).toBe('conflict');
    expect(a?.errors[0]?.message).toBe(
      'Pod "web" in namespace "default" is defined more than once in /m/a.yaml (documents 0 and 1); document 1 is ignored',
    );
  });

  it('an invalid file whose kept objects also conflict stays invalid and lists both problems', () => {
    const { state } = run([{ 'a.yaml': ['Pod/web:1'], 'b.yaml': ['Pod/web:2'] }, { 'b.yaml': ['!bad'] }]);
    const b = computeFileStatuses(state)[1];
    expect(b?.state).toBe('invalid');
    expect(b?.errors.map((e) => e.message)).toEqual([
      'bad',
      'Pod "web" in namespace "default" is also defined in /m/a.yaml, which comes first and wins; the definition in /m/b.yaml is ignored',
    ]);
  });
});

describe('update stream invariants (property)', () => {
  const names = ['a.yaml', 'b.yaml', 'c.yaml'] as const;
  const docArb = fc.constantFrom('Pod/web:1', 'Pod/web:2', 'Pod/db:1', 'DaemonSet/web:1', 'Pod/web@x:1', '!bad', '?warn');
  const contentArb = fc.option(fc.array(docArb, { maxLength: 4 }), { nil: null });
  const batchArb = fc.dictionary(fc.constantFrom(...names), contentArb, { minKeys: 1, maxKeys: 3 });

  it('folding the updates reproduces objects(), with no redundant or impossible update', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(batchArb, fc.boolean()), { maxLength: 12 }), (batches) => {
        let state = EMPTY_DESIRED_STATE;
        const downstream = new Map<string, string>();
        let t = 0;
        for (const [batch, asRescan] of batches) {
          const changes = toChanges(batch);
          const r = asRescan ? replaceAllFiles(state, changes, ++t) : applyFileChanges(state, changes, ++t);
          const seen = new Set<string>();
          for (const u of r.updates) {
            const id = formatObjectKey(u.key);
            expect(seen.has(id)).toBe(false);
            seen.add(id);
            if (u.op === 'REMOVE') {
              expect(downstream.has(id)).toBe(true);
              downstream.delete(id);
            } else {
              expect(downstream.has(id)).toBe(u.op === 'UPDATE');
              const hash = hashObject(u.object.object);
              expect(downstream.get(id)).not.toBe(hash);
              downstream.set(id, hash);
            }
          }
          state = r.state;
          const expected = new Map(desiredObjects(state).map((o) => [formatObjectKey(o.key), hashObject(o.object)]));
          expect(downstream).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the result does not depend on how the same files are split into batches', () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        const together = run([batch]).state;
        const oneByOne = run(Object.entries(batch).map(([k, v]) => ({ [k]: v }))).state;
        const view = (s: DesiredState): unknown => [desiredObjects(s).map((o) => [o.file, o.document]), computeFileStatuses(s).map((f) => [f.file, f.state, f.objects])];
        expect(view(oneByOne)).toEqual(view(together));
      }),
    );
  });
});

describe('refused files and objects restored after a restart (issue 12, items 6 and 8)', () => {
  const file = `${DIR}/web.yaml`;
  const refusal = (): FileChange => ({ file, result: fileResult(file, ['!manifest directory /m is writable by group (mode 0775)']), refused: true });

  it('a refused file keeps the objects read while it was trusted; its status says refused and running pods kept', () => {
    const first = applyFileChanges(EMPTY_DESIRED_STATE, [{ file, result: fileResult(file, ['Pod/web:v1']) }], 1_000);
    const refused = applyFileChanges(first.state, [refusal()], 2_000);
    expect(refused.updates).toEqual([]);
    expect(desiredObjects(refused.state).map((o) => o.key.name)).toEqual(['web']);
    expect(computeFileStatuses(refused.state)[0]).toMatchObject({
      state: 'refused',
      keptSince: 1_000,
      note: 'running pods kept: the 1 object last read while it was trusted (1970-01-01T00:00:01Z) stay in force; its new content is not read',
    });
    // Trusted again, with new content: an UPDATE.
    const back = applyFileChanges(refused.state, [{ file, result: fileResult(file, ['Pod/web:v2']) }], 3_000);
    expect(back.updates.map((u) => u.op)).toEqual(['UPDATE']);
    expect(computeFileStatuses(back.state)[0]).toMatchObject({ state: 'ok' });
    expect(computeFileStatuses(back.state)[0]?.note).toBeUndefined();
  });

  it('a file refused from its first read contributes nothing', () => {
    const r = applyFileChanges(EMPTY_DESIRED_STATE, [refusal()], 1_000);
    expect(desiredObjects(r.state)).toEqual([]);
    expect(computeFileStatuses(r.state)[0]).toMatchObject({ state: 'refused', objects: [], note: 'not read; no objects of it are in force' });
  });

  it('restored objects seed a new entry that is invalid or refused, and only such an entry', () => {
    const restored = { objects: fileResult(file, ['Pod/web:v1']).objects, readAt: 500 };
    const invalid = replaceAllFiles(EMPTY_DESIRED_STATE, [{ file, result: fileResult(file, ['!bad']), restored }], 1_000);
    expect(invalid.updates.map((u) => `${u.op} ${formatObjectKey(u.key)}`)).toEqual(['ADD Pod/default/web']);
    expect(computeFileStatuses(invalid.state)[0]).toMatchObject({
      state: 'invalid',
      keptSince: 500,
      note: 'the last valid version, read at 1970-01-01T00:00:00Z, restored from the state directory at start, is kept (1 object)',
    });
    const refused = replaceAllFiles(EMPTY_DESIRED_STATE, [{ ...refusal(), restored }], 1_000);
    expect(desiredObjects(refused.state).map((o) => o.key.name)).toEqual(['web']);
    // A valid read wins over the record; an existing entry ignores it.
    const valid = replaceAllFiles(EMPTY_DESIRED_STATE, [{ file, result: fileResult(file, ['Pod/other']), restored }], 1_000);
    expect(desiredObjects(valid.state).map((o) => o.key.name)).toEqual(['other']);
    const later = applyFileChanges(valid.state, [{ file, result: fileResult(file, ['!bad']), restored }], 2_000);
    expect(desiredObjects(later.state).map((o) => o.key.name)).toEqual(['other']);
  });
});
