// The DaemonSet controller itself (agent/daemonset/controller.ts), driven through the real
// Agent on the in-memory FakePodRuntime and the FakeClock: no copy of its glue. What runs is read
// from the runtime; what the controller reports, from its DaemonSet view (`rollout status`
// text), its revisions and its events. Replaces scenario.test.ts, whose simulator re-implemented
// the controller's wiring of the pure stages.
import { afterEach, describe, expect, it } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { readFile } from 'node:fs/promises';
import { SAFE_ALPHANUMS } from '../../../agent/daemonset/revisions.js';
import { rolloutStatus } from '../../../agent/daemonset/rollout-messages.js';
import { startFakeAgent, type FakeAgent } from '../../helpers/fake-agent.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const BROKEN = 'busybox:crash';

async function fakeAgent(nodeName: string): Promise<FakeAgent> {
  // The broken image's container exits at once: a crash loop that is never Ready.
  const t = await startFakeAgent({ nodeName, exits: (spec) => (spec.image === BROKEN ? 1 : undefined) });
  cleanups.push(() => t.stop());
  return t;
}

function daemonSet(image: string, opts: { strategy?: string; nodeSelector?: string } = {}): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent, namespace: system }
spec:
  selector: { matchLabels: { app: agent } }
${opts.strategy ? `  updateStrategy: ${opts.strategy}\n` : ''}  template:
    metadata: { labels: { app: agent } }
    spec:
      terminationGracePeriodSeconds: 2
${opts.nodeSelector ? `      nodeSelector: ${opts.nodeSelector}\n` : ''}      containers:
      - { name: agent, image: "${image}" }
`;
}

function daemonPods(t: FakeAgent): Pod[] {
  return t.agent.pods().filter((p) => p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === 'agent'));
}

function ready(p: Pod | undefined): boolean {
  return p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** The runtime's running app containers' images, by pod uid. */
async function running(t: FakeAgent): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const p of await t.runtime.listPods()) {
    const images = p.containers.filter((c) => c.state === 'running').map((c) => c.image);
    if (images.length > 0) out[p.uid] = images;
  }
  return out;
}

function status(t: FakeAgent): string {
  const view = t.agent.daemonSets.daemonSets()[0];
  if (!view) return 'no view';
  const r = rolloutStatus(view);
  return r.ok ? r.value.message : r.error;
}

/** The controller's SuccessfulCreate / SuccessfulDelete events, in order. */
function podEvents(t: FakeAgent): string[] {
  return t.events
    .list()
    .filter((e) => e.reason === 'SuccessfulCreate' || e.reason === 'SuccessfulDelete')
    .map((e) => `${e.reason === 'SuccessfulCreate' ? 'create' : 'delete'} ${e.message.replace(/^(Created|Deleted) pod: /, '')}`);
}

const NAME = new RegExp(`^agent-[${SAFE_ALPHANUMS}]{5}$`);
const DONE = 'daemon set "agent" successfully rolled out';

describe('DaemonSetController on the fake runtime', () => {
  it('creates the daemon pod, rolls it to a new template, and replaces a deleted pod with a new one', async () => {
    const t = await fakeAgent('ds-fake-roll');
    await t.apply(daemonSet('busybox:1.37'));
    await t.advance(1000);
    const [first] = daemonPods(t);
    expect(daemonPods(t)).toHaveLength(1);
    expect(first?.metadata?.name).toMatch(NAME);
    expect(ready(first)).toBe(true);
    const firstUid = first?.metadata?.uid ?? '';
    expect(await running(t)).toEqual({ [firstUid]: ['busybox:1.37'] });
    expect(t.agent.daemonSets.daemonSets()[0]?.status).toMatchObject({ desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1, updatedNumberScheduled: 1, numberAvailable: 1 });
    expect(status(t)).toBe(DONE);

    // A new template: RollingUpdate (maxUnavailable 1) stops the old pod, then starts one of revision 2.
    await t.apply(daemonSet('busybox:1.36'));
    await t.advance(5000);
    const [second] = daemonPods(t);
    expect(daemonPods(t)).toHaveLength(1);
    expect(second?.metadata?.uid).not.toBe(firstUid);
    expect(second?.metadata?.labels?.['controller-revision-hash']).not.toBe(first?.metadata?.labels?.['controller-revision-hash']);
    expect(ready(second)).toBe(true);
    const secondUid = second?.metadata?.uid ?? '';
    expect(await running(t)).toEqual({ [secondUid]: ['busybox:1.36'] });
    expect(t.agent.daemonSets.daemonSets()[0]?.status).toMatchObject({ observedGeneration: 2, updatedNumberScheduled: 1, numberReady: 1 });
    expect(t.agent.daemonSets.revisions('system', 'agent')?.map((r) => r.revision)).toEqual([1, 2]);
    expect(status(t)).toBe(DONE);

    // Deleted by hand: the old pod terminates through the agent's removal path, and the
    // controller creates a pod with a new name and uid (the DaemonSet controller's generateName).
    expect(await t.agent.restartPod(secondUid)).toBe(true);
    await t.advance(5000);
    const [third] = daemonPods(t);
    expect(daemonPods(t)).toHaveLength(1);
    expect(third?.metadata?.name).toMatch(NAME);
    expect(third?.metadata?.name).not.toBe(second?.metadata?.name);
    expect(third?.metadata?.uid).not.toBe(secondUid);
    expect(ready(third)).toBe(true);
    expect(await running(t)).toEqual({ [third?.metadata?.uid ?? '']: ['busybox:1.36'] });
    expect(podEvents(t)).toEqual([`create ${first?.metadata?.name}`, `delete ${first?.metadata?.name}`, `create ${second?.metadata?.name}`, `create ${third?.metadata?.name}`]);
  });

  it('rollout undo rewrites the manifest to the previous template, which becomes revision 3', async () => {
    const t = await fakeAgent('ds-fake-undo');
    await t.apply(daemonSet('busybox:1.37'));
    await t.advance(1000);
    await t.apply(daemonSet('busybox:1.36'));
    await t.advance(5000);
    // `rollout undo`: the controller rewrites the file and answers once it sees the new generation,
    // which the file watcher (here: reread) brings back.
    const undo = t.agent.daemonSets.edit('system', 'agent', { action: 'undo', toRevision: 0 });
    // The rewrite is real file I/O: wait for it (on the file, with real time).
    for (let i = 0; i < 500 && !(await readFile(t.manifestFile, 'utf8')).includes('busybox:1.37'); i++) await new Promise((r) => setTimeout(r, 10));
    // The stored (defaulted) template goes back into the file without the defaults spelled out.
    expect(await readFile(t.manifestFile, 'utf8')).toBe(daemonSet('busybox:1.37'));
    await t.reread();
    await t.advance(5000);
    expect(await undo).toEqual({ ok: true, message: 'daemonset.apps/agent rolled back' });
    expect(Object.values(await running(t))).toEqual([['busybox:1.37']]);
    expect(t.agent.daemonSets.revisions('system', 'agent')?.map((r) => r.revision)).toEqual([2, 3]);
    expect(status(t)).toBe(DONE);
  });

  it('with maxSurge the new pod runs beside the old one until it is ready', async () => {
    const t = await fakeAgent('ds-fake-surge');
    const strategy = '{ type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }';
    await t.apply(daemonSet('busybox:1.37', { strategy }));
    await t.advance(1000);
    const [old] = daemonPods(t);
    await t.apply(daemonSet('busybox:1.36', { strategy }));
    await t.advance(5000);
    const [created, removed] = podEvents(t).slice(1);
    expect(created).toMatch(/^create agent-/);
    expect(removed).toBe(`delete ${old?.metadata?.name}`);
    expect(Object.values(await running(t))).toEqual([['busybox:1.36']]);
    expect(status(t)).toBe(DONE);
  });

  it('a broken new template stalls the rollout; fixing it resumes', async () => {
    const t = await fakeAgent('ds-fake-broken');
    await t.apply(daemonSet('busybox:1.37'));
    await t.advance(1000);
    await t.apply(daemonSet(BROKEN));
    await t.advance(60_000);
    expect(status(t)).toBe('Waiting for daemon set "agent" rollout to finish: 0 of 1 updated pods are available...');
    expect(await running(t)).toEqual({});
    await t.apply(daemonSet('busybox:1.36'));
    await t.advance(5000);
    expect(status(t)).toBe(DONE);
    expect(Object.values(await running(t))).toEqual([['busybox:1.36']]);
    expect(t.agent.daemonSets.revisions('system', 'agent')?.map((r) => r.revision)).toEqual([1, 2, 3]);
  });

  it('OnDelete replaces nothing until the pod is deleted', async () => {
    const t = await fakeAgent('ds-fake-ondelete');
    await t.apply(daemonSet('busybox:1.37', { strategy: '{ type: OnDelete }' }));
    await t.advance(1000);
    await t.apply(daemonSet('busybox:1.36', { strategy: '{ type: OnDelete }' }));
    await t.advance(10_000);
    expect(Object.values(await running(t))).toEqual([['busybox:1.37']]);
    const uid = daemonPods(t)[0]?.metadata?.uid ?? '';
    await t.agent.restartPod(uid);
    await t.advance(5000);
    expect(Object.values(await running(t))).toEqual([['busybox:1.36']]);
    expect(podEvents(t).map((e) => e.split(' ')[0])).toEqual(['create', 'create']);
  });

  it('node labels start and stop a pod with a nodeSelector (the controller asks the node identity)', async () => {
    const t = await fakeAgent('ds-fake-ssd');
    await t.apply(daemonSet('busybox:1.37', { nodeSelector: '{ ssd: "true" }' }));
    await t.advance(1000);
    expect(daemonPods(t)).toEqual([]);
    expect(await t.agent.node.label(['ssd=true'], false)).toMatchObject({ ok: true });
    await t.advance(1000);
    expect(daemonPods(t).filter(ready)).toHaveLength(1);
    expect(await t.agent.node.label(['ssd-'], false)).toMatchObject({ ok: true });
    await t.advance(5000);
    expect(daemonPods(t)).toEqual([]);
    expect(await running(t)).toEqual({});
    expect(podEvents(t).map((e) => e.split(' ')[0])).toEqual(['create', 'delete']);
  });
});
