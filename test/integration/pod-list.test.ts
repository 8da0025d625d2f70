// Issue 14 item 6, second half, against the real dockerd: a manifest file holding a v1 PodList
// runs each item as a static pod, named and identified as a single pod would be; an edit that
// makes one item invalid keeps the file's last valid pods running (all or nothing per file).
import { describe, expect, it } from 'vitest';
import { TEST_IMAGES } from '../helpers/docker-engine.js';
import { waitUntil, type TestAgent } from '../helpers/agent-harness.js';
import { containersOf, useTestAgents } from '../helpers/pod-fixtures.js';

const agent = useTestAgents();

const podList = (second: string): string => `apiVersion: v1
kind: PodList
items:
- metadata: { name: first }
  spec:
    hostNetwork: true
    terminationGracePeriodSeconds: 1
    containers:
    - { name: app, image: ${TEST_IMAGES.busybox}, command: ["sleep", "3600"] }
- apiVersion: v1
  kind: Pod
  metadata: { name: second, namespace: kube-system }
  spec:
    hostNetwork: true
    terminationGracePeriodSeconds: 1
    containers:
    - { name: app, ${second}command: ["sleep", "3600"] }
`;

function running(a: TestAgent, name: string, namespace: string): boolean {
  const pod = a.running.agent.pods().find((p) => p.metadata?.name === `${name}-${a.config.nodeName}` && p.metadata?.namespace === namespace);
  return pod?.status?.containerStatuses?.[0]?.state?.running !== undefined;
}

describe('PodList manifest files', () => {
  it('runs both pods of a two-pod PodList; an invalid item refuses the new version of the file, the pods stay', async () => {
    const a = await agent();
    await a.write('pods.yaml', podList(`image: ${TEST_IMAGES.busybox}, `));
    await waitUntil(async () => running(a, 'first', 'default') && running(a, 'second', 'kube-system'), 'both pods running');
    expect(await containersOf(a, 'first', 'app')).toHaveLength(1);
    const status = a.running.agent.fileStatuses().find((s) => s.file.endsWith('/pods.yaml'));
    expect(status?.state).toBe('ok');
    expect(status?.objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`)).toEqual(['Pod/default/first', 'Pod/kube-system/second']);

    await a.write('pods.yaml', podList(''));
    const invalid = await waitUntil(async () => {
      const s = a.running.agent.fileStatuses().find((f) => f.file.endsWith('/pods.yaml'));
      return s?.state === 'invalid' ? s : undefined;
    }, 'the edited file invalid');
    expect(invalid.errors.map((e) => e.message)).toEqual(['items[1].spec.containers[0].image: Required value']);
    expect(running(a, 'first', 'default') && running(a, 'second', 'kube-system')).toBe(true);
  });
});
