// A real Docker registry for the image-pull tests: Debian's `docker-registry` (distribution
// v2) on 127.0.0.1 with a free port, optionally behind htpasswd auth (apache2-utils' htpasswd
// writes the bcrypt file), its storage in a temp dir. test/engine/engine.sh installs both
// packages; images are pushed to it through the test engine (127.0.0.0/8 registries are
// insecure-allowed by dockerd, so plain HTTP works). Also a slow TCP relay in front of a
// registry, so that a pull lasts long enough for overlaps to be measured.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { freePort } from './free-port.js';

const run = promisify(execFile);

export interface TestRegistry {
  /** host:port, e.g. 127.0.0.1:40123 */
  readonly address: string;
  readonly auth?: { readonly username: string; readonly password: string };
  /** Request lines the registry logged (method, path, status, time). */
  readonly requests: () => string[];
  stop(): Promise<void>;
}


async function which(cmd: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${cmd}`]).then(
    () => true,
    () => false,
  );
}

/** Starts a registry; with `auth`, an htpasswd realm holding that one user. */
export async function startRegistry(opts: { auth?: { username: string; password: string } } = {}): Promise<TestRegistry> {
  for (const [cmd, pkg] of [
    ['docker-registry', 'docker-registry'],
    ['htpasswd', 'apache2-utils'],
  ] as const) {
    if (!(await which(cmd))) throw new Error(`${cmd} is missing: install the Debian package ${pkg} (test/engine/engine.sh up does)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'nodelet-registry-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  let authBlock = '';
  if (opts.auth) {
    const { stdout } = await run('htpasswd', ['-Bbn', opts.auth.username, opts.auth.password]);
    await writeFile(join(dir, 'htpasswd'), stdout);
    authBlock = `auth:\n  htpasswd:\n    realm: nodelet-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  const config = `version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: ${join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: ${address}
${authBlock}`;
  await writeFile(join(dir, 'config.yml'), config);
  const lines: string[] = [];
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const collect = (chunk: Buffer): void => {
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(l);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  // Ready when /v2/ answers (200 open, 401 with auth).
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await fetch(`http://${address}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200 || status === 401) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not start on ${address}:\n${lines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { address, ...(opts.auth ? { auth: opts.auth } : {}), requests: () => [...lines], stop };
}

/**
 * Tags local `source` as `<registry>/<repo>:<tag>`, pushes it through the engine (with the
 * registry's credentials) and removes the local tag again, so the next pull has to ask the
 * registry. Returns the pushed reference.
 */
export async function pushImage(docker: Docker, registry: Pick<TestRegistry, 'address' | 'auth'>, source: string, repo: string, tag: string): Promise<string> {
  const ref = `${registry.address}/${repo}:${tag}`;
  await docker.getImage(source).tag({ repo: `${registry.address}/${repo}`, tag });
  const authconfig = registry.auth ? { username: registry.auth.username, password: registry.auth.password, serveraddress: registry.address } : {};
  const stream = (await docker.getImage(ref).push({ authconfig })) as NodeJS.ReadableStream;
  const errors: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err) => (err ? reject(err) : resolve()),
      (event: { error?: string }) => {
        if (event.error) errors.push(event.error);
      },
    );
  });
  if (errors.length > 0) throw new Error(`push ${ref}: ${errors.join('; ')}`);
  await removeImage(docker, ref);
  return ref;
}

/** Removes a local tag (or image); absent is fine. */
export async function removeImage(docker: Docker, ref: string): Promise<void> {
  await docker
    .getImage(ref)
    .remove({ noprune: false })
    .catch((e: { statusCode?: number }) => {
      if (e.statusCode !== 404) throw e;
    });
}

/**
 * A TCP relay to `target` (host:port) that holds every chunk from the registry for
 * `delayMs`, so that each pull takes a measurable while (dockerd sees it as the registry).
 */
export async function startSlowRelay(target: string, delayMs: number): Promise<{ address: string; stop(): Promise<void> }> {
  const [host = '127.0.0.1', portText = '0'] = target.split(':');
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(portText), host);
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (c: Buffer) => upstream.write(c));
    upstream.on('data', (c: Buffer) => {
      upstream.pause();
      setTimeout(() => {
        if (!client.destroyed) client.write(c);
        upstream.resume();
      }, delayMs);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', () => setTimeout(end, delayMs + 50)).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
