import { describe, expect, it } from 'vitest';
import { forbiddingEntry, normalizeHostPath } from '../../../agent/manifest/forbidden-host-paths.js';
import { parseManifestFile } from '../../../agent/manifest/parse-file.js';
import { Command } from 'commander';
import { registerValidateCommand, runValidate } from '../../../agent/cli/validate-command.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FORBIDDEN = ['/', '/etc', '/var/run/docker.sock', '/proc/'];

describe('forbiddingEntry', () => {
  it.each([
    ['/', '/'],
    ['/etc', '/etc'],
    ['/etc/', '/etc'],
    ['/etc/ssl/certs', '/etc'],
    ['//etc//ssl', '/etc'],
    ['/./etc', '/etc'],
    ['/var/run/docker.sock', '/var/run/docker.sock'],
    ['/proc', '/proc/'],
    ['/proc/1', '/proc/'],
  ])('%s is forbidden by %s', (path, entry) => {
    expect(forbiddingEntry(path, FORBIDDEN)).toBe(entry);
  });

  it.each([['/etcd'], ['/var/lib/app'], ['/var/run'], ['/var/run/docker.sock.d'], ['/home']])('%s is allowed ("/" forbids only itself)', (path) => {
    expect(forbiddingEntry(path, FORBIDDEN)).toBeUndefined();
  });

  it('nothing is forbidden by default', () => {
    expect(forbiddingEntry('/', [])).toBeUndefined();
  });

  it.each([
    ['/a//b/./c/', '/a/b/c'],
    ['/', '/'],
    ['///', '/'],
  ])('normalizeHostPath(%s) = %s', (input, out) => {
    expect(normalizeHostPath(input)).toBe(out);
  });
});

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: c
    image: busybox
  volumes:
  - name: ok
    hostPath:
      path: /var/lib/web
  - name: etc
    hostPath:
      path: /etc
  - name: sock
    hostPath:
      path: /var/run/docker.sock/
`;

const DAEMONSET = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: c
        image: busybox
      volumes:
      - name: certs
        hostPath:
          path: /etc/ssl
`;

describe('parseManifestFile with forbiddenHostPaths', () => {
  it('refuses a Pod that mounts forbidden paths, one error per volume, and yields no object', () => {
    const result = parseManifestFile(POD, 'web.yaml', { forbiddenHostPaths: FORBIDDEN });
    expect(result.objects).toEqual([]);
    expect(result.errors.map((e) => e.message)).toEqual([
      'spec.volumes[1].hostPath.path: Forbidden: "/etc" is in forbiddenHostPaths of this node (nodelet config)',
      'spec.volumes[2].hostPath.path: Forbidden: "/var/run/docker.sock/" is in forbiddenHostPaths of this node (nodelet config)',
    ]);
    expect(result.errors[0]).toMatchObject({ severity: 'error', file: 'web.yaml', document: 0, field: 'spec.volumes[1].hostPath.path' });
    expect(result.errors[0]?.hint).toContain('forbiddenHostPaths');
  });

  it('checks the DaemonSet template', () => {
    const result = parseManifestFile(DAEMONSET, 'ds.yaml', { forbiddenHostPaths: ['/etc'] });
    expect(result.objects).toEqual([]);
    expect(result.errors.map((e) => e.message)).toEqual([
      'spec.template.spec.volumes[0].hostPath.path: Forbidden: "/etc/ssl" is below "/etc", which is in forbiddenHostPaths of this node (nodelet config)',
    ]);
  });

  it('accepts everything when the list is empty or absent (the default)', () => {
    for (const opts of [{}, { forbiddenHostPaths: [] }]) {
      expect(parseManifestFile(POD, 'web.yaml', opts).objects).toHaveLength(1);
      expect(parseManifestFile(DAEMONSET, 'ds.yaml', opts).objects).toHaveLength(1);
    }
  });

  it('leaves the other documents of the file alone', () => {
    const ok = POD.replace('name: web', 'name: other').replace(/ {2}volumes:[\s\S]*$/, '');
    const result = parseManifestFile(`${POD}---\n${ok}`, 'two.yaml', { forbiddenHostPaths: ['/etc'] });
    expect(result.objects.map((o) => o.key.name)).toEqual(['other']);
    expect(result.errors).toHaveLength(1);
  });
});

describe('nodelet validate --forbidden-host-paths', () => {
  it('fails with the node error, and passes without the option', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nodelet-fhp-'));
    try {
      const file = join(dir, 'web.yaml');
      await writeFile(file, POD);
      let err = '';
      const io = { out: () => undefined, err: (t: string) => (err += t) };
      const base = { filename: [file], output: 'yaml' as const, validation: 'strict' as const, quiet: true };
      expect(await runValidate({ ...base, forbiddenHostPaths: ['/etc'] }, io)).toBe(1);
      expect(err).toContain('spec.volumes[1].hostPath.path: Forbidden: "/etc" is in forbiddenHostPaths of this node (nodelet config)');
      expect(await runValidate(base, io)).toBe(0);

      // The flag: comma-separated, repeatable.
      let flagErr = '';
      const program = new Command().exitOverride();
      program.configureOutput({ writeOut: () => undefined, writeErr: (t) => (flagErr += t) });
      registerValidateCommand(program);
      const saved = process.exitCode;
      await program.parseAsync(['node', 'nodelet', 'validate', '-q', '--forbidden-host-paths', '/srv, /var/run/docker.sock', '--forbidden-host-paths', '/etc', '-f', file]);
      const code = process.exitCode;
      process.exitCode = saved;
      expect(code).toBe(1);
      expect(flagErr).toContain('spec.volumes[1].hostPath.path: Forbidden: "/etc" is in forbiddenHostPaths');
      expect(flagErr).toContain('spec.volumes[2].hostPath.path: Forbidden: "/var/run/docker.sock/" is in forbiddenHostPaths');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
