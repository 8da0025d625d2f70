// Issue 14: the seeds' fluentd DaemonSet (002-fluentd-elasticsearch, kube-system) runs with its
// hostPath mounts (/var/log, /var/lib/docker/containers) and sees the pods' logs the way a log
// shipper on a kubelet node does: /var/log/containers/<pod>_<ns>_<container>-<id>.log ->
// /var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log -> Docker's json file, resolved inside the
// fluentd container through its two mounts.
//
// The image is the local busybox stand-in (test/engine/images.sh), so the container's command
// is overridden with what a shipper does first: it waits for the pod's log under its mounted
// /var/log/containers and prints what it reads (its own log, which the test reads). The agent
// runs with the kubelet's real paths (/var/log/pods, /var/log/containers); names are unique per
// run. When the engine keeps its data elsewhere than /var/lib/docker (the test engine does),
// the second volume names that engine's containers directory, at the same path inside the
// container, as /var/lib/docker/containers is on a standard host.
import { describe, expect, it } from 'vitest';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '../helpers/agent-harness.js';
import { busyboxSh, containersOf, hostNetworkPod, useTestAgents } from '../helpers/pod-fixtures.js';
import { podContainers } from '../helpers/agent-harness.js';
import { LABELS } from '../../agent/core/labels.js';

const SEEDS = fileURLToPath(new URL('../fixtures/seed-examples/', import.meta.url));
const agent = useTestAgents();

describe("the seeds' fluentd DaemonSet reads the pods' logs", () => {
  it('sees a pod log line through its /var/log and /var/lib/docker/containers mounts', async () => {
    const a = await agent({ flags: { podLogsDir: '/var/log/pods', containerLogsDir: '/var/log/containers' } });
    const marker = `marker-${a.config.nodeName}`;
    const dockerRoot = (await a.docker.info()).DockerRootDir as string;
    let seed = await readFile(join(SEEDS, '002-fluentd-elasticsearch-rollingupdate-daemonset.yaml'), 'utf8');
    expect(seed).toContain('path: /var/log\n');
    expect(seed).toContain('path: /var/lib/docker/containers\n');
    const shipper = 'until cat /var/log/containers/chatty-*_default_app-*.log 2>/dev/null; do sleep 0.2; done; exec /pause';
    seed = seed
      .replace('terminationGracePeriodSeconds: 30', 'terminationGracePeriodSeconds: 1')
      .replace(/(\n(\s*)image: quay\.io\/fluentd_elasticsearch\/fluentd:v2\.5\.2\n)/, `$1$2command: ["sh", "-c", "${shipper.replace('chatty-', `chatty-${a.config.nodeName}`)}"]\n`);
    if (dockerRoot !== '/var/lib/docker') seed = seed.replaceAll('/var/lib/docker/containers', join(dockerRoot, 'containers'));
    await a.write('fluentd.yaml', seed);
    await a.write('chatty.yaml', hostNetworkPod('chatty', 1, busyboxSh('app', `echo ${marker}; exec sleep 3600`)));

    const app = await waitUntil(async () => (await containersOf(a, 'chatty', 'app')).find((c) => c.State === 'running'), 'chatty running');
    const fluentd = await waitUntil(async () => {
      const pods = a.running.agent.pods().filter((p) => p.metadata?.name?.startsWith('fluentd-elasticsearch-'));
      const name = pods[0]?.metadata?.name;
      if (!name) return undefined;
      return (await podContainers(a.docker, a.config.nodeName, name)).find((c) => c.Labels[LABELS.containerName] === 'fluentd-elasticsearch' && c.State === 'running');
    }, 'fluentd running');
    // What the stand-in read under /var/log/containers, as its own output: the pod's JSON line.
    const seen = await waitUntil(async () => {
      const out = (await a.docker.getContainer(fluentd.Id).logs({ stdout: true, stderr: true, follow: false })).toString('utf8');
      return out.includes(marker) ? out : undefined;
    }, 'fluentd printed the pod log line', 30_000);
    const line = seen.slice(seen.indexOf('{'), seen.indexOf('}', seen.indexOf(marker)) + 1);
    expect(JSON.parse(line)).toMatchObject({ log: `${marker}\n`, stream: 'stdout' });
    // The file it read is the pod's legacy link on the host.
    expect(app.Labels['io.kubernetes.container.logpath']).toMatch(new RegExp(`^/var/log/pods/default_chatty-${a.config.nodeName}_[0-9a-f]+/app/0\\.log$`));

    // Removed through the agent, so the host's /var/log keeps nothing of this test.
    const fluentdPod = fluentd.Labels[LABELS.podName] ?? '';
    await a.remove('chatty.yaml');
    await a.remove('fluentd.yaml');
    const ours = (name: string): boolean => name.includes(`chatty-${a.config.nodeName}`) || name.includes(fluentdPod);
    await waitUntil(async () => {
      const left = [...(await readdir('/var/log/pods').catch(() => [])), ...(await readdir('/var/log/containers').catch(() => []))];
      return !left.some(ours);
    }, 'the pods and their logs removed', 30_000);
  }, 90_000);
});
