// The kubelet server's stats port (KubeletStats in kubelet-server/ports.ts, matched by shape: this
// layer is below the server's): /stats/summary, /metrics/resource, /metrics/cadvisor and
// /metrics/probes over one collector. The texts are built by the pure stages beside it.
import type { Logger } from '../log/logger.js';
import { errorMessage } from '../core/errors.js';
import { cadvisorMetricsText } from './cadvisor-metrics.js';
import { StatsCollector, type StatsCollectorDeps } from './collector.js';
import { PROMETHEUS_TEXT } from './prom-text.js';
import { resourceMetricsText } from './resource-metrics.js';
import { buildSummary, type Summary } from './summary.js';

export interface StatsMetricsText {
  readonly contentType: string;
  readonly body: string;
}

export interface NodeletKubeletStatsDeps extends StatsCollectorDeps {
  /** /metrics/probes (probe/probe-metrics.ts); without it the path serves an empty text. */
  readonly probeMetrics?: () => Promise<StatsMetricsText>;
  readonly logger?: Logger;
}

export class NodeletKubeletStats {
  readonly collector: StatsCollector;
  readonly #d: NodeletKubeletStatsDeps;

  constructor(deps: NodeletKubeletStatsDeps) {
    this.#d = deps;
    this.collector = new StatsCollector(deps);
  }

  async summary(onlyCpuAndMemory: boolean): Promise<Summary> {
    return buildSummary(await this.collector.snapshot(), onlyCpuAndMemory);
  }

  /** A failed read gives resource_scrape_error 1 and nothing else, as the kubelet's collector does. */
  async resourceMetrics(): Promise<StatsMetricsText> {
    try {
      return { contentType: PROMETHEUS_TEXT, body: resourceMetricsText(await this.collector.snapshot()) };
    } catch (err) {
      this.#d.logger?.error({ err: errorMessage(err) }, 'Error getting summary for resourceMetric prometheus endpoint');
      return { contentType: PROMETHEUS_TEXT, body: resourceMetricsText(undefined) };
    }
  }

  async cadvisorMetrics(): Promise<StatsMetricsText> {
    return { contentType: PROMETHEUS_TEXT, body: cadvisorMetricsText(await this.collector.snapshot()) };
  }

  async probeMetrics(): Promise<StatsMetricsText> {
    return this.#d.probeMetrics ? this.#d.probeMetrics() : { contentType: PROMETHEUS_TEXT, body: '' };
  }
}
