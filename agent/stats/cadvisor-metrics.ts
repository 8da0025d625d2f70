// Pure: a stats snapshot → a subset of cAdvisor's container metrics (google/cadvisor
// metrics/prometheus.go) as the kubelet serves them on /metrics/cadvisor: the same names, help
// texts and labels (container, pod, namespace from the Docker labels; id = the cgroup path;
// image; name = the Docker container name), sample timestamps in ms. The root cgroup (`id="/"`,
// empty labels) carries the node's figures, as in cAdvisor.
import { renderFamilies, type Family, type Sample } from './prom-text.js';
import type { StatsSnapshot } from './types.js';

export function cadvisorMetricsText(snapshot: StatsSnapshot): string {
  const cpu: Sample[] = [];
  const ws: Sample[] = [];
  const usage: Sample[] = [];
  const rss: Sample[] = [];
  const start: Sample[] = [];
  const rx: Sample[] = [];
  const tx: Sample[] = [];
  const root = { container: '', id: '/', image: '', name: '', namespace: '', pod: '' };
  const n = snapshot.node;
  if (n.cpu) cpu.push({ labels: { ...root, cpu: 'total' }, value: n.cpu.usageCoreNanoSeconds / 1e9, timestamp: n.cpu.time });
  if (n.memory) {
    ws.push({ labels: root, value: n.memory.workingSetBytes, timestamp: n.memory.time });
    usage.push({ labels: root, value: n.memory.usageBytes, timestamp: n.memory.time });
    if (n.memory.rssBytes !== undefined) rss.push({ labels: root, value: n.memory.rssBytes, timestamp: n.memory.time });
  }
  start.push({ labels: root, value: n.startTime / 1000, timestamp: n.cpu?.time ?? n.memory?.time ?? n.startTime });
  for (const p of snapshot.pods) {
    for (const c of p.containers) {
      const labels = { container: c.name, id: c.cgroup ?? '', image: c.image, name: c.dockerName ?? '', namespace: p.namespace, pod: p.name };
      const time = c.cpu?.time ?? c.memory?.time;
      if (c.cpu) cpu.push({ labels: { ...labels, cpu: 'total' }, value: c.cpu.usageCoreNanoSeconds / 1e9, timestamp: c.cpu.time });
      if (c.memory) {
        ws.push({ labels, value: c.memory.workingSetBytes, timestamp: c.memory.time });
        usage.push({ labels, value: c.memory.usageBytes, timestamp: c.memory.time });
        if (c.memory.rssBytes !== undefined) rss.push({ labels, value: c.memory.rssBytes, timestamp: c.memory.time });
      }
      start.push({ labels, value: c.startTime / 1000, ...(time !== undefined ? { timestamp: time } : {}) });
    }
    // cAdvisor reports a pod's network on its sandbox (the cgroup that owns the netns).
    for (const i of p.network?.interfaces ?? []) {
      const labels = { container: '', id: '', image: '', interface: i.name, name: '', namespace: p.namespace, pod: p.name };
      rx.push({ labels, value: i.rxBytes, timestamp: p.network?.time ?? 0 });
      tx.push({ labels, value: i.txBytes, timestamp: p.network?.time ?? 0 });
    }
  }
  const families: Family[] = [
    { name: 'container_cpu_usage_seconds_total', type: 'counter', help: 'Cumulative cpu time consumed in seconds.', samples: cpu },
    { name: 'container_memory_working_set_bytes', type: 'gauge', help: 'Current working set in bytes.', samples: ws },
    { name: 'container_memory_usage_bytes', type: 'gauge', help: 'Current memory usage in bytes, including all memory regardless of when it was accessed', samples: usage },
    { name: 'container_memory_rss', type: 'gauge', help: 'Size of RSS in bytes.', samples: rss },
    { name: 'container_start_time_seconds', type: 'gauge', help: 'Start time of the container since unix epoch in seconds.', samples: start },
    { name: 'container_network_receive_bytes_total', type: 'counter', help: 'Cumulative count of bytes received', samples: rx },
    { name: 'container_network_transmit_bytes_total', type: 'counter', help: 'Cumulative count of bytes transmitted', samples: tx },
  ];
  if (n.machine) {
    families.push(
      { name: 'machine_cpu_cores', type: 'gauge', help: 'Number of logical CPU cores.', samples: [{ value: n.machine.cpuCores }] },
      { name: 'machine_memory_bytes', type: 'gauge', help: 'Amount of memory installed on the machine.', samples: [{ value: n.machine.memoryBytes }] },
    );
  }
  return renderFamilies(families);
}
