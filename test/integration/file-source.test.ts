// The file source against a real temporary directory and real chokidar (no Docker needed).
// Waits are condition-based: after an action, a "barrier" write to a sentinel file is awaited;
// chokidar reports events in order and a debounce flush reads every pending path, so once the
// barrier's update arrives every effect of the action has been emitted too, and "nothing
// more" can be asserted without guessing a sleep.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FileSource, type FileSourceOptions, type ParseFile, type WatchDirectory } from '../../agent/source/file-source.js';
import type { Logger } from '../../agent/source/logger.js';
import { parseManifestFile } from '../../agent/manifest/parse-file.js';
import { formatObjectKey, type SourceUpdate } from '../../agent/core/types.js';
import type { LastValidStore } from '../../agent/source/last-valid-store.js';

// The real per-file pipeline (decode, validate, default), as main.ts wires it.
const parseFile: ParseFile = (text, file) => parseManifestFile(text, file);

function podYaml(name: string, image = 'busybox:1', namespace?: string): string {
  const ns = namespace === undefined ? '' : `\n  namespace: ${namespace}`;
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}${ns}\nspec:\n  containers:\n  - name: c\n    image: ${image}\n`;
}

// ---- harness ----
interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly obj: Record<string, unknown>;
}

function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (obj: Record<string, unknown>, msg: string): void => {
      lines.push({ level, msg, obj });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

const BARRIER = 'zzzz-barrier.yaml';
const started: FileSource[] = [];
const tmpDirs: string[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
  await Promise.all(tmpDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function show(u: SourceUpdate): string {
  const id = formatObjectKey(u.key);
  if (u.op === 'REMOVE') return `REMOVE ${id}`;
  const m = u.object;
  const spec = m.kind === 'Pod' ? m.object.spec : m.object.spec?.template.spec;
  return `${u.op} ${id}:${spec?.containers[0]?.image ?? '?'}`;
}

async function harness(
  opts: Partial<FileSourceOptions> & { watchDirectory?: WatchDirectory; dirName?: string; createDir?: boolean } = {},
) {
  const root = await mkdtemp(join(tmpdir(), 'nodelet-source-'));
  tmpDirs.push(root);
  const dir = join(root, opts.dirName ?? 'manifests');
  if (opts.createDir ?? true) await mkdir(dir, { recursive: true });
  const logs: LogLine[] = [];
  const batches: { at: number; updates: readonly SourceUpdate[] }[] = [];
  const { watchDirectory, dirName: _d, createDir: _c, ...rest } = opts;
  const source = new FileSource(
    { dir, parseFile, debounceMs: 50, ...rest },
    { logger: recordingLogger(logs), ...(watchDirectory ? { watchDirectory } : {}) },
  );
  source.onUpdate((updates) => batches.push({ at: performance.now(), updates }));
  started.push(source);
  let barrierSeq = 0;
  /** All non-barrier updates so far, as strings. */
  const seen = (): string[] =>
    batches.flatMap((b) => b.updates.filter((u) => u.key.name !== 'barrier').map(show));
  return {
    root,
    dir,
    source,
    logs,
    batches,
    seen,
    path: (name: string) => join(dir, name),
    /** objects() without the barrier. */
    objects: () => source.objects().filter((o) => o.key.name !== 'barrier'),
    write: (name: string, text: string) => writeFile(join(dir, name), text),
    /** Everything written before this call has been emitted when it resolves. */
    async barrier(): Promise<void> {
      const image = `barrier:${++barrierSeq}`;
      await writeFile(join(dir, BARRIER), podYaml('barrier', image));
      await waitFor(`barrier ${image}`, () =>
        batches.some((b) => b.updates.some((u) => u.op !== 'REMOVE' && u.key.name === 'barrier' && show(u).endsWith(image))),
      );
    },
    /** Waits until the non-barrier updates equal `expected`, then checks nothing more follows. */
    async expectUpdates(expected: readonly string[]): Promise<void> {
      await waitFor(`updates ${JSON.stringify(expected)}`, () => seen().length >= expected.length);
      await this.barrier();
      expect(seen()).toEqual(expected);
    },
  };
}

describe('FileSource (real directory, real chokidar)', () => {
  it('emits the initial listing as one batch, then ready; ignores dotfiles, leftovers and subdirectories', async () => {
    const h = await harness();
    await h.write('b.yaml', podYaml('b'));
    await h.write('a.yaml', `${podYaml('a')}---\n${podYaml('a2', 'busybox:2')}`);
    await h.write('noext', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'json' }, spec: { containers: [{ name: 'c', image: 'j:1' }] } }));
    for (const leftover of ['.hidden.yaml', 'a.yaml.swp', 'a.yaml~', '#a.yaml#', 'a.yaml.bak', 'a.yaml.dpkg-old', 'a.yaml.rpmnew', 'a.yaml.orig', 'a.yaml.tmp']) {
      await h.write(leftover, podYaml('leftover'));
    }
    await mkdir(h.path('sub'));
    await writeFile(join(h.path('sub'), 'c.yaml'), podYaml('nested'));

    await h.source.start();
    expect(h.batches).toHaveLength(1);
    expect(h.seen()).toEqual(['ADD Pod/default/a:busybox:1', 'ADD Pod/default/a2:busybox:2', 'ADD Pod/default/b:busybox:1', 'ADD Pod/default/json:j:1']);
    expect(h.source.fileStatuses().map((s) => [s.file, s.state, s.objects.length])).toEqual([
      [h.path('a.yaml'), 'ok', 2],
      [h.path('b.yaml'), 'ok', 1],
      [h.path('noext'), 'ok', 1],
    ]);
    expect(h.source.objects().map((o) => [o.key.name, o.file, o.document])).toEqual([
      ['a', h.path('a.yaml'), 0],
      ['a2', h.path('a.yaml'), 1],
      ['b', h.path('b.yaml'), 0],
      ['json', h.path('noext'), 0],
    ]);
    expect(h.logs.filter((l) => l.msg === 'manifest file ignored').map((l) => l.obj.file)).toHaveLength(9);
    expect(h.logs.some((l) => l.msg === 'not recursing into subdirectory' && l.obj.file === h.path('sub'))).toBe(true);
  });

  it('create, in-place edit, no-op rewrite, atomic rename and delete: exactly one update each', async () => {
    const h = await harness();
    await h.source.start();
    expect(h.batches).toEqual([expect.objectContaining({ updates: [] })]);

    await h.write('web.yaml', podYaml('web', 'web:1'));
    await h.expectUpdates(['ADD Pod/default/web:web:1']);

    await h.write('web.yaml', podYaml('web', 'web:2'));
    await h.expectUpdates(['ADD Pod/default/web:web:1', 'UPDATE Pod/default/web:web:2']);

    await h.write('web.yaml', podYaml('web', 'web:2'));
    await h.expectUpdates(['ADD Pod/default/web:web:1', 'UPDATE Pod/default/web:web:2']);

    // write-to-temp-then-rename, with a temp name that is itself ignored
    await h.write('web.yaml.tmp', podYaml('web', 'web:3'));
    await rename(h.path('web.yaml.tmp'), h.path('web.yaml'));
    await h.expectUpdates(['ADD Pod/default/web:web:1', 'UPDATE Pod/default/web:web:2', 'UPDATE Pod/default/web:web:3']);

    // the same with a hidden temp file, as many editors and config tools do
    await h.write('.web.yaml.k8s-tmp', podYaml('web', 'web:4'));
    await rename(h.path('.web.yaml.k8s-tmp'), h.path('web.yaml'));
    await h.expectUpdates([
      'ADD Pod/default/web:web:1',
      'UPDATE Pod/default/web:web:2',
      'UPDATE Pod/default/web:web:3',
      'UPDATE Pod/default/web:web:4',
    ]);

    await unlink(h.path('web.yaml'));
    await h.expectUpdates([
      'ADD Pod/default/web:web:1',
      'UPDATE Pod/default/web:web:2',
      'UPDATE Pod/default/web:web:3',
      'UPDATE Pod/default/web:web:4',
      'REMOVE Pod/default/web',
    ]);
    expect(h.source.fileStatuses().map((s) => s.file)).toEqual([h.path(BARRIER)]);
  });

  it('ignores editor swap files and package leftovers written while running', async () => {
    const h = await harness();
    await h.source.start();
    for (const name of ['.web.yaml.swp', 'web.yaml.swp', 'web.yaml.swx', 'web.yaml~', '#web.yaml#', 'web.yaml.dpkg-new', 'web.yaml.rpmsave', '.#web.yaml']) {
      await h.write(name, podYaml('ghost'));
    }
    await h.expectUpdates([]);
    expect(h.logs.filter((l) => l.level === 'debug' && l.msg === 'manifest file ignored').length).toBeGreaterThanOrEqual(8);
    expect(h.source.fileStatuses().map((s) => s.file)).toEqual([h.path(BARRIER)]);
  });

  it('a file turned invalid keeps its last valid objects in force and reports the error; the fix applies', async () => {
    const h = await harness();
    await h.write('web.yaml', `${podYaml('web', 'web:1')}---\n${podYaml('db', 'db:1')}`);
    await h.source.start();
    expect(h.seen()).toEqual(['ADD Pod/default/web:web:1', 'ADD Pod/default/db:db:1']);

    // one document broken, the other edited: nothing applies until the whole file is valid
    await h.write('web.yaml', `${podYaml('web', 'web:2')}---\n${podYaml('db', 'db:1').replace('    image: db:1\n', '')}`);
    await waitFor('invalid status', () => h.source.fileStatuses().some((s) => s.state === 'invalid'));
    await h.barrier();
    expect(h.seen()).toEqual(['ADD Pod/default/web:web:1', 'ADD Pod/default/db:db:1']);
    const status = h.source.fileStatuses().find((s) => s.file === h.path('web.yaml'));
    expect(status).toMatchObject({
      state: 'invalid',
      objects: [
        { kind: 'Pod', namespace: 'default', name: 'web' },
        { kind: 'Pod', namespace: 'default', name: 'db' },
      ],
      errors: [
        expect.objectContaining({ severity: 'error', file: h.path('web.yaml'), document: 1, message: 'spec.containers[0].image: Required value' }),
      ],
    });
    expect(h.logs.filter((l) => l.level === 'warn' && l.msg === 'manifest file invalid' && l.obj.file === h.path('web.yaml'))).toHaveLength(1);

    // a YAML syntax error, and a rescan: still in force, still reported once
    await h.write('web.yaml', 'kind: Pod\nmetadata: [oops\n');
    await waitFor('syntax error status', () =>
      h.source.fileStatuses().some((s) => s.state === 'invalid' && s.errors.some((e) => e.message.startsWith('yaml:'))),
    );
    await h.source.rescan();
    await h.source.rescan();
    expect(h.objects().map((o) => o.key.name)).toEqual(['web', 'db']);
    expect(h.logs.filter((l) => l.msg === 'manifest file invalid')).toHaveLength(2);

    await h.write('web.yaml', `${podYaml('web', 'web:3')}---\n${podYaml('db', 'db:1')}`);
    await h.expectUpdates(['ADD Pod/default/web:web:1', 'ADD Pod/default/db:db:1', 'UPDATE Pod/default/web:web:3']);
    expect(h.source.fileStatuses().find((s) => s.file === h.path('web.yaml'))).toMatchObject({ state: 'ok', errors: [] });
  });

  it('a file emptied to zero bytes (an in-place writer between truncate and write) keeps its objects', async () => {
    const h = await harness();
    await h.write('web.yaml', podYaml('web'));
    await h.source.start();
    await h.write('web.yaml', '');
    await waitFor('empty file reported', () => h.source.fileStatuses().some((s) => s.state === 'invalid'));
    expect(h.source.fileStatuses()[0]).toMatchObject({
      state: 'invalid',
      objects: [{ kind: 'Pod', namespace: 'default', name: 'web' }],
      errors: [{ severity: 'error', file: h.path('web.yaml'), message: 'file is empty', hint: 'delete the file to remove its objects' }],
    });
    await h.write('web.yaml', podYaml('web', 'busybox:2'));
    await h.expectUpdates(['ADD Pod/default/web:busybox:1', 'UPDATE Pod/default/web:busybox:2']);
    // a file with only comments is a deliberate "no objects"
    await h.write('web.yaml', '# nothing here\n');
    await h.expectUpdates(['ADD Pod/default/web:busybox:1', 'UPDATE Pod/default/web:busybox:2', 'REMOVE Pod/default/web']);
  });

  it('the same object in two files: the first by path wins, the other is a conflict naming both; removing the winner hands over', async () => {
    const h = await harness();
    await h.write('b.yaml', podYaml('web', 'from-b'));
    await h.write('a.yaml', podYaml('web', 'from-a'));
    await h.source.start();
    expect(h.seen()).toEqual(['ADD Pod/default/web:from-a']);
    const b = h.source.fileStatuses().find((s) => s.file === h.path('b.yaml'));
    expect(b?.state).toBe('conflict');
    expect(b?.errors).toHaveLength(1);
    expect(b?.errors[0]?.message).toContain(h.path('a.yaml'));
    expect(b?.errors[0]?.message).toContain(h.path('b.yaml'));

    await unlink(h.path('a.yaml'));
    await h.expectUpdates(['ADD Pod/default/web:from-a', 'UPDATE Pod/default/web:from-b']);
    expect(h.source.fileStatuses().find((s) => s.file === h.path('b.yaml'))?.state).toBe('ok');
  });

  it('renaming a file, or moving an object to another file, changes nothing downstream', async () => {
    const h = await harness();
    await h.write('a.yaml', `${podYaml('web')}---\n${podYaml('db')}`);
    await h.source.start();
    const initial = ['ADD Pod/default/web:busybox:1', 'ADD Pod/default/db:busybox:1'];
    expect(h.seen()).toEqual(initial);

    await rename(h.path('a.yaml'), h.path('renamed.yaml'));
    await h.expectUpdates(initial);
    expect(h.objects().map((o) => o.file)).toEqual([h.path('renamed.yaml'), h.path('renamed.yaml')]);

    // move `db` into its own file: add it there first, then drop it from the old file
    await h.write('db.yaml', podYaml('db'));
    await h.barrier();
    await h.write('renamed.yaml', podYaml('web'));
    await h.expectUpdates(initial);
    expect(h.objects().map((o) => [o.key.name, o.file])).toEqual([
      ['db', h.path('db.yaml')],
      ['web', h.path('renamed.yaml')],
    ]);
  });

  it('100 files written at once: exactly one ADD per object, nothing more', async () => {
    const h = await harness();
    await h.source.start();
    const names = Array.from({ length: 100 }, (_, i) => `pod-${String(i).padStart(3, '0')}`);
    await Promise.all(names.map((n) => h.write(`${n}.yaml`, podYaml(n))));
    await waitFor('100 ADDs', () => h.seen().length >= 100, 10_000);
    await h.barrier();
    const seen = h.seen();
    expect(seen).toHaveLength(100);
    expect([...seen].sort()).toEqual(names.map((n) => `ADD Pod/default/${n}:busybox:1`));
    await h.source.rescan();
    expect(h.seen()).toHaveLength(100);
    expect(h.source.fileStatuses().filter((s) => s.state === 'ok')).toHaveLength(101);
  });

  it('a directory that does not exist yet: empty initial state, picked up when created (chokidar path)', async () => {
    const h = await harness({ createDir: false, dirRetryMs: 60_000 });
    await h.source.start();
    expect(h.batches).toEqual([expect.objectContaining({ updates: [] })]);
    expect(h.logs.some((l) => l.msg === 'manifest path does not exist, ignoring')).toBe(true);

    await mkdir(h.dir);
    await h.write('web.yaml', podYaml('web'));
    await waitFor('ADD after mkdir', () => h.seen().length >= 1);
    await h.expectUpdates(['ADD Pod/default/web:busybox:1']);

    // the watcher now watches the new directory
    await h.write('web.yaml', podYaml('web', 'busybox:2'));
    await h.expectUpdates(['ADD Pod/default/web:busybox:1', 'UPDATE Pod/default/web:busybox:2']);
  });

  it('a directory whose parent does not exist either is found by polling', async () => {
    const h = await harness({ createDir: false, dirName: 'etc/kubernetes/manifests', dirRetryMs: 100 });
    await h.source.start();
    expect(h.batches).toEqual([expect.objectContaining({ updates: [] })]);
    await mkdir(h.dir, { recursive: true });
    await h.write('web.yaml', podYaml('web'));
    await waitFor('ADD after mkdir -p', () => h.seen().length >= 1);
    await h.expectUpdates(['ADD Pod/default/web:busybox:1']);
  });

  it('the directory removed and re-created: objects removed, then re-added and watched again', async () => {
    const h = await harness({ dirRetryMs: 100 });
    await h.write('web.yaml', podYaml('web'));
    await h.source.start();
    await rm(h.dir, { recursive: true });
    await waitFor('REMOVE after rm -r', () => h.seen().includes('REMOVE Pod/default/web'));
    await mkdir(h.dir);
    await h.write('web.yaml', podYaml('web', 'busybox:2'));
    await waitFor('ADD after re-create', () => h.seen().length >= 3);
    await h.write('web.yaml', podYaml('web', 'busybox:3'));
    await h.expectUpdates([
      'ADD Pod/default/web:busybox:1',
      'REMOVE Pod/default/web',
      'ADD Pod/default/web:busybox:2',
      'UPDATE Pod/default/web:busybox:3',
    ]);
  });

  it('the periodic rescan catches changes the watcher missed', async () => {
    // A watcher that drops every event: only the rescan can see anything.
    const deaf: WatchDirectory = async () => ({ close: async () => undefined });
    const h = await harness({ watchDirectory: deaf, rescanMs: 150 });
    await h.source.start();
    await h.write('web.yaml', podYaml('web', 'web:1'));
    await waitFor('ADD by rescan', () => h.seen().length === 1);
    await h.write('web.yaml', podYaml('web', 'web:2'));
    await waitFor('UPDATE by rescan', () => h.seen().length === 2);
    await unlink(h.path('web.yaml'));
    await waitFor('REMOVE by rescan', () => h.seen().length === 3);
    expect(h.seen()).toEqual(['ADD Pod/default/web:web:1', 'UPDATE Pod/default/web:web:2', 'REMOVE Pod/default/web']);
  });

  it('rescan() diffs against the current set and is silent when nothing changed', async () => {
    const deaf: WatchDirectory = async () => ({ close: async () => undefined });
    const h = await harness({ watchDirectory: deaf, rescanMs: 3_600_000 });
    await h.write('a.yaml', podYaml('a'));
    await h.source.start();
    await h.source.rescan();
    expect(h.batches).toHaveLength(1);
    await h.write('b.yaml', podYaml('b'));
    await unlink(h.path('a.yaml'));
    await h.source.rescan();
    expect(h.batches.map((b) => b.updates.map(show))).toEqual([['ADD Pod/default/a:busybox:1'], ['REMOVE Pod/default/a', 'ADD Pod/default/b:busybox:1']]);
  });

  it('follows symlinks to files; a dangling symlink is skipped with a log', async () => {
    const h = await harness();
    const outside = join(h.root, 'outside.yaml');
    await writeFile(outside, podYaml('linked'));
    await symlink(outside, h.path('linked.yaml'));
    await symlink(join(h.root, 'nowhere.yaml'), h.path('dangling.yaml'));
    await h.source.start();
    expect(h.seen()).toEqual(['ADD Pod/default/linked:busybox:1']);
    expect(h.logs.filter((l) => l.msg === 'dangling symlink skipped').map((l) => l.obj.file)).toEqual([h.path('dangling.yaml')]);
    await h.source.rescan();
    expect(h.logs.filter((l) => l.msg === 'dangling symlink skipped')).toHaveLength(1);

    await writeFile(join(h.root, 'nowhere.yaml'), podYaml('late'));
    await h.source.rescan();
    expect(h.seen()).toEqual(['ADD Pod/default/linked:busybox:1', 'ADD Pod/default/late:busybox:1']);
  });

  it('a manifest directory that is itself a symlink is watched through the link', async () => {
    const h = await harness({ createDir: false });
    await mkdir(join(h.root, 'real'));
    await symlink(join(h.root, 'real'), h.dir);
    await h.source.start();
    await writeFile(join(h.root, 'real', 'web.yaml'), podYaml('web'));
    await h.expectUpdates(['ADD Pod/default/web:busybox:1']);
    expect(h.objects()[0]?.file).toBe(h.path('web.yaml'));
  });

  it('stop() closes the watcher: later writes emit nothing', async () => {
    const h = await harness();
    await h.source.start();
    await h.source.stop();
    await h.write('web.yaml', podYaml('web'));
    await new Promise((r) => setTimeout(r, 200)); // nothing to wait for: absence after stop
    expect(h.seen()).toEqual([]);
    await h.source.stop();
  });

  it('latency from write to update is about the debounce', async () => {
    const h = await harness();
    await h.source.start();
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await h.write('web.yaml', podYaml('web', `web:${i}`));
      await waitFor(`update ${i}`, () => h.batches.some((b) => b.at >= t0 && b.updates.some((u) => show(u).endsWith(`web:${i}`))));
      const hit = h.batches.find((b) => b.at >= t0 && b.updates.some((u) => show(u).endsWith(`web:${i}`)));
      samples.push((hit?.at ?? Number.NaN) - t0);
    }
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)] ?? Number.NaN;
    const max = samples[samples.length - 1] ?? Number.NaN;
    console.info(`file source latency write→update over ${samples.length} edits: min ${samples[0]?.toFixed(1)} ms, median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms`);
    expect(median).toBeGreaterThanOrEqual(50);
    expect(max).toBeLessThan(1000);
  });
});


describe('FileSource: initial listing', () => {
  it('retries a first listing that threw instead of never becoming ready', async () => {
    let loads = 0;
    const store: LastValidStore = {
      // A store that throws outright (not a rejected promise) on its first load.
      load: () => {
        loads++;
        if (loads === 1) throw new Error('state directory exploded');
        return Promise.resolve([]);
      },
      save: () => Promise.resolve(),
      remove: () => Promise.resolve(),
    };
    const root = await mkdtemp(join(tmpdir(), 'nodelet-source-'));
    tmpDirs.push(root);
    await writeFile(join(root, 'web.yaml'), podYaml('web'));
    const logs: LogLine[] = [];
    const source = new FileSource({ dir: root, parseFile, lastValidStore: store }, { logger: recordingLogger(logs) });
    started.push(source);
    await source.start();
    expect(loads).toBe(2);
    expect(source.objects().map((o) => o.key.name)).toEqual(['web']);
    expect(logs.filter((l) => l.msg === 'initial manifest scan failed; retrying').map((l) => l.obj.retryInMs)).toEqual([1000]);
  });
});
