// Static pod UID = kubernetes.io/config.hash (kubelet's applyDefaults), and the upgrade path:
// containers an older nodelet started under its previous UID scheme are adopted, not
// restarted. "An older nodelet" is reproduced by pinning that version's UID in the manifest
// (metadata.uid = legacyStaticPodUid), which gives containers exactly the labels, names and
// pod directory the old version gave them; the agent is then restarted on the same manifest
// without the pin, as after an upgrade.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { makeTestAgent, removeNodeContainers, dockerFromEnv, waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { LABELS } from '../../agent/core/labels.js';
import { legacyStaticPodUid } from '../../agent/manifest/identity.js';
import { NodeHostFs } from '../../agent/host/host-fs.js';

const docker = dockerFromEnv();
const nodeName = `uid-${process.pid}-${Date.now().toString(36)}`;
let root = '';
const agents: TestAgent[] = [];

function manifest(opts: { uid?: string; command?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', ...(opts.uid ? { uid: opts.uid } : {}) },
    spec: {
      hostNetwork: true,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'app', image: 'busybox:1.37', command: ['sh', '-c', opts.command ?? "trap 'exit 0' TERM; while true; do sleep 0.2; done"] }],
    },
  };
}

async function running(): Promise<{ id: string; uid: string; startedAt: string }[]> {
  const list = await docker.listContainers({ filters: { label: [`${LABELS.node}=${nodeName}`, `${LABELS.containerName}=app`] } });
  return Promise.all(
    list.map(async (c) => ({ id: c.Id, uid: c.Labels[LABELS.podUid] ?? '', startedAt: (await docker.getContainer(c.Id).inspect()).State.StartedAt })),
  );
}

async function start(): Promise<TestAgent> {
  const a = await makeTestAgent({ root, nodeName });
  agents.push(a);
  return a;
}

afterAll(async () => {
  for (const a of agents) await a.stop();
  await removeNodeContainers(docker, nodeName);
  if (root) await new NodeHostFs().removeTree(root);
});

describe('static pod UID and upgrade adoption', () => {
  it('adopts the running pod of the old UID scheme without restarting it; the next edit replaces it under the hash UID', async () => {
    root = await mkdtemp(join(tmpdir(), 'nodelet-uid-'));
    const legacy = legacyStaticPodUid(manifest(), nodeName);

    // "Old version": the pod runs under the legacy UID.
    const old = await start();
    await old.write('web.yaml', JSON.stringify(manifest({ uid: legacy })));
    const before = await waitUntil(async () => {
      const r = await running();
      return r.length === 1 && r[0]?.uid === legacy ? r[0] : undefined;
    }, 'the pod running under the legacy UID', 60_000);
    await old.stop();

    // Upgrade: same manifest, no pinned UID.
    await old.write('web.yaml', JSON.stringify(manifest()));
    const upgraded = await start();
    await upgraded.logLine((l) => l.msg === 'adopted the running pod an older nodelet started under its previous UID');
    await upgraded.running.agent.waitForFirstSync();
    const desired = upgraded.running.agent.desiredPods().find((d) => d.name === `web-${nodeName}`);
    const hash = desired?.pod.metadata?.annotations?.['kubernetes.io/config.hash'];
    expect(desired?.uid).toBe(legacy);
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect(hash).not.toBe(legacy);
    // The first relist (which removes orphans) and every pod's first pass are done: the old
    // code took the pod for an orphan there and replaced it.
    await upgraded.running.agent.idle();
    const after = await running();
    expect(after).toEqual([before]);

    // An edit gives a new pod under the hash UID, as the kubelet does.
    await upgraded.write('web.yaml', JSON.stringify(manifest({ command: "trap 'exit 0' TERM; while true; do sleep 0.3; done" })));
    const replaced = await waitUntil(async () => {
      const r = await running();
      return r.length === 1 && r[0]?.uid !== legacy ? r[0] : undefined;
    }, 'the edited pod running under its hash UID', 60_000);
    const now = upgraded.running.agent.desiredPods().find((d) => d.name === `web-${nodeName}`);
    expect(replaced.uid).toBe(now?.uid);
    expect(now?.pod.metadata?.annotations?.['kubernetes.io/config.hash']).toBe(now?.uid);
  }, 120_000);
});
