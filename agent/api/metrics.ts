// Prometheus metrics of the agent. One registry per agent (never prom-client's global one), so
// tests and two agents in one process do not share counters. Names follow kubelet's where one
// exists (pod_start_duration_seconds, its buckets), prefixed nodelet_.
import { collectDefaultMetrics, Counter, exponentialBuckets, Gauge, Histogram, Registry } from 'prom-client';

export interface NodeletMetrics {
  readonly registry: Registry;
  readonly runningPods: Gauge;
  readonly runningContainers: Gauge;
  /** From the pod's first sight to all its containers running (kubelet's SLI). */
  readonly podStartDuration: Histogram;
  readonly containerRestarts: Counter<'namespace' | 'pod' | 'container'>;
  /** probe_type: liveness|readiness|startup; result: success|failure|unknown. */
  readonly probeResults: Counter<'probe_type' | 'result'>;
  /** Manifest files currently invalid or in conflict. */
  readonly manifestErrors: Gauge;
  readonly dockerApiDuration: Histogram<'operation'>;
  readonly dockerApiErrors: Counter<'operation'>;
}

/** kubelet's pod_start_duration_seconds buckets. */
const POD_START_BUCKETS = [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600];

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): NodeletMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    runningPods: new Gauge({ name: 'nodelet_running_pods', help: 'Number of pods that have a running sandbox', registers }),
    runningContainers: new Gauge({ name: 'nodelet_running_containers', help: 'Number of running containers (sandboxes excluded)', registers }),
    podStartDuration: new Histogram({
      name: 'nodelet_pod_start_duration_seconds',
      help: 'Duration in seconds from nodelet seeing a pod to all its containers running',
      buckets: POD_START_BUCKETS,
      registers,
    }),
    containerRestarts: new Counter({
      name: 'nodelet_container_restarts_total',
      help: 'Container restarts by the agent',
      labelNames: ['namespace', 'pod', 'container'] as const,
      registers,
    }),
    probeResults: new Counter({
      name: 'nodelet_probe_results_total',
      help: 'Probe results by probe type and result',
      labelNames: ['probe_type', 'result'] as const,
      registers,
    }),
    manifestErrors: new Gauge({ name: 'nodelet_manifest_errors', help: 'Manifest files with errors or conflicts', registers }),
    dockerApiDuration: new Histogram({
      name: 'nodelet_docker_api_duration_seconds',
      help: 'Duration in seconds of Docker Engine API calls by operation',
      labelNames: ['operation'] as const,
      // kubelet's runtime_operations_duration_seconds buckets: 5 ms to ~5 min.
      buckets: exponentialBuckets(0.005, 2.5, 14),
      registers,
    }),
    dockerApiErrors: new Counter({
      name: 'nodelet_docker_api_errors_total',
      help: 'Failed Docker Engine API calls by operation',
      labelNames: ['operation'] as const,
      registers,
    }),
  };
}

/** Runs one Docker call, recording its duration and, when it throws, an error. */
export async function observeDockerCall<T>(metrics: NodeletMetrics, operation: string, call: () => Promise<T>): Promise<T> {
  const stop = metrics.dockerApiDuration.startTimer({ operation });
  try {
    return await call();
  } catch (err) {
    metrics.dockerApiErrors.inc({ operation });
    throw err;
  } finally {
    stop();
  }
}
