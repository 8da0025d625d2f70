// The kubelet's /metrics/probes (k/k pkg/kubelet/prober/prober_manager.go ProberResults,
// ProberDuration; worker.go doProbe): one counter per container, probe type and result, and the
// duration of successful and unknown runs. Runs that errored (the kubelet's "prober error, throw
// away the result") are not counted. Its own prom-client registry, so the families are exactly
// these plus process_start_time_seconds, as on the kubelet's path.
import { Counter, Histogram, Registry, Gauge } from 'prom-client';
import { probeTypeLabel, type ProbeType } from './thresholds.js';

/** One finished probe run, as the probe worker reports it (ProbeManagerDeps.onProbe). */
export interface ProbeRun {
  readonly namespace: string;
  readonly pod: string;
  readonly podUid: string;
  readonly container: string;
  readonly type: ProbeType;
  readonly result: 'successful' | 'failed' | 'unknown';
  readonly durationSeconds: number;
}

export class ProbeMetrics {
  readonly registry = new Registry();
  readonly #total: Counter<'container' | 'namespace' | 'pod' | 'pod_uid' | 'probe_type' | 'result'>;
  readonly #duration: Histogram<'container' | 'namespace' | 'pod' | 'probe_type'>;

  constructor(processStartSeconds: number = Math.floor(Date.now() / 1000 - process.uptime())) {
    const registers = [this.registry];
    this.#total = new Counter({
      name: 'prober_probe_total',
      help: '[ALPHA] Cumulative number of a liveness, readiness or startup probe for a container by result.',
      // In name order, as client_golang prints label pairs.
      labelNames: ['container', 'namespace', 'pod', 'pod_uid', 'probe_type', 'result'] as const,
      registers,
    });
    this.#duration = new Histogram({
      name: 'prober_probe_duration_seconds',
      help: '[ALPHA] Duration in seconds for a probe response.',
      labelNames: ['container', 'namespace', 'pod', 'probe_type'] as const,
      // prometheus.DefBuckets, the kubelet's (no buckets given in HistogramOpts).
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', registers }).set(processStartSeconds);
  }

  record(run: ProbeRun): void {
    const probe_type = probeTypeLabel(run.type);
    this.#total.inc({ container: run.container, namespace: run.namespace, pod: run.pod, pod_uid: run.podUid, probe_type, result: run.result });
    if (run.result !== 'failed') this.#duration.observe({ container: run.container, namespace: run.namespace, pod: run.pod, probe_type }, run.durationSeconds);
  }

  /** Drops the series of a probe that is gone (the kubelet's worker deletes its labels on exit). */
  remove(probe: Omit<ProbeRun, 'result' | 'durationSeconds'>): void {
    const base = { container: probe.container, namespace: probe.namespace, pod: probe.pod, probe_type: probeTypeLabel(probe.type) };
    for (const result of ['successful', 'failed', 'unknown'] as const) this.#total.remove({ ...base, pod_uid: probe.podUid, result });
    this.#duration.remove(base);
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
