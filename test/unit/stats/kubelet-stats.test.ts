// NodeletKubeletStats over a fixture host tree: the collector finds each container's cgroup from
// its PID, reads the pod's own cgroup when the container sits in one (kubepods/.../pod<uid>),
// the pod's network from the sandbox's netns, and computes rates between two requests.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KubeletStats } from '../../../agent/kubelet-server/ports.js';
import type { ObservedContainer, ObservedPod } from '../../../agent/core/runtime-types.js';
import { HostReaders } from '../../../agent/stats/host-readers.js';
import { NodeletKubeletStats } from '../../../agent/stats/kubelet-stats.js';

const UID = '0a1b2c3d-0000-4000-8000-000000000001';
const POD_CG = `/kubepods/burstable/pod${UID}`;
const CID = 'c'.repeat(64);

function container(over: Partial<ObservedContainer>): ObservedContainer {
  return {
    id: CID, name: 'app', role: 'app', podUid: UID, podName: 'web-n1', podNamespace: 'default', sandboxId: 's'.repeat(64), state: 'running', specHash: 'h',
    restartCount: 0, image: 'busybox:1.37', createdAt: 1_000, startedAt: 2_000, labels: {}, pid: 100, ...over,
  };
}

describe('NodeletKubeletStats', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('serves the summary and /metrics/resource from the cgroups of the agent’s pods', async () => {
    const root = await mkdtemp(join(tmpdir(), 'nodelet-kstats-'));
    dirs.push(root);
    const files: Record<string, string> = {
      '/proc/self/mountinfo': '33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n',
      '/proc/100/cgroup': `4:memory:${POD_CG}/${CID}\n2:cpu,cpuacct:${POD_CG}/${CID}\n`,
      '/proc/99/net/dev': 'h1\nh2\n  eth0: 700 7 1 0 0 0 0 0 300 3 0 0 0 0 0 0\n    lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n',
      '/proc/stat': 'cpu  100 0 100 1000 0 0 0 0 0 0\ncpu0 100 0 100 1000 0 0 0 0 0 0\nbtime 1700000000\n',
      '/proc/meminfo': 'MemTotal: 1000000 kB\nMemFree: 500000 kB\n',
      [`/sys/fs/cgroup/cpu,cpuacct${POD_CG}/${CID}/cpuacct.usage`]: '2000000000\n',
      [`/sys/fs/cgroup/memory${POD_CG}/${CID}/memory.usage_in_bytes`]: '10485760\n',
      [`/sys/fs/cgroup/memory${POD_CG}/${CID}/memory.stat`]: 'total_rss 8388608\ntotal_inactive_file 1048576\n',
      [`/sys/fs/cgroup/memory${POD_CG}/${CID}/memory.limit_in_bytes`]: '20971520\n',
      // The pod cgroup holds the sandbox too: more than the one container.
      [`/sys/fs/cgroup/cpu,cpuacct${POD_CG}/cpuacct.usage`]: '2100000000\n',
      [`/sys/fs/cgroup/memory${POD_CG}/memory.usage_in_bytes`]: '11534336\n',
      [`/sys/fs/cgroup/memory${POD_CG}/memory.stat`]: 'total_inactive_file 1048576\n',
    };
    const write = async (path: string, text: string): Promise<void> => {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), text);
    };
    for (const [path, text] of Object.entries(files)) await write(path, text);
    let now = Date.parse('2026-12-07T20:00:00Z');
    const pod: ObservedPod = {
      uid: UID, name: 'web-n1', namespace: 'default',
      sandboxes: [container({ id: 's'.repeat(64), name: 'POD', role: 'sandbox', sandboxId: '', pid: 99, networkMode: 'nlt' })],
      containers: [container({}), container({ id: 'd'.repeat(64), state: 'exited', restartCount: 0, createdAt: 500, pid: undefined })],
    };
    const stats: KubeletStats = new NodeletKubeletStats({ nodeName: 'n1', pods: () => [pod], readers: new HostReaders({ root, now: () => now }), now: () => now });

    const first = (await stats.summary(false)) as { pods: { containers: unknown[]; cpu: unknown; memory: unknown; network: unknown }[]; node: { cpu: unknown } };
    expect(first.pods).toHaveLength(1);
    expect(first.pods[0]?.containers).toEqual([
      {
        name: 'app',
        startTime: '1970-01-01T00:00:02Z',
        cpu: { time: '2026-12-07T20:00:00Z', usageCoreNanoSeconds: 2_000_000_000 },
        memory: { time: '2026-12-07T20:00:00Z', availableBytes: 20971520 - 9437184, usageBytes: 10485760, workingSetBytes: 9437184, rssBytes: 8388608 },
        rootfs: expect.objectContaining({ capacityBytes: expect.any(Number) }) as unknown,
        logs: expect.objectContaining({ capacityBytes: expect.any(Number) }) as unknown,
      },
    ]);
    expect(first.pods[0]?.cpu).toEqual({ time: '2026-12-07T20:00:00Z', usageCoreNanoSeconds: 2_100_000_000 });
    expect(first.pods[0]?.memory).toEqual({ time: '2026-12-07T20:00:00Z', usageBytes: 11534336, workingSetBytes: 10485760 });
    expect(first.pods[0]?.network).toEqual({ time: '2026-12-07T20:00:00Z', name: 'eth0', rxBytes: 700, rxErrors: 1, txBytes: 300, txErrors: 0, interfaces: [{ name: 'eth0', rxBytes: 700, rxErrors: 1, txBytes: 300, txErrors: 0 }] });
    expect(first.node.cpu).toEqual({ time: '2026-12-07T20:00:00Z', usageCoreNanoSeconds: 2_000_000_000 });

    // Ten seconds later, half a core more: the rate.
    now += 10_000;
    await write(`/sys/fs/cgroup/cpu,cpuacct${POD_CG}/${CID}/cpuacct.usage`, '7000000000\n');
    const second = (await stats.summary(true)) as { pods: { containers: { cpu: { usageNanoCores?: number } }[] }[] };
    expect(second.pods[0]?.containers[0]?.cpu.usageNanoCores).toBe(500_000_000);

    const text = (await stats.resourceMetrics()).body;
    expect(text).toContain(`container_cpu_usage_seconds_total{container="app",namespace="default",pod="web-n1"} 7 ${now}\n`);
    expect(text).toContain('container_start_time_seconds{container="app",namespace="default",pod="web-n1"} 2\n');
    expect(text).toContain(`pod_memory_working_set_bytes{namespace="default",pod="web-n1"} 1.048576e+07 ${now}\n`);
    expect((await stats.probeMetrics()).body).toBe('');
  });
});
