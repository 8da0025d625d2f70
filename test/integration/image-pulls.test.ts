// Issue 14 items 3 and 4 against a real registry (Debian's docker-registry, started here on
// 127.0.0.1, with and without htpasswd auth) and the real dockerd: the node's credentials
// (config.json under the root dir, a docker-credential helper, a kubelet exec credential
// provider plugin) reach the registry; pull policies; the kubelet's pull events, waiting
// reasons and image back-off timings; serialized versus parallel pulls.
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import type { NodeletEvent } from '../../agent/events/event-store.js';
import { dockerFromEnv, makeTestAgent, waitUntil, type TestAgent, type TestAgentOptions } from '../helpers/agent-harness.js';
import { TEST_IMAGES } from '../helpers/docker-engine.js';
import { useTestAgents } from '../helpers/pod-fixtures.js';
import { appPodYaml } from '../fixtures/manifest-texts.js';
import { removeAgentRoot } from '../helpers/agent-process.js';
import { pushImage, removeImage, startRegistry, startSlowRelay, type TestRegistry } from '../helpers/registry.js';

const docker = dockerFromEnv();
const agent = useTestAgents();
const AUTH = { username: 'nodelet', password: 'S3cret-pull-pass' };
const uniq = `nodelet-pull-${process.pid}-${Date.now().toString(36)}`;
const pushed: string[] = [];
let secured: TestRegistry;
let open: TestRegistry;

beforeAll(async () => {
  [secured, open] = await Promise.all([startRegistry({ auth: AUTH }), startRegistry()]);
});

/** Kubelet root dirs of the tests' own; an agent bind-mounts its root onto itself (MakeRShared). */
const roots: string[] = [];
async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'nodelet-kubelet-root-'));
  roots.push(root);
  return root;
}

afterAll(async () => {
  for (const root of roots) await removeAgentRoot(root);
  for (const ref of pushed) await removeImage(docker, ref);
  await Promise.all([secured?.stop(), open?.stop()]);
});

async function push(registry: TestRegistry, repo: string, tag = 'v1'): Promise<string> {
  const ref = await pushImage(docker, registry, TEST_IMAGES.busybox, `${uniq}/${repo}`, tag);
  pushed.push(ref);
  return ref;
}

function podYaml(name: string, image: string, policy?: string): string {
  return appPodYaml(name, { image, imagePullPolicy: policy, grace: 0, command: '["sh", "-c", "sleep 3600"]' });
}

function status(a: TestAgent, pod: string): ContainerStatus | undefined {
  return a.running.agent.pods().find((p) => p.metadata?.name === `${pod}-${a.config.nodeName}`)?.status?.containerStatuses?.find((c) => c.name === 'app');
}

function podEvents(a: TestAgent, pod: string): NodeletEvent[] {
  return a.running.events.list((e) => e.involvedObject.name === `${pod}-${a.config.nodeName}`);
}

/** Every event recording (aggregated repeats included), with the wall time it was recorded. */
function recordEvents(a: TestAgent): { reason: string; message: string; type: string; pod: string; at: number }[] {
  const seen: { reason: string; message: string; type: string; pod: string; at: number }[] = [];
  a.running.events.subscribe((e) => seen.push({ reason: e.reason, message: e.message, type: e.type, pod: e.involvedObject.name, at: Date.now() }));
  return seen;
}

async function running(a: TestAgent, pod: string): Promise<ContainerStatus> {
  return waitUntil(async () => {
    const s = status(a, pod);
    return s?.state?.running ? s : undefined;
  }, `${pod} running`, 60_000);
}

/** A test agent whose kubelet root dir (where config.json is looked for) is `rootDir`. */
async function agentWithRoot(file: Record<string, unknown> = {}, rootDir?: string): Promise<{ a: TestAgent; rootDir: string }> {
  const root = rootDir ?? (await tempRoot());
  const opts: TestAgentOptions = { flags: { rootDir: root }, file };
  return { a: await agent(opts), rootDir: root };
}

function basicAuth(u: string, p: string): string {
  return Buffer.from(`${u}:${p}`).toString('base64');
}

function assertNoSecrets(a: TestAgent): void {
  const logs = JSON.stringify(a.logs);
  const events = JSON.stringify(a.running.events.list());
  for (const secret of [AUTH.password, basicAuth(AUTH.username, AUTH.password)]) {
    expect(logs).not.toContain(secret);
    expect(events).not.toContain(secret);
  }
}

const PULLED = /^Successfully pulled image "[^"]+" in [0-9.]+m?s \([0-9.]+m?s including waiting\)\. Image size: [1-9][0-9]* bytes\.$/;

describe('registry credentials', () => {
  it('a private registry without credentials: Pulling, "no basic auth credentials", ErrImagePull, then ImagePullBackOff at 1s, 2s, 4s', async () => {
    const image = await push(secured, 'noauth');
    const { a } = await agentWithRoot({ imagePullBackOff: { initial: '1s', max: '4s' } });
    const seen = recordEvents(a);
    await a.write('p.yaml', podYaml('p', image));
    const waiting = await waitUntil(async () => {
      const w = status(a, 'p')?.state?.waiting;
      return w?.reason === 'ImagePullBackOff' ? w : undefined;
    }, 'ImagePullBackOff');
    expect(waiting.message).toMatch(new RegExp(`^Back-off pulling image "${image}": ErrImagePull: .*no basic auth credentials`));
    // Four attempts: the gaps between Pulling events follow the image back-off (1s, 2s, 4s).
    const pod = `p-${a.config.nodeName}`;
    const pullings = await waitUntil(async () => {
      const p = seen.filter((e) => e.pod === pod && e.reason === 'Pulling');
      return p.length >= 4 ? p : undefined;
    }, 'four pull attempts', 60_000);
    const gaps = pullings.slice(1, 4).map((e, i) => e.at - (pullings[i]?.at ?? 0));
    console.log(`image pull back-off gaps (ms): ${gaps.join(', ')}`);
    [1000, 2000, 4000].forEach((expected, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(expected - 100);
      expect(gaps[i]).toBeLessThan(expected + 2500);
    });
    // The kubelet's sequence for the first attempt, then its back-off pair.
    const first = seen.filter((e) => e.pod === pod).slice(0, 5).map((e) => `${e.type} ${e.reason}: ${e.message}`);
    console.log(`events of the first attempt:\n${first.join("\n")}\nwaiting: ${waiting.reason}: ${waiting.message ?? ""}`);
    expect(first[0]).toBe(`Normal Pulling: Pulling image "${image}"`);
    expect(first[1]).toMatch(new RegExp(`^Warning Failed: Failed to pull image "${image}": .*no basic auth credentials`));
    expect(first[2]).toBe('Warning Failed: Error: ErrImagePull');
    expect(first[3]).toBe(`Normal BackOff: Back-off pulling image "${image}"`);
    expect(first[4]).toBe('Warning Failed: Error: ImagePullBackOff');
    expect(seen.some((e) => /restarting failed container/.test(e.message))).toBe(false);
    expect(status(a, 'p')?.restartCount).toBe(0);
  });

  it('config.json in the root dir: each matching credential is tried, most specific key first, and the pull succeeds', async () => {
    const image = await push(secured, 'configjson');
    const rootDir = await tempRoot();
    // The path key is more specific, so its (wrong) password is tried first; the host's works.
    await writeFile(
      join(rootDir, 'config.json'),
      JSON.stringify({
        auths: {
          [`${secured.address}/${uniq}`]: { auth: basicAuth(AUTH.username, 'wrong-password') },
          [`http://${secured.address}`]: { auth: basicAuth(AUTH.username, AUTH.password) },
        },
      }),
    );
    const { a } = await agentWithRoot({}, rootDir);
    await a.write('p.yaml', podYaml('p', image));
    await running(a, 'p');
    const events = podEvents(a, 'p').map((e) => `${e.reason}: ${e.message}`);
    expect(events[0]).toBe(`Pulling: Pulling image "${image}"`);
    console.log(`events: ${events.slice(0, 2).join(' | ')}`);
    expect(events[1]?.replace(/^Pulled: /, '')).toMatch(PULLED);
    const tried = a.logs.filter((l) => l['msg'] === 'pulling with credentials').map((l) => l['authSource']);
    expect(tried).toEqual([`${join(rootDir, 'config.json')} ${secured.address}/${uniq}`, `${join(rootDir, 'config.json')} http://${secured.address}`]);
    assertNoSecrets(a);
  });

  it('a docker-credential helper named by credHelpers', async () => {
    const image = await push(secured, 'helper');
    const rootDir = await tempRoot();
    const bin = join(rootDir, 'bin');
    await mkdir(bin);
    const helper = join(bin, 'docker-credential-nodelet-test');
    await writeFile(
      helper,
      `#!/bin/sh
[ "$1" = get ] || exit 1
server=$(cat)
echo "$server" >> "${join(rootDir, 'helper.log')}"
printf '{"ServerURL":"%s","Username":"${AUTH.username}","Secret":"${AUTH.password}"}' "$server"
`,
    );
    await chmod(helper, 0o755);
    await writeFile(join(rootDir, 'config.json'), JSON.stringify({ auths: {}, credHelpers: { [secured.address]: 'nodelet-test' } }));
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path ?? ''}`;
    try {
      const { a } = await agentWithRoot({}, rootDir);
      await a.write('p.yaml', podYaml('p', image));
      await running(a, 'p');
      expect((await readFile(join(rootDir, 'helper.log'), 'utf8')).trim()).toBe(secured.address);
      expect(podEvents(a, 'p')[1]?.message).toMatch(PULLED);
      assertNoSecrets(a);
    } finally {
      process.env.PATH = path;
    }
  });

  it('a kubelet credential provider plugin (exec protocol, cached per registry)', async () => {
    const [one, two] = [await push(secured, 'plugin-a'), await push(secured, 'plugin-b')];
    const dir = await mkdtemp(join(tmpdir(), 'nodelet-cred-plugin-'));
    const bin = join(dir, 'bin');
    await mkdir(bin);
    const plugin = join(bin, 'nodelet-test-provider');
    await writeFile(
      plugin,
      `#!/bin/sh
cat >> "${join(dir, 'requests.log')}"
echo >> "${join(dir, 'requests.log')}"
echo "$PLUGIN_FLAG $1" >> "${join(dir, 'args.log')}"
printf '{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","cacheKeyType":"Registry","auth":{"${secured.address}":{"username":"${AUTH.username}","password":"${AUTH.password}"}}}'
`,
    );
    await chmod(plugin, 0o755);
    const config = join(dir, 'providers.yaml');
    await writeFile(
      config,
      `apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
- name: nodelet-test-provider
  matchImages: ["${secured.address}"]
  defaultCacheDuration: 10m
  apiVersion: credentialprovider.kubelet.k8s.io/v1
  args: ["--from-test"]
  env:
  - { name: PLUGIN_FLAG, value: set-by-config }
`,
    );
    const { a } = await agentWithRoot({ imageCredentialProviderConfig: config, imageCredentialProviderBinDir: bin });
    await a.write('one.yaml', podYaml('one', one));
    await running(a, 'one');
    await a.write('two.yaml', podYaml('two', two));
    await running(a, 'two');
    // One exec: the second image's registry was in the cache (cacheKeyType Registry).
    const requests = (await readFile(join(dir, 'requests.log'), 'utf8')).trim().split('\n');
    expect(requests.map((r) => JSON.parse(r) as unknown)).toEqual([
      { kind: 'CredentialProviderRequest', apiVersion: 'credentialprovider.kubelet.k8s.io/v1', image: one.replace(/:v1$/, '') },
    ]);
    expect((await readFile(join(dir, 'args.log'), 'utf8')).trim()).toBe('set-by-config --from-test');
    assertNoSecrets(a);
  });

  it('a provider binary that does not exist stops the agent with the kubelet error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nodelet-cred-plugin-'));
    const config = join(dir, 'providers.yaml');
    await writeFile(
      config,
      `{"apiVersion":"kubelet.config.k8s.io/v1","kind":"CredentialProviderConfig","providers":[{"name":"absent","matchImages":["*.example"],"defaultCacheDuration":"1m","apiVersion":"credentialprovider.kubelet.k8s.io/v1"}]}`,
    );
    await expect(makeTestAgent({ file: { imageCredentialProviderConfig: config, imageCredentialProviderBinDir: dir } })).rejects.toThrow(
      `plugin binary executable ${join(dir, 'absent')} did not exist`,
    );
  });
});

describe('pull policies against the private registry', () => {
  it('Never (absent: ErrImageNeverPull), IfNotPresent (pulls, then "already present"), Always (pulls although present)', async () => {
    const image = await push(secured, 'policies');
    const rootDir = await tempRoot();
    await writeFile(join(rootDir, 'config.json'), JSON.stringify({ auths: { [secured.address]: { username: AUTH.username, password: AUTH.password } } }));
    const { a } = await agentWithRoot({}, rootDir);
    await a.write('never.yaml', podYaml('never', image, 'Never'));
    const never = await waitUntil(async () => {
      const w = status(a, 'never')?.state?.waiting;
      return w?.reason === 'ErrImageNeverPull' ? w : undefined;
    }, 'ErrImageNeverPull');
    expect(never.message).toBe(`Container image "${image}" is not present with pull policy of Never`);
    expect(podEvents(a, 'never').some((e) => e.reason === 'Pulling')).toBe(false);

    await a.write('first.yaml', podYaml('first', image, 'IfNotPresent'));
    await running(a, 'first');
    expect(podEvents(a, 'first').map((e) => e.reason).slice(0, 2)).toEqual(['Pulling', 'Pulled']);
    await a.write('second.yaml', podYaml('second', image, 'IfNotPresent'));
    await running(a, 'second');
    const second = podEvents(a, 'second');
    expect(second.some((e) => e.reason === 'Pulling')).toBe(false);
    expect(second.find((e) => e.reason === 'Pulled')?.message).toBe(`Container image "${image}" already present on machine`);

    await a.write('always.yaml', podYaml('always', image, 'Always'));
    await running(a, 'always');
    const always = podEvents(a, 'always');
    expect(always[0]?.message).toBe(`Pulling image "${image}"`);
    expect(always[1]?.message).toMatch(PULLED);
  });

  it('a missing tag: ErrImagePull with the registry\'s "not found", then ImagePullBackOff', async () => {
    await push(open, 'missingtag');
    const image = `${open.address}/${uniq}/missingtag:absent`;
    const { a } = await agentWithRoot({ imagePullBackOff: { initial: '1s', max: '2s' } });
    const seen = recordEvents(a);
    await a.write('p.yaml', podYaml('p', image));
    const reasons = new Set<string>();
    await waitUntil(async () => {
      const w = status(a, 'p')?.state?.waiting;
      if (w?.reason) reasons.add(w.reason);
      return reasons.has('ErrImagePull') && reasons.has('ImagePullBackOff') ? true : undefined;
    }, 'ErrImagePull then ImagePullBackOff', 30_000, 20);
    const failed = seen.find((e) => e.reason === 'Failed' && e.message.startsWith('Failed to pull image'));
    expect(failed?.message).toMatch(new RegExp(`^Failed to pull image "${image}": .*(not found|manifest unknown)`));
    expect(status(a, 'p')?.state?.waiting?.message).toMatch(new RegExp(`^Back-off pulling image "${image}": ErrImagePull: `));
  });
});

describe('pull concurrency', () => {
  /** [start, end] wall times of each image's pull, from the runtime's log lines (both inside the pull slot). */
  function pullIntervals(a: TestAgent, images: readonly string[]): [number, number][] {
    return images.map((image) => {
      const at = (msg: string): number => {
        const t = a.logs.find((l) => l['msg'] === msg && l['image'] === image)?.['time'];
        return typeof t === 'number' ? t : Date.parse(String(t));
      };
      return [at('pulling image'), at('image pull finished')];
    });
  }

  async function pullTwo(file: Record<string, unknown>, tag: string): Promise<{ overlapMs: number; intervals: [number, number][] }> {
    const relay = await startSlowRelay(open.address, 150);
    try {
      const refs = [await push(open, `conc-${tag}-a`), await push(open, `conc-${tag}-b`)];
      // Pulled through the relay: the same registry, a slower path.
      const images = refs.map((r) => r.replace(open.address, relay.address));
      pushed.push(...images);
      const { a } = await agentWithRoot(file);
      await a.write('a.yaml', podYaml('a', images[0] ?? ''));
      await a.write('b.yaml', podYaml('b', images[1] ?? ''));
      await running(a, 'a');
      await running(a, 'b');
      const intervals = pullIntervals(a, images);
      const [[s1, e1], [s2, e2]] = intervals as [[number, number], [number, number]];
      return { overlapMs: Math.min(e1, e2) - Math.max(s1, s2), intervals };
    } finally {
      await relay.stop();
    }
  }

  it('serializeImagePulls (the default): one pull at a time; serializeImagePulls false: the two overlap', async () => {
    const serial = await pullTwo({}, 'serial');
    const parallel = await pullTwo({ serializeImagePulls: false, maxParallelImagePulls: 2 }, 'parallel');
    console.log(`pull intervals serial ${JSON.stringify(serial)} parallel ${JSON.stringify(parallel)}`);
    const startGap = (r: { intervals: [number, number][] }): number => Math.abs((r.intervals[1]?.[0] ?? NaN) - (r.intervals[0]?.[0] ?? NaN));
    // Each pull takes about half a second through the relay: serialized, the second starts
    // only when the first has ended; in parallel both start together and overlap.
    expect(startGap(serial)).toBeGreaterThanOrEqual(300);
    expect(serial.overlapMs).toBeLessThanOrEqual(0);
    expect(parallel.overlapMs).toBeGreaterThan(100);
  });
});
