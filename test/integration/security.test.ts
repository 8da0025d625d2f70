// Hardened defaults, end to end: manifest trust (owner and mode of the files and the directory),
// forbiddenHostPaths, and logs that never carry env values, probe or hook headers.
import { afterEach, describe, expect, it } from 'vitest';
import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { resolveConfig } from '../../agent/config/config.js';
import { formatObjectKey, type SourceUpdate } from '../../agent/core/types.js';
import { createLogger } from '../../agent/log/logger.js';
import { startAgent } from '../../agent/main.js';
import { parseManifestFile } from '../../agent/manifest/parse-file.js';
import { FileSource, type FileSourceOptions } from '../../agent/source/file-source.js';
import type { Logger } from '../../agent/source/logger.js';
import { TEST_IMAGES } from '../helpers/docker-engine.js';
import { dockerFromEnv, makeTestAgent, podContainers, removeNodeContainers, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { removeAgentRoot } from '../helpers/agent-process.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempRoot(prefix: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => removeAgentRoot(root));
  return root;
}

const pod = (name: string): string => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: c\n    image: busybox:1\n`;

// ---- manifest trust, on the file source with a real directory ----

interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly obj: Record<string, unknown>;
}

async function trustSource(opts: Partial<FileSourceOptions> = {}) {
  const root = await tempRoot('nodelet-trust-');
  const dir = join(root, 'manifests');
  await mkdir(dir);
  const logs: LogLine[] = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => void logs.push({ level, msg, obj });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  const updates: string[] = [];
  const source = new FileSource({ dir, parseFile: (text, file) => parseManifestFile(text, file), rescanMs: 3_600_000, ...opts }, { logger });
  source.onUpdate((batch: readonly SourceUpdate[]) => updates.push(...batch.map((u) => `${u.op} ${formatObjectKey(u.key)}`)));
  cleanups.push(() => source.stop());
  return { root, dir, source, logs, updates, status: (name: string) => source.fileStatuses().find((s) => s.file === join(dir, name)) };
}

describe('manifest trust (StrictModes)', () => {
  it('accepts what the tests and the installer make: mkdtemp directory 0700 and umask-default files 0644, owned by root', async () => {
    const s = await trustSource();
    await writeFile(join(s.dir, 'a.yaml'), pod('a'));
    await s.source.start();
    expect(s.updates).toEqual(['ADD Pod/default/a']);
    expect(s.status('a.yaml')?.state).toBe('ok');
  });

  it('refuses a group-writable file: error in its status and the log, its objects are not run; chmod go-w fixes it', async () => {
    const s = await trustSource();
    const file = join(s.dir, 'web.yaml');
    await writeFile(file, pod('web'));
    await chmod(file, 0o664);
    await s.source.start();
    expect(s.updates).toEqual([]);
    const problem = `manifest ${file} is writable by group (mode 0664); refusing it. Fix: chmod go-w ${file}, or run with --allow-insecure-manifests`;
    expect(s.status('web.yaml')).toMatchObject({ state: 'refused', objects: [], errors: [{ severity: 'error', message: problem }], note: 'not read; no objects of it are in force' });
    expect(s.logs).toContainEqual({ level: 'warn', msg: 'manifest file refused: insecure owner or mode', obj: { file, problem } });

    await chmod(file, 0o644);
    await s.source.rescan();
    expect(s.updates).toEqual(['ADD Pod/default/web']);
    expect(s.status('web.yaml')?.state).toBe('ok');
  });

  it('a trusted file that becomes writable by others keeps the objects read while it was trusted; its new content is not read', async () => {
    const s = await trustSource();
    const file = join(s.dir, 'web.yaml');
    await writeFile(file, pod('web'));
    await s.source.start();
    expect(s.updates).toEqual(['ADD Pod/default/web']);
    await chmod(file, 0o646);
    await writeFile(file, pod('web').replace('busybox:1', 'busybox:2'));
    await s.source.rescan();
    expect(s.updates).toEqual(['ADD Pod/default/web']);
    expect(s.source.objects().map((o) => (o.kind === 'Pod' ? o.object.spec?.containers[0]?.image : undefined))).toEqual(['busybox:1']);
    expect(s.status('web.yaml')).toMatchObject({ state: 'refused', objects: [{ kind: 'Pod', name: 'web' }], keptSince: expect.any(Number) as unknown });
    expect(s.status('web.yaml')?.errors[0]?.message).toContain('is writable by others (mode 0646)');
    expect(s.status('web.yaml')?.note).toMatch(/^running pods kept: the 1 object last read while it was trusted \(.*Z\) stay in force; its new content is not read$/);
    // Trusted again: the new content is read.
    await chmod(file, 0o644);
    await s.source.rescan();
    expect(s.updates).toEqual(['ADD Pod/default/web', 'UPDATE Pod/default/web']);
    expect(s.status('web.yaml')?.state).toBe('ok');
  });

  it('refuses a file owned by another user; chown root fixes it', async () => {
    const s = await trustSource();
    const file = join(s.dir, 'web.yaml');
    await writeFile(file, pod('web'));
    await chown(file, 1000, 1000);
    await s.source.start();
    expect(s.status('web.yaml')?.errors[0]?.message).toBe(
      `manifest ${file} is owned by uid 1000, not root; refusing it. Fix: chown root ${file}, or run with --allow-insecure-manifests`,
    );
    expect(s.updates).toEqual([]);
    await chown(file, 0, 0);
    await s.source.rescan();
    expect(s.updates).toEqual(['ADD Pod/default/web']);
  });

  it('checks a symlink at its target and names the target in the fix', async () => {
    const s = await trustSource();
    const target = join(s.root, 'elsewhere.yaml');
    await writeFile(target, pod('linked'));
    await chmod(target, 0o666);
    await symlink(target, join(s.dir, 'linked.yaml'));
    await s.source.start();
    expect(s.status('linked.yaml')?.errors[0]?.message).toBe(
      `manifest ${join(s.dir, 'linked.yaml')} (a symlink to ${target}) is writable by group/others (mode 0666); refusing it. Fix: chmod go-w ${target}, or run with --allow-insecure-manifests`,
    );
    expect(s.updates).toEqual([]);
  });

  it('refuses every file of a group/world-writable directory, logged once; chmod go-w on the directory fixes it', async () => {
    const s = await trustSource();
    await writeFile(join(s.dir, 'a.yaml'), pod('a'));
    await writeFile(join(s.dir, 'b.yaml'), pod('b'));
    await chmod(s.dir, 0o777);
    await s.source.start();
    const problem = `manifest directory ${s.dir} is writable by group/others (mode 0777); refusing every manifest in it. Fix: chmod go-w ${s.dir}, or run with --allow-insecure-manifests`;
    expect(s.updates).toEqual([]);
    expect(s.source.fileStatuses().map((f) => [f.state, f.errors[0]?.message])).toEqual([
      ['refused', problem],
      ['refused', problem],
    ]);
    const refusals = s.logs.filter((l) => l.msg.includes('refused'));
    expect(refusals).toEqual([{ level: 'error', msg: 'manifest directory refused: insecure owner or mode; running pods kept', obj: { dir: s.dir, problem } }]);

    await chmod(s.dir, 0o755);
    await s.source.rescan();
    expect(s.updates).toEqual(['ADD Pod/default/a', 'ADD Pod/default/b']);
    // The directory turns insecure again: a new file is refused through the watcher path too,
    // and the objects read while it was trusted stay (running pods are kept).
    await chmod(s.dir, 0o775);
    await writeFile(join(s.dir, 'c.yaml'), pod('c'));
    await waitUntil(async () => s.status('c.yaml')?.state === 'refused' || undefined, 'c.yaml refused after the directory became group-writable', 10_000, 20);
    await s.source.rescan();
    expect(s.source.fileStatuses().map((f) => f.state)).toEqual(['refused', 'refused', 'refused']);
    expect(s.source.objects().map((o) => o.key.name)).toEqual(['a', 'b']);
    expect(s.updates).toEqual(['ADD Pod/default/a', 'ADD Pod/default/b']);
    expect(s.status('a.yaml')?.note).toMatch(/^running pods kept: /);
  });

  it('allowInsecureManifests opts out', async () => {
    const s = await trustSource({ allowInsecureManifests: true });
    await chmod(s.dir, 0o777);
    await writeFile(join(s.dir, 'web.yaml'), pod('web'));
    await chmod(join(s.dir, 'web.yaml'), 0o666);
    await s.source.start();
    expect(s.updates).toEqual(['ADD Pod/default/web']);
    expect(s.logs.filter((l) => l.msg.includes('refused'))).toEqual([]);
  });

  it('the agent user may own manifests', async () => {
    const s = await trustSource({ agentUid: 1000 });
    await writeFile(join(s.dir, 'web.yaml'), pod('web'));
    await chown(join(s.dir, 'web.yaml'), 1000, 1000);
    await s.source.start();
    expect(s.updates).toEqual(['ADD Pod/default/web']);
  });
});

describe('security settings in the config', () => {
  const resolve = (file: Record<string, unknown>, env: Record<string, string> = {}, flags: Record<string, unknown> = {}) =>
    resolveConfig({ flags, env, file, hostname: 'node1' });

  it('defaults: manifests must be trusted, no forbidden host paths', () => {
    expect(resolve({})).toMatchObject({ allowInsecureManifests: false, forbiddenHostPaths: [] });
  });

  it('file, environment and flag, in that order of precedence', () => {
    expect(resolve({ allowInsecureManifests: true, forbiddenHostPaths: ['/', '/etc'] })).toMatchObject({ allowInsecureManifests: true, forbiddenHostPaths: ['/', '/etc'] });
    expect(resolve({ allowInsecureManifests: true }, { NODELET_ALLOW_INSECURE_MANIFESTS: 'false' }).allowInsecureManifests).toBe(false);
    expect(resolve({}, { NODELET_ALLOW_INSECURE_MANIFESTS: 'true', NODELET_FORBIDDEN_HOST_PATHS: '/etc, /var/run/docker.sock' })).toMatchObject({
      allowInsecureManifests: true,
      forbiddenHostPaths: ['/etc', '/var/run/docker.sock'],
    });
    expect(resolve({}, {}, { allowInsecureManifests: true, forbiddenHostPaths: '/srv' })).toMatchObject({ allowInsecureManifests: true, forbiddenHostPaths: ['/srv'] });
  });

  it('rejects relative forbidden paths and non-boolean switches', () => {
    expect(() => resolve({ forbiddenHostPaths: ['etc'] })).toThrow(/forbiddenHostPaths/);
    expect(() => resolve({}, { NODELET_FORBIDDEN_HOST_PATHS: 'etc' })).toThrow('forbiddenHostPaths: "etc" is not an absolute path');
    expect(() => resolve({}, { NODELET_ALLOW_INSECURE_MANIFESTS: 'maybe' })).toThrow('allowInsecureManifests: expected true or false, got "maybe"');
  });
});

// ---- against the real agent and Docker ----

let agents: TestAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.map((a) => a.cleanup()));
  agents = [];
});

describe('forbiddenHostPaths in a running agent', () => {
  it('a pod mounting a forbidden path is not run and its file status says why', async () => {
    const a = await makeTestAgent({ file: { forbiddenHostPaths: ['/etc'] } });
    agents.push(a);
    await a.write(
      'etc.yaml',
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: etc\nspec:\n  containers:\n  - name: c\n    image: ${TEST_IMAGES.busybox}\n    command: ["sleep", "3600"]\n  volumes:\n  - name: e\n    hostPath: { path: /etc/ssl }\n`,
    );
    await a.write('fine.yaml', `apiVersion: v1\nkind: Pod\nmetadata:\n  name: fine\nspec:\n  containers:\n  - name: c\n    image: ${TEST_IMAGES.busybox}\n    command: ["sleep", "3600"]\n`);
    await waitUntil(async () => (await podContainers(a.docker, a.config.nodeName, `fine-${a.config.nodeName}`)).some((c) => c.State === 'running'), 'fine running');
    const status = a.running.agent.fileStatuses().find((f) => f.file.endsWith('etc.yaml'));
    expect(status?.state).toBe('invalid');
    expect(status?.errors[0]?.message).toBe(
      'spec.volumes[0].hostPath.path: Forbidden: "/etc/ssl" is below "/etc", which is in forbiddenHostPaths of this node (nodelet config)',
    );
    expect(await podContainers(a.docker, a.config.nodeName, `etc-${a.config.nodeName}`)).toEqual([]);
  });
});

/** What the probes and hooks sent: an HTTP server in the test process (probes and hooks run in the agent). */
async function recordingServer(): Promise<{ port: number; seen: { path: string; headers: Record<string, string | string[] | undefined> }[]; close(): Promise<void> }> {
  const seen: { path: string; headers: Record<string, string | string[] | undefined> }[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    res.writeHead(req.url === '/missing' ? 404 : 200).end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, seen, close: () => new Promise((r) => server.close(() => r())) };
}

const ENV_SECRET = 'env-Sup3rS3cret-8c1f';
const PROBE_SECRET = 'Bearer probe-T0ken-51d2';
const HOOK_SECRET = 'hook-T0ken-9e7a';

describe('logs carry no secrets', () => {
  it.each(['debug', 'trace'] as const)('a pod with env values, probe and hook headers, at log level %s', async (level) => {
    const root = await tempRoot('nodelet-logs-');
    const nodeName = `it-sec-${level}-${process.pid}-${Date.now().toString(36)}`;
    const manifestDir = join(root, 'manifests');
    await mkdir(manifestDir);
    const config = resolveConfig({
      flags: { manifestDir, stateDir: join(root, 'state'), rootDir: join(root, 'state'), nodeName, apiSocket: join(root, 'nodelet.sock'), podNetwork: 'none', resyncPeriod: '2s', logLevel: level },
      env: { DOCKER_HOST: process.env.DOCKER_HOST },
      hostname: nodeName,
    });
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.trim() !== ''));
        cb();
      },
    });
    const docker = dockerFromEnv();
    const running = await startAgent(config, { logger: createLogger({ level, stream: sink }) });
    let stopped = false;
    cleanups.push(async () => {
      if (!stopped) await running.stop();
      await removeNodeContainers(docker, nodeName);
    });
    const server = await recordingServer();
    cleanups.push(() => server.close());
    const get = (path: string, header: string, value: string): string =>
      `{ host: 127.0.0.1, port: ${server.port}, path: ${path}, httpHeaders: [{ name: ${header}, value: "${value}" }] }`;
    await writeFile(
      join(manifestDir, 'secret.yaml'),
      `apiVersion: v1
kind: Pod
metadata: { name: secret }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 5
  containers:
  - name: web
    image: ${TEST_IMAGES.busybox}
    command: ["sleep", "3600"]
    env:
    - { name: API_KEY, value: "${ENV_SECRET}" }
    readinessProbe:
      httpGet: ${get('/ready', 'Authorization', PROBE_SECRET)}
      periodSeconds: 1
    livenessProbe:
      httpGet: ${get('/missing', 'Authorization', PROBE_SECRET)}
      periodSeconds: 1
      failureThreshold: 1000
    lifecycle:
      postStart:
        httpGet: ${get('/post-start', 'X-Hook', HOOK_SECRET)}
      preStop:
        httpGet: ${get('/pre-stop', 'X-Hook', HOOK_SECRET)}
`,
    );
    const podName = `secret-${nodeName}`;
    const web = await waitUntil(
      async () => (await podContainers(docker, nodeName, podName)).find((c) => c.Labels['io.kubernetes.container.name'] === 'web' && c.State === 'running'),
      'web running',
    );
    // The secrets did go out: to Docker, and in every probe and hook request.
    expect((await docker.getContainer(web.Id).inspect()).Config.Env).toContain(`API_KEY=${ENV_SECRET}`);
    await waitUntil(async () => lines.some((l) => l.includes('probe failed')) || undefined, 'a probe failure logged', 20_000);
    const called = (path: string): boolean => server.seen.some((r) => r.path === path);
    await waitUntil(async () => (called('/ready') && called('/missing') && called('/post-start')) || undefined, 'probes and postStart called', 20_000);
    // Removing the manifest runs the preStop hook.
    await rm(join(manifestDir, 'secret.yaml'));
    await waitUntil(async () => called('/pre-stop') || undefined, 'preStop hook called', 30_000);
    const sent = (path: string): unknown[] => server.seen.filter((r) => r.path === path).map((r) => r.headers[path.startsWith('/p') ? 'x-hook' : 'authorization']);
    expect(sent('/ready')[0]).toBe(PROBE_SECRET);
    expect(sent('/missing')[0]).toBe(PROBE_SECRET);
    expect(sent('/post-start')).toEqual([HOOK_SECRET]);
    expect(sent('/pre-stop')).toEqual([HOOK_SECRET]);
    await waitUntil(async () => (await podContainers(docker, nodeName, podName)).every((c) => c.State !== 'running') || undefined, 'pod stopped', 30_000);
    await running.stop();
    stopped = true;

    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      expect(() => JSON.parse(line) as unknown).not.toThrow();
      for (const secret of [ENV_SECRET, PROBE_SECRET, 'probe-T0ken-51d2', HOOK_SECRET]) expect(line).not.toContain(secret);
    }
  }, 90_000);
});
