import { describe, expect, it } from 'vitest';
import { buildSummary } from '../../../agent/stats/summary.js';
import { resourceMetricsText } from '../../../agent/stats/resource-metrics.js';
import { cadvisorMetricsText } from '../../../agent/stats/cadvisor-metrics.js';
import { goFloat } from '../../../agent/stats/prom-text.js';
import { CpuRateCache } from '../../../agent/stats/rate.js';
import type { StatsSnapshot } from '../../../agent/stats/types.js';

const T = Date.parse('2026-12-07T20:00:00.123Z');
const START = Date.parse('2026-12-07T19:00:00.500Z');

const SNAPSHOT: StatsSnapshot = {
  node: {
    nodeName: 'stats-node',
    startTime: Date.parse('2026-12-01T00:00:00Z'),
    cpu: { time: T, usageCoreNanoSeconds: 6197005020909, usageNanoCores: 250000000 },
    memory: { time: T, usageBytes: 6263906304, workingSetBytes: 2869542912, rssBytes: 9072640, availableBytes: 22406000000 },
    fs: { time: T, capacityBytes: 100, availableBytes: 40, usedBytes: 60, inodes: 10, inodesFree: 4, inodesUsed: 6 },
    imageFs: { time: T, capacityBytes: 200, availableBytes: 80, usedBytes: 120 },
    machine: { cpuCores: 2, memoryBytes: 25276182528 },
  },
  pods: [
    {
      namespace: 'kube-system',
      name: 'burn-stats-node',
      uid: 'u-1',
      startTime: START,
      cpu: { time: T, usageCoreNanoSeconds: 41500000000, usageNanoCores: 990000000 },
      memory: { time: T, usageBytes: 1200000, workingSetBytes: 1000000 },
      network: { time: T, interfaces: [{ name: 'eth0', rxBytes: 5000, rxErrors: 0, txBytes: 3000, txErrors: 0 }] },
      containers: [
        {
          name: 'burn',
          id: 'c1',
          image: 'busybox:1.37',
          dockerName: 'k8s_burn_burn-stats-node_kube-system_u-1_0',
          startTime: START,
          cgroup: '/docker/c1',
          cpu: { time: T, usageCoreNanoSeconds: 41500000000, usageNanoCores: 990000000 },
          memory: { time: T, usageBytes: 1200000, workingSetBytes: 1000000, rssBytes: 500000, pageFaults: 10, majorPageFaults: 0 },
          rootfs: { time: T, capacityBytes: 200, availableBytes: 80 },
          logs: { time: T, capacityBytes: 100, availableBytes: 40 },
        },
      ],
    },
  ],
};

describe('goFloat: Go strconv.FormatFloat(v, g, -1, 64) as client_golang prints values', () => {
  it.each([
    [0, '0'],
    [1, '1'],
    [41.5, '41.5'],
    [6197.005020909, '6197.005020909'],
    [123456, '123456'],
    [1234567, '1.234567e+06'],
    [1000000, '1e+06'],
    [2869542912, '2.869542912e+09'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1796653932.5, '1.7966539325e+09'],
  ])('%d → %s', (v, text) => expect(goFloat(v)).toBe(text));
});

describe('/metrics/resource', () => {
  it('prints the kubelet’s families in name order, [STABLE] help, ms timestamps, start time without one', () => {
    expect(resourceMetricsText(SNAPSHOT)).toBe(
      [
        '# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds',
        '# TYPE container_cpu_usage_seconds_total counter',
        `container_cpu_usage_seconds_total{container="burn",namespace="kube-system",pod="burn-stats-node"} 41.5 ${T}`,
        '# HELP container_memory_working_set_bytes [STABLE] Current working set of the container in bytes',
        '# TYPE container_memory_working_set_bytes gauge',
        `container_memory_working_set_bytes{container="burn",namespace="kube-system",pod="burn-stats-node"} 1e+06 ${T}`,
        '# HELP container_start_time_seconds [STABLE] Start time of the container since unix epoch in seconds',
        '# TYPE container_start_time_seconds gauge',
        'container_start_time_seconds{container="burn",namespace="kube-system",pod="burn-stats-node"} 1.7966700005e+09',
        '# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in core-seconds',
        '# TYPE node_cpu_usage_seconds_total counter',
        `node_cpu_usage_seconds_total 6197.005020909 ${T}`,
        '# HELP node_memory_working_set_bytes [STABLE] Current working set of the node in bytes',
        '# TYPE node_memory_working_set_bytes gauge',
        `node_memory_working_set_bytes 2.869542912e+09 ${T}`,
        '# HELP pod_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the pod in core-seconds',
        '# TYPE pod_cpu_usage_seconds_total counter',
        `pod_cpu_usage_seconds_total{namespace="kube-system",pod="burn-stats-node"} 41.5 ${T}`,
        '# HELP pod_memory_working_set_bytes [STABLE] Current working set of the pod in bytes',
        '# TYPE pod_memory_working_set_bytes gauge',
        `pod_memory_working_set_bytes{namespace="kube-system",pod="burn-stats-node"} 1e+06 ${T}`,
        '# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise',
        '# TYPE resource_scrape_error gauge',
        'resource_scrape_error 0',
        '',
      ].join('\n'),
    );
  });

  it('a failed read is resource_scrape_error 1 alone', () => {
    expect(resourceMetricsText(undefined)).toBe(
      '# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise\n# TYPE resource_scrape_error gauge\nresource_scrape_error 1\n',
    );
  });

  it('escapes label values', () => {
    const pod = SNAPSHOT.pods[0];
    if (!pod) throw new Error('fixture');
    const odd: StatsSnapshot = { node: { nodeName: 'n', startTime: 0 }, pods: [{ ...pod, name: 'a"b\\c', cpu: undefined, memory: undefined }] };
    expect(resourceMetricsText(odd)).toContain('pod="a\\"b\\\\c"');
  });
});

describe('/metrics/cadvisor', () => {
  it('uses cAdvisor names and labels (id, image, name; cpu="total"), the root cgroup for the node, machine_*', () => {
    const text = cadvisorMetricsText(SNAPSHOT);
    expect(text).toContain('# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.\n# TYPE container_cpu_usage_seconds_total counter\n');
    expect(text).toContain(`container_cpu_usage_seconds_total{container="",cpu="total",id="/",image="",name="",namespace="",pod=""} 6197.005020909 ${T}\n`);
    expect(text).toContain(
      `container_cpu_usage_seconds_total{container="burn",cpu="total",id="/docker/c1",image="busybox:1.37",name="k8s_burn_burn-stats-node_kube-system_u-1_0",namespace="kube-system",pod="burn-stats-node"} 41.5 ${T}\n`,
    );
    expect(text).toContain(`container_memory_working_set_bytes{container="burn",id="/docker/c1",image="busybox:1.37",name="k8s_burn_burn-stats-node_kube-system_u-1_0",namespace="kube-system",pod="burn-stats-node"} 1e+06 ${T}\n`);
    expect(text).toContain(`container_memory_usage_bytes{container="burn",id="/docker/c1",image="busybox:1.37",name="k8s_burn_burn-stats-node_kube-system_u-1_0",namespace="kube-system",pod="burn-stats-node"} 1.2e+06 ${T}\n`);
    expect(text).toContain(`container_memory_rss{container="burn",id="/docker/c1",image="busybox:1.37",name="k8s_burn_burn-stats-node_kube-system_u-1_0",namespace="kube-system",pod="burn-stats-node"} 500000 ${T}\n`);
    expect(text).toContain(`container_network_receive_bytes_total{container="",id="",image="",interface="eth0",name="",namespace="kube-system",pod="burn-stats-node"} 5000 ${T}\n`);
    expect(text).toContain('machine_cpu_cores 2\n');
    expect(text).toContain('machine_memory_bytes 2.5276182528e+10\n');
    const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1] ?? '');
    expect(names).toEqual([...names].sort());
  });
});

describe('/stats/summary', () => {
  it('has the stats/v1alpha1 shape: node with the pods system container, fs and runtime.imageFs; pods with podRef, containers, network, ephemeral-storage', () => {
    const s = buildSummary(SNAPSHOT, false);
    expect(JSON.parse(JSON.stringify(s))).toEqual({
      node: {
        nodeName: 'stats-node',
        systemContainers: [
          {
            name: 'pods',
            startTime: '2026-12-01T00:00:00Z',
            cpu: { time: '2026-12-07T20:00:00Z', usageNanoCores: 990000000, usageCoreNanoSeconds: 41500000000 },
            memory: { time: '2026-12-07T20:00:00Z', usageBytes: 1200000, workingSetBytes: 1000000 },
          },
        ],
        startTime: '2026-12-01T00:00:00Z',
        cpu: { time: '2026-12-07T20:00:00Z', usageNanoCores: 250000000, usageCoreNanoSeconds: 6197005020909 },
        memory: { time: '2026-12-07T20:00:00Z', availableBytes: 22406000000, usageBytes: 6263906304, workingSetBytes: 2869542912, rssBytes: 9072640 },
        fs: { time: '2026-12-07T20:00:00Z', availableBytes: 40, capacityBytes: 100, usedBytes: 60, inodesFree: 4, inodes: 10, inodesUsed: 6 },
        runtime: {
          imageFs: { time: '2026-12-07T20:00:00Z', availableBytes: 80, capacityBytes: 200, usedBytes: 120 },
          containerFs: { time: '2026-12-07T20:00:00Z', availableBytes: 80, capacityBytes: 200, usedBytes: 120 },
        },
      },
      pods: [
        {
          podRef: { name: 'burn-stats-node', namespace: 'kube-system', uid: 'u-1' },
          startTime: '2026-12-07T19:00:00Z',
          containers: [
            {
              name: 'burn',
              startTime: '2026-12-07T19:00:00Z',
              cpu: { time: '2026-12-07T20:00:00Z', usageNanoCores: 990000000, usageCoreNanoSeconds: 41500000000 },
              memory: { time: '2026-12-07T20:00:00Z', usageBytes: 1200000, workingSetBytes: 1000000, rssBytes: 500000, pageFaults: 10, majorPageFaults: 0 },
              rootfs: { time: '2026-12-07T20:00:00Z', availableBytes: 80, capacityBytes: 200 },
              logs: { time: '2026-12-07T20:00:00Z', availableBytes: 40, capacityBytes: 100 },
            },
          ],
          cpu: { time: '2026-12-07T20:00:00Z', usageNanoCores: 990000000, usageCoreNanoSeconds: 41500000000 },
          memory: { time: '2026-12-07T20:00:00Z', usageBytes: 1200000, workingSetBytes: 1000000 },
          network: { time: '2026-12-07T20:00:00Z', name: 'eth0', rxBytes: 5000, rxErrors: 0, txBytes: 3000, txErrors: 0, interfaces: [{ name: 'eth0', rxBytes: 5000, rxErrors: 0, txBytes: 3000, txErrors: 0 }] },
          'ephemeral-storage': { time: '2026-12-07T20:00:00Z', availableBytes: 80, capacityBytes: 200, usedBytes: 0 },
        },
      ],
    });
    expect(Object.keys(s.node)).toEqual(['nodeName', 'systemContainers', 'startTime', 'cpu', 'memory', 'fs', 'runtime']);
  });

  it('only_cpu_and_memory keeps names, start times, cpu and memory', () => {
    const s = buildSummary(SNAPSHOT, true);
    expect(Object.keys(s.node)).toEqual(['nodeName', 'systemContainers', 'startTime', 'cpu', 'memory']);
    expect(Object.keys(s.pods[0] ?? {})).toEqual(['podRef', 'startTime', 'containers', 'cpu', 'memory']);
    expect(Object.keys(s.pods[0]?.containers[0] ?? {})).toEqual(['name', 'startTime', 'cpu', 'memory']);
  });
});

describe('CpuRateCache (usageNanoCores from two samples)', () => {
  it('no rate on the first sample; Δns/Δs after; the previous rate inside the minimum window; none after a reset', () => {
    const c = new CpuRateCache();
    expect(c.rate('a', 0, 1_000_000_000)).toBeUndefined();
    expect(c.rate('a', 2_000, 2_000_000_000)).toBe(500_000_000);
    expect(c.rate('a', 2_500, 2_400_000_000)).toBe(500_000_000);
    expect(c.rate('a', 4_000, 3_500_000_000)).toBe(750_000_000);
    expect(c.rate('a', 6_000, 10)).toBeUndefined();
    c.retain(new Set());
    expect(c.rate('a', 8_000, 2_000_000_010)).toBeUndefined();
  });
});
