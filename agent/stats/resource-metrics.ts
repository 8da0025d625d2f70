// Pure: a stats snapshot → the kubelet's /metrics/resource text (k/k
// pkg/kubelet/metrics/collectors/resource_metrics.go): what metrics-server reads. Every figure
// carries its sample time in ms, except container_start_time_seconds and resource_scrape_error;
// a figure that was not read is left out. The deprecated `scrape_error` is hidden since 1.30.
import { renderFamilies, type Family, type Sample } from './prom-text.js';
import type { StatsSnapshot } from './types.js';

const NS_PER_S = 1e9;

export function resourceMetricsText(snapshot: StatsSnapshot | undefined): string {
  const nodeCpu: Sample[] = [];
  const nodeMem: Sample[] = [];
  const ctrCpu: Sample[] = [];
  const ctrMem: Sample[] = [];
  const ctrStart: Sample[] = [];
  const podCpu: Sample[] = [];
  const podMem: Sample[] = [];
  if (snapshot) {
    const { cpu, memory } = snapshot.node;
    if (cpu) nodeCpu.push({ value: cpu.usageCoreNanoSeconds / NS_PER_S, timestamp: cpu.time });
    if (memory) nodeMem.push({ value: memory.workingSetBytes, timestamp: memory.time });
    for (const p of snapshot.pods) {
      for (const c of p.containers) {
        const labels = { container: c.name, pod: p.name, namespace: p.namespace };
        if (c.startTime > 0) ctrStart.push({ labels, value: c.startTime / 1000 });
        if (c.cpu) ctrCpu.push({ labels, value: c.cpu.usageCoreNanoSeconds / NS_PER_S, timestamp: c.cpu.time });
        if (c.memory) ctrMem.push({ labels, value: c.memory.workingSetBytes, timestamp: c.memory.time });
      }
      const labels = { pod: p.name, namespace: p.namespace };
      if (p.cpu) podCpu.push({ labels, value: p.cpu.usageCoreNanoSeconds / NS_PER_S, timestamp: p.cpu.time });
      if (p.memory) podMem.push({ labels, value: p.memory.workingSetBytes, timestamp: p.memory.time });
    }
  }
  const families: Family[] = [
    { name: 'node_cpu_usage_seconds_total', type: 'counter', help: '[STABLE] Cumulative cpu time consumed by the node in core-seconds', samples: nodeCpu },
    { name: 'node_memory_working_set_bytes', type: 'gauge', help: '[STABLE] Current working set of the node in bytes', samples: nodeMem },
    { name: 'container_cpu_usage_seconds_total', type: 'counter', help: '[STABLE] Cumulative cpu time consumed by the container in core-seconds', samples: ctrCpu },
    { name: 'container_memory_working_set_bytes', type: 'gauge', help: '[STABLE] Current working set of the container in bytes', samples: ctrMem },
    { name: 'container_start_time_seconds', type: 'gauge', help: '[STABLE] Start time of the container since unix epoch in seconds', samples: ctrStart },
    { name: 'pod_cpu_usage_seconds_total', type: 'counter', help: '[STABLE] Cumulative cpu time consumed by the pod in core-seconds', samples: podCpu },
    { name: 'pod_memory_working_set_bytes', type: 'gauge', help: '[STABLE] Current working set of the pod in bytes', samples: podMem },
    // 1 when the stats could not be read at all (the kubelet's summary provider failed).
    { name: 'resource_scrape_error', type: 'gauge', help: '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise', samples: [{ value: snapshot ? 0 : 1 }] },
  ];
  return renderFamilies(families);
}
