import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { displayServer, loadKubeConfig } from '../../../agent/mirror/kube-client.js';
import { ConfigError } from '../../../agent/core/errors.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kc-'));
  dirs.push(dir);
  return dir;
}

async function kubeconfig(server: string, extra = ''): Promise<string> {
  const dir = await tempDir();
  const path = join(dir, 'kubeconfig');
  await writeFile(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: ${server}
users:
- name: u
  user:
    token: secret-token-value
contexts:
- name: x
  context: { cluster: c, user: u }
current-context: x
${extra}`,
  );
  return path;
}

describe('loadKubeConfig', () => {
  it('loads the current context and shows the server without credentials', async () => {
    const loaded = loadKubeConfig(await kubeconfig('https://admin:pw@10.0.0.1:6443'));
    expect(loaded.server).toBe('https://10.0.0.1:6443');
    expect(loaded.context).toBe('x');
  });

  it.each([
    ['http://10.0.0.1:8080', /cluster server must be an https:\/\/ URL, got http:\/\//],
    ['not a url', /is not a URL/],
  ])('refuses server %s', async (server, message) => {
    const path = await kubeconfig(server);
    expect(() => loadKubeConfig(path)).toThrow(message);
    expect(() => loadKubeConfig(path)).toThrow(ConfigError);
  });

  it('reads tokenFile (relative to the kubeconfig), trimmed; token wins over tokenFile', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'token'), 'file-token-abc\n');
    const path = join(dir, 'kubeconfig');
    const doc = (user: string): string =>
      `apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: "https://h:6443" } }]\nusers: [{ name: u, user: ${user} }]\ncontexts: [{ name: x, context: { cluster: c, user: u } }]\ncurrent-context: x\n`;
    await writeFile(path, doc('{ tokenFile: token }'));
    expect(loadKubeConfig(path).kubeConfig.getCurrentUser()?.token).toBe('file-token-abc');
    await writeFile(path, doc('{ tokenFile: token, token: inline }'));
    expect(loadKubeConfig(path).kubeConfig.getCurrentUser()?.token).toBe('inline');
    await writeFile(path, doc('{ tokenFile: missing }'));
    expect(() => loadKubeConfig(path)).toThrow(/cannot read tokenFile .*missing/);
  });

  it('a missing file is a ConfigError naming the path', () => {
    expect(() => loadKubeConfig('/nonexistent/kc')).toThrow(/^cannot load kubeconfig \/nonexistent\/kc: /);
  });

  it('displayServer strips user info', () => {
    expect(displayServer('https://u:p@h:1/prefix/')).toBe('https://h:1/prefix');
    expect(displayServer('::')).toBe('<invalid server URL>');
  });
});
