// DaemonSet eligibility and update strategies against the real dockerd: node labels and taints
// changed through the CLI, manifest Pod admission, maxSurge vs no surge, OnDelete,
// auto-rollback, start-after-daemonsets ordering and the hwameistor manifest.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTestAgent, podContainers, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { cli, daemonPods, isReady, revisionHash, seedCopy } from '../helpers/daemonset-harness.js';
import { LABELS } from '../../agent/core/labels.js';

let agents: TestAgent[] = [];
afterEach(async () => {
  if (process.env.DEBUG_DS) for (const a of agents) console.log(a.logs.filter((l) => l.level !== 'debug').map((l) => JSON.stringify(l).slice(0, 1400)).join('\n'));
  await Promise.all(agents.map((a) => a.cleanup()));
  agents = [];
});

async function agent(): Promise<TestAgent> {
  const a = await makeTestAgent();
  agents.push(a);
  return a;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Idles until SIGTERM, then exits at once. */
const IDLE = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]`;

function readyNames(a: TestAgent, ds: string): string[] {
  return daemonPods(a, ds)
    .filter(isReady)
    .map((p) => p.metadata?.name ?? '');
}

function ssdDriver(text: string): string {
  return text.replace(/^(\s+)image: example-image$/m, (_m, indent: string) => `${indent}image: busybox:1.37\n${indent}command: ${IDLE}`);
}

function simpleDs(name: string, opts: { strategy: string; env: string; annotations?: string; command?: string; extraSpec?: string }): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
${opts.annotations ? `  annotations:\n${opts.annotations}\n` : ''}spec:
  selector: { matchLabels: { app: ${name} } }
${opts.strategy}
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      terminationGracePeriodSeconds: 2
${opts.extraSpec ?? ''}      containers:
      - name: main
        image: busybox:1.37
        command: ${opts.command ?? IDLE}
        env: [{ name: VERSION, value: "${opts.env}" }]
`;
}

describe('DaemonSet eligibility on this node', () => {
  it('ssd-driver runs only while the node is labelled ssd=true; labels persist in the state dir', async () => {
    const a = await agent();
    const node = a.config.nodeName;
    await a.write('ssd.yaml', await seedCopy('002-ssd-driver-nodeselector-daemonset.yaml', a.root, ssdDriver));
    await waitUntil(async () => (await cli(a, ['get', 'ds'])).out.includes('ssd-driver'), 'ds known');
    await sleep(1000);
    expect(daemonPods(a, 'ssd-driver')).toEqual([]);
    expect((await cli(a, ['get', 'ds'])).out).toMatch(/ssd-driver\s+0\s+0\s+0\s+0\s+0\s+ssd=true\s+/);

    expect(await cli(a, ['label', 'node', 'ssd=true'])).toMatchObject({ code: 0, out: `node/${node} labeled\n` });
    await waitUntil(async () => readyNames(a, 'ssd-driver').length === 1, 'ssd-driver pod ready');
    const yaml = await cli(a, ['get', 'node', '-o', 'yaml']);
    expect(yaml.out).toMatch(/ssd: ["']true["']/);
    expect(yaml.out).toContain(`kubernetes.io/hostname: ${node}`);
    expect(JSON.parse(await readFile(join(a.stateDir, 'node.json'), 'utf8'))).toMatchObject({ labels: { ssd: 'true' } });
    const again = await cli(a, ['label', 'node', node, 'ssd=false']);
    expect(again).toMatchObject({ code: 1, err: "error: 'ssd' already has a value (true), and --overwrite is false\n" });
    expect((await cli(a, ['label', 'node', 'other-node', 'x=y'])).err).toBe('Error from server (NotFound): nodes "other-node" not found\n');

    expect(await cli(a, ['label', 'node', 'ssd-'])).toMatchObject({ code: 0, out: `node/${node} unlabeled\n` });
    await waitUntil(async () => daemonPods(a, 'ssd-driver').length === 0, 'ssd-driver pod stopped');
  });

  it('taints: NoSchedule keeps a running pod but blocks a new one, NoExecute stops it, a toleration admits it', async () => {
    const a = await agent();
    const node = a.config.nodeName;
    await a.write('ds.yaml', simpleDs('plain', { strategy: '', env: 'v1' }));
    const first = await waitUntil(async () => readyNames(a, 'plain')[0], 'plain ready');
    expect(await cli(a, ['taint', 'node', 'dedicated=infra:NoSchedule'])).toMatchObject({ code: 0, out: `node/${node} tainted\n` });
    await sleep(800);
    expect(readyNames(a, 'plain')).toEqual([first]);
    // A new pod is not created while NoSchedule is untolerated.
    await cli(a, ['delete', 'pod', first]);
    await waitUntil(async () => (await podContainers(a.docker, node, first)).length === 0, 'deleted pod gone');
    await sleep(800);
    expect(daemonPods(a, 'plain')).toEqual([]);
    expect((await cli(a, ['get', 'node', '-o', 'json'])).out).toContain('"effect": "NoSchedule"');

    expect((await cli(a, ['taint', 'node', 'dedicated=infra:NoSchedule-'])).out).toBe(`node/${node} untainted\n`);
    await waitUntil(async () => readyNames(a, 'plain').length === 1, 'plain back');
    await a.write(
      'tolerant.yaml',
      simpleDs('tolerant', { strategy: '', env: 'v1', extraSpec: '      tolerations: [{ key: dedicated, operator: Exists }]\n' }),
    );
    await waitUntil(async () => readyNames(a, 'tolerant').length === 1, 'tolerant ready');
    expect((await cli(a, ['taint', 'node', 'dedicated=infra:NoExecute'])).out).toBe(`node/${node} tainted\n`);
    await waitUntil(async () => daemonPods(a, 'plain').length === 0, 'NoExecute stops plain');
    await sleep(500);
    expect(readyNames(a, 'tolerant')).toHaveLength(1);
  });

  it('manifest Pods get kubelet admission: rejected as Failed, admitted again when the label appears', async () => {
    const a = await agent();
    await a.write(
      'pod.yaml',
      `apiVersion: v1
kind: Pod
metadata: { name: picky }
spec:
  nodeSelector: { disk: fast }
  terminationGracePeriodSeconds: 1
  containers: [{ name: main, image: busybox:1.37, command: ${IDLE} }]
`,
    );
    const rejected = await waitUntil(async () => a.running.agent.pods().find((p) => p.metadata?.name?.startsWith('picky') && p.status?.phase === 'Failed'), 'pod rejected');
    expect(rejected.status).toMatchObject({ reason: 'NodeAffinity', message: "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" });
    expect((await podContainers(a.docker, a.config.nodeName, rejected.metadata?.name ?? '')).length).toBe(0);
    await cli(a, ['label', 'node', 'disk=fast']);
    await waitUntil(async () => a.running.agent.pods().some((p) => p.metadata?.name?.startsWith('picky') && isReady(p)), 'pod admitted and running');
  });
});

describe('DaemonSet update strategies', () => {
  async function rollAndPoll(a: TestAgent, name: string, strategy: string): Promise<{ minReady: number; hashes: Set<string> }> {
    await a.write(`${name}.yaml`, simpleDs(name, { strategy, env: 'v1' }));
    const first = await waitUntil(async () => readyNames(a, name)[0], `${name} v1 ready`);
    let minReady = Infinity;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        minReady = Math.min(minReady, readyNames(a, name).length);
        await sleep(100);
      }
    })();
    await a.writeAtomic(`${name}.yaml`, simpleDs(name, { strategy, env: 'v2' }));
    await waitUntil(async () => {
      const pods = daemonPods(a, name);
      return pods.length === 1 && pods[0]?.metadata?.name !== first && isReady(pods[0]);
    }, `${name} rolled to v2`, 30_000);
    polling = false;
    await poller;
    return { minReady, hashes: new Set(daemonPods(a, name).map((p) => revisionHash(p) ?? '')) };
  }

  it('maxSurge starts the new pod beside the old one: a Ready pod throughout', async () => {
    const a = await agent();
    const { minReady } = await rollAndPoll(a, 'surge', '  minReadySeconds: 1\n  updateStrategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }');
    expect(minReady).toBeGreaterThanOrEqual(1);
  });

  it('without surge the old pod stops before the new one starts: a gap', async () => {
    const a = await agent();
    const { minReady } = await rollAndPoll(a, 'nosurge', '  updateStrategy: { type: RollingUpdate, rollingUpdate: { maxUnavailable: 1 } }');
    expect(minReady).toBe(0);
  });

  it('a daemon pod deleted by hand is replaced by a new pod with a new name and uid; the old one is gone', async () => {
    const a = await agent();
    await a.write('del.yaml', simpleDs('del', { strategy: '', env: 'v1' }));
    const first = await waitUntil(async () => readyNames(a, 'del')[0], 'del ready');
    const firstUid = daemonPods(a, 'del')[0]?.metadata?.uid;
    expect((await cli(a, ['delete', 'pod', first])).code).toBe(0);
    const replacement = await waitUntil(async () => {
      const pods = daemonPods(a, 'del');
      return pods.length === 1 && pods[0]?.metadata?.name !== first && isReady(pods[0]) ? pods[0] : undefined;
    }, 'del replaced by a new pod');
    expect(replacement.metadata?.name).toMatch(/^del-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(replacement.metadata?.uid).not.toBe(firstUid);
    // The old pod terminated through the normal removal path: Docker holds nothing of it.
    await waitUntil(async () => (await podContainers(a.docker, a.config.nodeName, first)).length === 0, 'old pod gone');
    expect(daemonPods(a, 'del').map((p) => p.metadata?.name)).toEqual([replacement.metadata?.name]);
    // And again: the second replacement takes neither earlier name.
    expect((await cli(a, ['delete', 'pod', replacement.metadata?.name ?? ''])).code).toBe(0);
    const third = await waitUntil(async () => {
      const pods = daemonPods(a, 'del');
      return pods.length === 1 && pods[0]?.metadata?.name !== replacement.metadata?.name && isReady(pods[0]) ? pods[0] : undefined;
    }, 'del replaced again');
    expect([first, replacement.metadata?.name]).not.toContain(third.metadata?.name);
  });

  it('OnDelete keeps the old pod until `nodelet delete pod`', async () => {
    const a = await agent();
    await a.write('od.yaml', simpleDs('od', { strategy: '  updateStrategy: { type: OnDelete }', env: 'v1' }));
    const first = await waitUntil(async () => readyNames(a, 'od')[0], 'od v1 ready');
    const oldHash = revisionHash(daemonPods(a, 'od')[0] ?? {});
    await a.writeAtomic('od.yaml', simpleDs('od', { strategy: '  updateStrategy: { type: OnDelete }', env: 'v2' }));
    await waitUntil(async () => (await cli(a, ['get', 'controllerrevisions'])).out.includes(' 2 '), 'revision 2 recorded');
    await sleep(1000);
    expect(readyNames(a, 'od')).toEqual([first]);
    const status = await cli(a, ['rollout', 'status', 'ds/od']);
    expect(status.err).toBe('error: rollout status is only available for RollingUpdate strategy type\n');
    expect((await cli(a, ['delete', 'pod', first])).code).toBe(0);
    await waitUntil(async () => {
      const pods = daemonPods(a, 'od');
      return pods.length === 1 && pods[0]?.metadata?.name !== first && isReady(pods[0]) && revisionHash(pods[0]) !== oldHash;
    }, 'od replaced by the new revision');
  });

  it('auto-rollback: a crash-looping revision is rolled back in the manifest after the progress deadline', async () => {
    const a = await agent();
    const annotations = '    nodelet.io/auto-rollback: "true"\n    nodelet.io/progress-deadline-seconds: "3"';
    const strategy = '  updateStrategy: { type: RollingUpdate, rollingUpdate: { maxUnavailable: 1 } }';
    await a.write('ar.yaml', simpleDs('ar', { strategy, env: 'v1', annotations }));
    await waitUntil(async () => readyNames(a, 'ar')[0], 'ar v1 ready');
    const goodHash = revisionHash(daemonPods(a, 'ar')[0] ?? {});
    // The controller has seen v1 complete (what auto-rollback rolls back to).
    expect((await cli(a, ['rollout', 'status', 'ds/ar', '--timeout', '20s'])).code).toBe(0);
    await a.writeAtomic('ar.yaml', simpleDs('ar', { strategy, env: 'v2', annotations, command: '["sh", "-c", "exit 1"]' }));
    // The controller's decision is the event to wait on (how long the crash loop and the 3 s
    // deadline take depends on the machine's load); the rewrite follows it at once.
    const decision = await a.logLine((l) => l['daemonset'] === 'default/ar' && l['from'] === 2 && l['to'] === 1);
    expect(decision['msg']).toMatch(/rolling back to revision 1$/);
    await waitUntil(async () => !(await readFile(join(a.manifestDir, 'ar.yaml'), 'utf8')).includes('"exit 1"'), 'manifest rolled back');
    await waitUntil(async () => {
      const pods = daemonPods(a, 'ar');
      return pods.length === 1 && isReady(pods[0]) && revisionHash(pods[0]) === goodHash;
    }, 'v1 running again', 30_000);
    const events = await cli(a, ['get', 'events']);
    expect(events.out).toContain('ProgressDeadlineExceeded');
    expect((await cli(a, ['rollout', 'history', 'ds/ar'])).out).toMatch(/REVISION {2}CHANGE-CAUSE\n2 +<none>\n3 +<none>\n/);
  });

  it('start-after-daemonsets: the annotated Pod starts only once the DaemonSet pod is Ready', async () => {
    const a = await agent();
    await a.write(
      'base.yaml',
      simpleDs('base', {
        strategy: '',
        env: 'v1',
        command: `["sh", "-c", "trap 'exit 0' TERM; sleep 2; touch /tmp/ready; while true; do sleep 0.2; done"]`,
      }).replace('        env:', '        readinessProbe: { exec: { command: ["test", "-f", "/tmp/ready"] }, periodSeconds: 1 }\n        env:'),
    );
    await a.write(
      'app.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: app
  annotations: { nodelet.io/start-after-daemonsets: "true" }
spec:
  terminationGracePeriodSeconds: 1
  containers: [{ name: main, image: busybox:1.37, command: ${IDLE} }]
`,
    );
    const appName = `app-${a.config.nodeName}`;
    let violated = false;
    await waitUntil(async () => {
      const app = await podContainers(a.docker, a.config.nodeName, appName);
      if (app.length > 0 && readyNames(a, 'base').length === 0) violated = true;
      return app.some((c) => c.Labels[LABELS.containerName] === 'main' && c.State === 'running');
    }, 'app running', 30_000);
    expect(violated).toBe(false);
    expect((await cli(a, ['get', 'events'])).out).toContain('WaitingForDaemonSets');
  });
});

describe('hwameistor manifest', () => {
  it('runs a copy without privileged, Bidirectional propagation and the service account', async () => {
    const a = await agent();
    const text = await seedCopy('003-hwameistor-local-disk-manager-daemonset-manifest.yaml', a.root, (t) =>
      t
        .replace(/^\s*securityContext:\n\s*privileged: true\n/m, '\n')
        .replace(/^\s*mountPropagation: Bidirectional\n/gm, '')
        .replace(/^\s*serviceAccount(Name)?: hwameistor-admin\n/gm, '')
        .replace('terminationGracePeriodSeconds: 30', 'terminationGracePeriodSeconds: 2')
        // runc needs /dev/null in a container whose /dev is a bind: keep the host's /dev.
        .replace(`path: ${join(a.root, 'host', 'dev')}\n`, 'path: /dev\n')
        .replace('        - /local-disk-manager', '        - /pause')
        .replace('        args:\n        - --v=5', '        command: ["/pause"]\n        args:\n        - --v=5'),
    );
    // hostPath volumes of type Directory must exist (under the temp root).
    for (const m of text.matchAll(/^\s*path: (\S+)$/gm)) await mkdir(m[1] ?? '', { recursive: true });
    await a.write('hwameistor.yaml', text);
    const name = await waitUntil(async () => daemonPods(a, 'hwameistor-local-disk-manager').find(isReady)?.metadata?.name, 'hwameistor pod ready', 30_000);
    const containers = await podContainers(a.docker, a.config.nodeName, name);
    expect(containers.filter((c) => c.State === 'running').map((c) => c.Labels[LABELS.containerName]).sort()).toEqual(['POD', 'manager', 'registrar'].sort());
    expect((await stat(join(a.root, 'host', 'var', 'lib', 'kubelet', 'plugins'))).isDirectory()).toBe(true);
  });
});
