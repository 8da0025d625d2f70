// DaemonSets on the host against the real dockerd: seed examples, revisions and rollouts,
// node labels and taints, and the CLI commands over the agent's socket.
import { describe, expect, it } from 'vitest';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { podContainers, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { cli, daemonPods, isReady, revisionHash, seedCopy } from '../helpers/daemonset-harness.js';
import { useTestAgents } from '../helpers/pod-fixtures.js';
import { LABELS } from '../../agent/core/labels.js';

const agent = useTestAgents();

async function runningContainer(a: TestAgent, pod: string, container: string): Promise<string | undefined> {
  const list = await podContainers(a.docker, a.config.nodeName, pod);
  return list.find((c) => c.Labels[LABELS.containerName] === container && c.State === 'running')?.Id;
}

/** The one ready daemon pod of `ds` with revision hash `hash` (any hash when unset). */
async function readyPod(a: TestAgent, ds: string, hash?: string): Promise<string | undefined> {
  const pods = daemonPods(a, ds).filter((p) => isReady(p) && (hash === undefined || revisionHash(p) === hash));
  return pods.length === 1 ? pods[0]?.metadata?.name : undefined;
}

const FLUENTD = 'fluentd-elasticsearch';

describe('DaemonSets on Docker', () => {
  it('runs the basic machine-id DaemonSet: the init container writes the host log, pause runs', async () => {
    const a = await agent();
    await mkdir(join(a.root, 'host', 'etc'), { recursive: true });
    await writeFile(join(a.root, 'host', 'etc', 'machine-id'), 'feedfacefeedfacefeedfacefeedface\n');
    // pause without a tag would be pulled (imagePullPolicy Always); the tagged one is local.
    await a.write('ds.yaml', await seedCopy('002-basic-daemonset-machine-id-init.yaml', a.root, (t) => t.replace('image: registry.k8s.io/pause', 'image: registry.k8s.io/pause:3.10')));
    const name = await waitUntil(async () => readyPod(a, 'example-daemonset'), 'example-daemonset pod ready');
    expect(name).toMatch(/^example-daemonset-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(await runningContainer(a, name, 'pause')).toBeDefined();
    expect(await readFile(join(a.root, 'host', 'var', 'log', 'machine-id.log'), 'utf8')).toBe('feedfacefeedfacefeedfacefeedface\n');
    const pod = daemonPods(a, 'example-daemonset')[0];
    expect(pod?.metadata?.labels?.['pod-template-generation']).toBe('1');
    expect(pod?.metadata?.labels?.['controller-revision-hash']).toMatch(/^[a-z0-9]+$/);
    expect(pod?.spec?.nodeName).toBe(a.config.nodeName);

    // The status follows the pod's Ready condition on the controller's next pass.
    const ds = await waitUntil(async () => {
      const r = await cli(a, ['get', 'ds']);
      return /example-daemonset\s+1\s+1\s+1\s+1\s+1\s+<none>\s+\d+s\n/.test(r.out) ? r : undefined;
    }, 'get ds shows the pod ready', 10_000);
    expect(ds.out).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\n/);
    const revs = await cli(a, ['get', 'controllerrevisions']);
    expect(revs.out).toMatch(/example-daemonset-[a-z0-9]+\s+daemonset.apps\/example-daemonset\s+1\s+/);

    // Removing the file stops the pod and deletes its history.
    await a.remove('ds.yaml');
    await waitUntil(async () => (await podContainers(a.docker, a.config.nodeName, name)).length === 0, 'daemon pod removed');
    await waitUntil(async () => (await cli(a, ['get', 'controllerrevisions'])).err.includes('No resources found'), 'history deleted');
  });

  it('rolls fluentd v1 → v2, records revisions, undoes to v1 as revision 3', async () => {
    const a = await agent();
    const v1 = await seedCopy('002-fluentd-elasticsearch-rollingupdate-daemonset.yaml', a.root, shortGrace);
    const v2 = await seedCopy('002-fluentd-elasticsearch-rollingupdate-daemonset-update.yaml', a.root, shortGrace);
    await a.write('fluentd.yaml', v1);
    const first = await waitUntil(async () => readyPod(a, FLUENTD), 'fluentd v1 ready');
    const status1 = await cli(a, ['rollout', 'status', `ds/${FLUENTD}`, '-n', 'kube-system', '--timeout', '20s']);
    expect(status1.code).toBe(0);
    expect(status1.out.trimEnd().split('\n').at(-1)).toBe(`daemon set "${FLUENTD}" successfully rolled out`);

    await a.writeAtomic('fluentd.yaml', v2);
    const statusDuring = cli(a, ['rollout', 'status', `ds/${FLUENTD}`, '-n', 'kube-system', '--timeout', '60s']);
    const second = await waitUntil(async () => {
      const n = await readyPod(a, FLUENTD);
      return n !== undefined && n !== first ? n : undefined;
    }, 'fluentd v2 pod ready', 60_000);
    const watched = await statusDuring;
    expect(watched.code).toBe(0);
    expect(watched.out.trimEnd().split('\n').at(-1)).toBe(`daemon set "${FLUENTD}" successfully rolled out`);
    const id = await runningContainer(a, second, FLUENTD);
    const inspect = await a.docker.getContainer(id ?? '').inspect();
    expect(inspect.HostConfig.Memory).toBe(200 * 1024 * 1024);
    expect(daemonPods(a, FLUENTD).map((p) => p.metadata?.labels?.['pod-template-generation'])).toEqual(['2']);

    const history = await cli(a, ['rollout', 'history', `ds/${FLUENTD}`, '-n', 'kube-system']);
    expect(history.out).toBe(`daemonset.apps/${FLUENTD}\nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n`);
    const rev2 = await cli(a, ['rollout', 'history', `ds/${FLUENTD}`, '-n', 'kube-system', '--revision', '2']);
    expect(rev2.out).toContain('memory:\t200Mi');

    const undo = await cli(a, ['rollout', 'undo', `ds/${FLUENTD}`, '-n', 'kube-system']);
    expect(undo).toMatchObject({ code: 0, out: `daemonset.apps/${FLUENTD} rolled back\n` });
    const file = await readFile(join(a.manifestDir, 'fluentd.yaml'), 'utf8');
    expect(file).not.toContain('resources:');
    expect(file).toContain('# these tolerations are to have the daemonset runnable on control plane nodes');
    await waitUntil(async () => (await cli(a, ['rollout', 'history', `ds/${FLUENTD}`, '-n', 'kube-system'])).out.includes('3         <none>'), 'revision 3');
    const after = await cli(a, ['rollout', 'history', `ds/${FLUENTD}`, '-n', 'kube-system']);
    expect(after.out).toBe(`daemonset.apps/${FLUENTD}\nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n`);
    const third = await waitUntil(async () => {
      const n = await readyPod(a, FLUENTD);
      return n !== undefined && n !== second ? n : undefined;
    }, 'fluentd back on v1', 60_000);
    const back = await a.docker.getContainer((await runningContainer(a, third, FLUENTD)) ?? '').inspect();
    expect(back.HostConfig.Memory).toBe(0);
  });

  it('set image and rollout restart rewrite the manifest, keep its comments and record the change-cause', async () => {
    const a = await agent();
    await a.write('fluentd.yaml', await seedCopy('002-fluentd-elasticsearch-rollingupdate-daemonset.yaml', a.root, shortGrace));
    const first = await waitUntil(async () => readyPod(a, FLUENTD), 'fluentd ready');
    const set = await cli(a, ['set', 'image', `ds/${FLUENTD}`, `${FLUENTD}=busybox:1.37`, '-n', 'kube-system']);
    expect(set).toMatchObject({ code: 0, out: `daemonset.apps/${FLUENTD} image updated\n` });
    const file = await readFile(join(a.manifestDir, 'fluentd.yaml'), 'utf8');
    expect(file).toContain('image: busybox:1.37');
    expect(file).toContain('# these tolerations are to have the daemonset runnable on control plane nodes');
    expect(file).toContain(`kubernetes.io/change-cause: nodelet set image ds/${FLUENTD} ${FLUENTD}=busybox:1.37`);
    await waitUntil(async () => {
      const p = daemonPods(a, FLUENTD);
      return p.length === 1 && p[0]?.metadata?.name !== first && p[0]?.spec?.containers[0]?.image === 'busybox:1.37';
    }, 'pod with the new image');
    const history = await cli(a, ['rollout', 'history', `ds/${FLUENTD}`, '-n', 'kube-system']);
    expect(history.out).toContain(`2         nodelet set image ds/${FLUENTD} ${FLUENTD}=busybox:1.37\n`);
    const restart = await cli(a, ['rollout', 'restart', `ds/${FLUENTD}`, '-n', 'kube-system']);
    expect(restart.out).toBe(`daemonset.apps/${FLUENTD} restarted\n`);
    expect(await readFile(join(a.manifestDir, 'fluentd.yaml'), 'utf8')).toMatch(/kubectl\.kubernetes\.io\/restartedAt: "?\d{4}-/);
    await waitUntil(async () => (await cli(a, ['rollout', 'history', `ds/${FLUENTD}`, '-n', 'kube-system'])).out.includes('3         nodelet rollout restart'), 'revision 3');
  });
});

/** Seeds ask for 30 s grace; the app image stops at once anyway, but keep tests short if not. */
function shortGrace(text: string): string {
  return text.replace('terminationGracePeriodSeconds: 30', 'terminationGracePeriodSeconds: 2');
}
