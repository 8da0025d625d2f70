import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerValidateCommand } from '../../../agent/cli/validate-command.js';
import { decodeManifest } from '../../../agent/manifest/decode.js';
import { AGENT_DAEMON_SET_YAML as DAEMON_SET, stringAliasBombYaml, WEB_POD_YAML as POD } from '../../fixtures/manifest-texts.js';

interface Run {
  readonly out: string;
  readonly err: string;
  readonly code: number;
}

async function run(args: readonly string[], stdin = ''): Promise<Run> {
  let out = '';
  let err = '';
  const program = new Command('nodelet').exitOverride().configureOutput({
    writeOut: (text) => (out += text),
    writeErr: (text) => (err += text),
  });
  registerValidateCommand(program, { readStdin: () => Promise.resolve(stdin) });
  const previous = process.exitCode;
  try {
    await program.parseAsync(['validate', ...args], { from: 'user' });
    return { out, err, code: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = previous;
  }
}

const MISSING_IMAGE = `apiVersion: v1
kind: Pod
metadata:
  name: broken
spec:
  containers:
    - name: web
`;

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nodelet-validate-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('nodelet validate', () => {
  it('prints a valid object with its defaults as YAML and exits 0', async () => {
    const result = await run(['-f', write('web.yaml', POD)]);
    expect(result).toMatchObject({ err: '', code: 0 });
    const printed = decodeManifest(result.out).documents.map((d) => d.value);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatchObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web' },
      spec: {
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        containers: [{ name: 'web', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' }],
      },
    });
    expect(result.out.startsWith('apiVersion: v1\nkind: Pod\nmetadata:')).toBe(true);
  });

  it('prints JSON with -o json: one object alone, several as a v1 List', async () => {
    const one = await run(['-o', 'json', '-f', write('web.yaml', POD)]);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.out)).toMatchObject({ kind: 'Pod', metadata: { name: 'web' } });

    const two = await run(['-o', 'json', '-f', write('both.yaml', `${POD}---\n${DAEMON_SET}`)]);
    expect(two.code).toBe(0);
    const list = JSON.parse(two.out) as { kind: string; items: { kind: string }[] };
    expect(list.kind).toBe('List');
    expect(list.items.map((i) => i.kind)).toEqual(['Pod', 'DaemonSet']);
  });

  it('reports errors as kubectl prints them and exits 1', async () => {
    const file = write('broken.yaml', MISSING_IMAGE);
    const result = await run(['-f', file]);
    expect(result).toEqual({ out: '', err: `${file}: The Pod "broken" is invalid: spec.containers[0].image: Required value\n`, code: 1 });
  });

  it('lists several errors of one object, DaemonSet errors with the apps group', async () => {
    const file = write(
      'ds.yaml',
      DAEMON_SET.replace('matchLabels: {app: agent}', 'matchLabels: {app: other}').replace('image: busybox:1.37', 'image: busybox:1.37\n          imagePullPolicy: Sometimes'),
    );
    const result = await run(['-f', file]);
    expect(result.code).toBe(1);
    const lines = result.err.trimEnd().split('\n');
    expect(lines[0]).toBe(`${file}: The DaemonSet.apps "agent" is invalid:`);
    expect(lines.slice(1).every((l) => l.startsWith('* ') || l.startsWith('  hint: '))).toBe(true);
    expect(result.err).toContain(
      '* spec.template.spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
    );
    expect(result.err).toContain('* spec.template.metadata.labels: Invalid value: map[string]string{"app":"agent"}: `selector` does not match template `labels`');
  });

  it('rejects unknown fields with a hint, or only warns with --validation=warn', async () => {
    const file = write('typo.yaml', POD.replace('image: nginx:1.27', 'imagee: nginx:1.27\n      image: nginx:1.27'));
    const strict = await run(['-f', file]);
    expect(strict).toEqual({
      out: '',
      err: `${file}: Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee"\n  hint: did you mean "image"? (nodelet's schema is Kubernetes 1.37)\n`,
      code: 1,
    });

    const warn = await run(['--validation', 'warn', '-f', file]);
    expect(warn.code).toBe(0);
    expect(warn.err).toBe(`Warning: ${file}: unknown field "spec.containers[0].imagee"\n  hint: did you mean "image"? (nodelet's schema is Kubernetes 1.37)\n`);
    expect(warn.out).not.toContain('imagee');
    expect(warn.out).toContain('image: nginx:1.27');
  });

  it('reports YAML errors with file:line:column', async () => {
    const file = write('tabs.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n');
    const result = await run(['-f', file]);
    expect(result).toEqual({
      out: '',
      err: `${file}:4:1: yaml: tab characters must not be used in indentation\n  hint: indent with spaces: YAML does not allow tab characters in indentation\n`,
      code: 1,
    });
  });

  it('refuses a string alias bomb (160 KB expanding to 2 GB) with a YAML error and exit 1, and checks the other files', async () => {
    const bomb = write('bomb.yaml', stringAliasBombYaml('bomb', 20_000));
    const web = write('web.yaml', POD);
    const result = await run(['-f', bomb, '-f', web, '-q']);
    expect(result).toEqual({
      out: '',
      err: `${bomb}:1:1: error converting YAML to JSON: yaml: document contains excessive aliasing: it expands to more than 20971520 bytes\n  hint: write the repeated part out, or point each alias (*name) at an anchor (&name) that does not contain it\n`,
      code: 1,
    });
  });

  it('checks a Pod name with the node suffix: --node-name, else the hostname as the agent does', async () => {
    const name = 'a'.repeat(246);
    const file = write('long.yaml', POD.replace('name: web\n', `name: ${name}\n`));
    const result = await run(['-f', file, '--node-name', 'Node-12']);
    expect(result).toEqual({
      out: '',
      err: `${file}: The Pod "${name}" is invalid: metadata.name: Invalid value: "${name}-node-12": must be no more than 253 characters\n`,
      code: 1,
    });
    expect((await run(['-f', write('short.yaml', POD.replace('name: web\n', `name: ${'a'.repeat(200)}\n`)), '-q'])).code).toBe(0);
  });

  it('reads a directory like the manifest directory: sorted regular non-hidden files, no editor leftovers, no recursion', async () => {
    write('b-web.yaml', POD);
    write('a-agent.json', JSON.stringify(decodeManifest(DAEMON_SET).documents[0]?.value));
    for (const leftover of ['web.yaml~', '.web.yaml.swp', 'web.yaml.swp', 'web.yaml.swx', 'web.bak', 'web.tmp', 'web.orig', 'web.yaml.dpkg-old', 'web.yaml.rpmnew', '#web.yaml#', '.hidden.yaml']) {
      write(leftover, 'this is: [not valid');
    }
    mkdirSync(join(dir, 'nested'));
    writeFileSync(join(dir, 'nested', 'bad.yaml'), 'this is: [not valid');
    symlinkSync(join(dir, 'missing.yaml'), join(dir, 'dangling.yaml'));
    const result = await run(['-f', dir]);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(decodeManifest(result.out).documents.map((d) => (d.value['metadata'] as { name: string }).name)).toEqual(['agent', 'web']);
  });

  it('reads standard input with -f -', async () => {
    const result = await run(['-f', '-'], MISSING_IMAGE);
    expect(result).toEqual({ out: '', err: 'STDIN: The Pod "broken" is invalid: spec.containers[0].image: Required value\n', code: 1 });
  });

  it('validates every -f and fails when any file is invalid, still printing the valid objects', async () => {
    const good = write('good.yaml', POD);
    const bad = write('bad.yaml', MISSING_IMAGE);
    const result = await run(['-f', good, '-f', bad]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('name: web');
    expect(result.err).toContain(`${bad}: The Pod "broken" is invalid`);
  });

  it('reports an object defined by two files as the agent does: the first file wins', async () => {
    const first = write('a.yaml', POD);
    const second = write('b.yaml', POD.replace('nginx:1.27', 'nginx:1.28'));
    const result = await run(['-q', '-f', dir]);
    expect(result).toEqual({
      out: '',
      err:
        `${second}: Pod "web" in namespace "default" is also defined in ${first}, which comes first and wins; the definition in ${second} is ignored\n` +
        '  hint: define each object in one file only; remove or rename one of the definitions\n',
      code: 1,
    });
  });

  it('prints only diagnostics with --quiet', async () => {
    const result = await run(['-q', '-f', write('web.yaml', POD)]);
    expect(result).toEqual({ out: '', err: '', code: 0 });
  });

  it.each([
    ['a missing path', (): string[] => ['-f', join(dir, 'nope.yaml')], (): string => `error: the path "${join(dir, 'nope.yaml')}" does not exist\n`],
    ['an empty directory', (): string[] => ['-f', dir], (): string => 'error: no objects passed to validate\n'],
    ['no -f at all', (): string[] => [], (): string => 'error: must specify one or more -f FILE|DIR (-f - reads standard input)\n'],
  ])('fails on %s', async (_name, args, message) => {
    const result = await run(args());
    expect(result).toEqual({ out: '', err: message(), code: 1 });
  });

  it('names the document in multi-document files', async () => {
    const file = write('multi.yaml', `${POD}---\n${MISSING_IMAGE}`);
    const result = await run(['-f', file]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('name: web');
    expect(result.err).toBe(`${file} (document 2): The Pod "broken" is invalid: spec.containers[0].image: Required value\n`);
  });

  it('rejects an unsupported -o value', async () => {
    await expect(run(['-o', 'wide', '-f', write('web.yaml', POD)])).rejects.toThrow(/Allowed choices are yaml, json/);
  });
});
