// Hostile manifests against the real dockerd (issue 12).
// Item 3: a string alias bomb (160 KB, 2 GB expanded) in the manifest directory when the agent
// starts. Before, hashing it threw outside the parse guard, the initial scan never finished and
// no pod ever started; now the file is refused with a YAML error and everything else runs.
// `nodelet validate` (the built CLI) refuses it with exit 1.
// Item 8a: a Pod name is checked with the node suffix kubelet adds. Item 8b: `set image` refuses
// an image the API server would refuse before it rewrites the manifest.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS } from '../../agent/cli/node-flags.js';
import { LABELS } from '../../agent/core/labels.js';
import { makeTestAgent, podContainers, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { stringAliasBombYaml } from '../fixtures/manifest-texts.js';
import { cli } from '../helpers/daemonset-harness.js';
import { ApiClient } from '../../agent/api/client.js';
import { busyboxSh, hostNetworkPod } from '../helpers/pod-fixtures.js';
import { removeAgentRoot } from '../helpers/agent-process.js';

const BIN = join(import.meta.dirname, '..', '..', 'dist', 'agent', 'cli', 'bin.js');
const EXCESSIVE = 'error converting YAML to JSON: yaml: document contains excessive aliasing: it expands to more than 20971520 bytes';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a string alias bomb in the manifest directory', () => {
  it('present at start: the agent becomes ready, the file is refused, another pod in the directory runs', async () => {
    const root = await mkdtemp(join(tmpdir(), 'nodelet-it-bomb-'));
    cleanups.push(() => removeAgentRoot(root));
    await mkdir(join(root, 'manifests'));
    await writeFile(join(root, 'manifests', 'bomb.yaml'), stringAliasBombYaml('bomb', 20_000));
    await writeFile(join(root, 'manifests', 'web.yaml'), hostNetworkPod('web', 1, busyboxSh('app', 'sleep 3600')));
    // startAgent resolves once the initial listing was taken in; before the fix it never did.
    let agent: TestAgent | undefined;
    const started = makeTestAgent({ root }).then((a) => (agent = a));
    await waitUntil(async () => agent, 'the agent to start (initial manifest scan done)', 30_000);
    const a = agent as TestAgent;
    cleanups.push(() => a.cleanup());
    await started;
    await a.running.agent.waitForFirstSync();
    const web = `web-${a.config.nodeName}`;
    await waitUntil(async () => (await podContainers(a.docker, a.config.nodeName, web)).some((c) => c.State === 'running' && c.Labels[LABELS.containerName] === 'app'), 'web running');
    const bomb = a.running.agent.fileStatuses().find((f) => f.file.endsWith('bomb.yaml'));
    expect(bomb).toMatchObject({ state: 'invalid', objects: [], errors: [expect.objectContaining({ line: 1, column: 1, message: EXCESSIVE })] });
    expect(a.running.agent.desiredPods().map((p) => p.name)).toEqual([web]);
    expect(a.logs).toContainEqual(expect.objectContaining({ msg: 'manifest file invalid', problem: EXCESSIVE }));
    expect(a.logs.filter((l) => l.msg === 'manifest source step failed')).toEqual([]);
  });

  it('nodelet validate exits 1 with the YAML error, quickly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nodelet-it-bomb-validate-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'bomb.yaml');
    await writeFile(file, stringAliasBombYaml('bomb', 20_000));
    const t0 = Date.now();
    const failure = await promisify(execFile)(process.execPath, [...AGENT_NODE_FLAGS, BIN, 'validate', '-f', file], { maxBuffer: 1 << 20 }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain(`${file}:1:1: ${EXCESSIVE}`);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});

describe('a Pod name that is too long once the node suffix is added (issue 12 item 8a)', () => {
  it('is refused on metadata.name with the final name, and runs nothing; a name that fits is admitted', async () => {
    const a = await makeTestAgent();
    cleanups.push(() => a.cleanup());
    // `<name>-<node>` of 254 characters: one over the limit of an object name.
    const long = 'a'.repeat(254 - 1 - a.config.nodeName.length);
    const fits = 'b'.repeat(253 - 1 - a.config.nodeName.length);
    // The kubelet's pod log directory `<ns>_<name>_<uid>` must fit in one file name (255 bytes):
    // a 210-character pod name in `default` is the longest that can run on a kubelet node.
    const runs = 'c'.repeat(210 - 1 - a.config.nodeName.length);
    await a.write('long.yaml', hostNetworkPod(long, 1, busyboxSh('app', 'sleep 3600')));
    await a.write('fits.yaml', hostNetworkPod(fits, 1, busyboxSh('app', 'sleep 3600')));
    await a.write('runs.yaml', hostNetworkPod(runs, 1, busyboxSh('app', 'sleep 3600')));
    const fitsPod = `${fits}-${a.config.nodeName}`;
    const runsPod = `${runs}-${a.config.nodeName}`;
    await waitUntil(async () => (await podContainers(a.docker, a.config.nodeName, runsPod)).some((c) => c.State === 'running' && c.Labels[LABELS.containerName] === 'app'), 'the pod whose log directory fits to run');
    const status = await waitUntil(async () => a.running.agent.fileStatuses().find((f) => f.file.endsWith('/long.yaml')), 'the status of long.yaml');
    expect(status).toMatchObject({
      state: 'invalid',
      objects: [],
      errors: [expect.objectContaining({ field: 'metadata.name', message: `metadata.name: Invalid value: "${long}-${a.config.nodeName}": must be no more than 253 characters` })],
    });
    expect(a.running.agent.desiredPods().map((p) => p.name).sort()).toEqual([fitsPod, runsPod].sort());
    // A valid name whose log directory cannot exist fails as on a kubelet: no sandbox, retried.
    const api = new ApiClient(a.config.apiSocket);
    await waitUntil(async () => (await api.listEvents()).some((e) => e.reason === 'FailedCreatePodSandBox' && e.involvedObject?.name === fitsPod && /name too long/.test(e.message ?? '')), 'FailedCreatePodSandBox for the 253-character name');
    const all = await a.docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${a.config.nodeName}`] } });
    expect(all.every((c) => c.Labels[LABELS.podName] === runsPod)).toBe(true);
  });
});

describe('nodelet set image with an image the API server would refuse (issue 12 item 8b)', () => {
  it('refuses a trailing newline with the API server message and leaves the manifest and the pod alone', async () => {
    const a = await makeTestAgent();
    cleanups.push(() => a.cleanup());
    const manifest = `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: setimg }
spec:
  selector: { matchLabels: { app: setimg } }
  template:
    metadata: { labels: { app: setimg } }
    spec:
      hostNetwork: true
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: busybox:1.37
        command: ["sh", "-c", "sleep 3600"]
`;
    await a.write('setimg.yaml', manifest);
    const running = async (): Promise<string | undefined> => {
      const list = await a.docker.listContainers({ filters: { label: [`${LABELS.node}=${a.config.nodeName}`, `${LABELS.containerName}=app`] } });
      return list[0]?.Id;
    };
    const before = await waitUntil(running, 'the DaemonSet pod to run');
    const set = await cli(a, ['set', 'image', 'ds/setimg', 'app=busybox:1.37\n']);
    expect(set).toMatchObject({
      code: 1,
      err: 'The DaemonSet.apps "setimg" is invalid: spec.template.spec.containers[0].image: Invalid value: "busybox:1.37\\n": must not have leading or trailing whitespace\n',
    });
    expect(await readFile(join(a.manifestDir, 'setimg.yaml'), 'utf8')).toBe(manifest);
    expect(await running()).toBe(before);
  });
});
