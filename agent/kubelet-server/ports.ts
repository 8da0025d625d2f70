// What the kubelet server (port 10250) needs from the rest of nodelet, as interfaces, so that the
// server (routing, authentication, authorization, TLS), the streaming protocols and the stats
// providers are built and tested apart and composed in main.ts. The server has parsed the path and
// the query, found the pod by namespace and name (the static pod's name, as the kubelet's pod
// manager does) and authorized the request before it calls any of these.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** The container a stream is for; `uid` is set when the path carried one (/exec/{ns}/{pod}/{uid}/{ctr}). */
export interface StreamContainerTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly uid?: string;
  readonly container: string;
}

/** remotecommand options from the query (`input`, `output`, `error`, `tty`); stderr is off with a tty. */
export interface RemoteCommandStreams {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

/**
 * exec, attach and port-forward over an upgraded connection (SPDY/3.1 from the API server; see
 * agent/streaming). Each call owns `socket` from then on: it answers the upgrade (or writes the
 * kubelet's HTTP error) and ends the socket when the stream is over.
 */
export interface KubeletStreams {
  exec(target: StreamContainerTarget & RemoteCommandStreams & { readonly command: readonly string[] }, req: IncomingMessage, socket: Duplex, head: Buffer): void;
  attach(target: StreamContainerTarget & RemoteCommandStreams, req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** `ports` from the `port` query (only the plain-WebSocket variant uses it; SPDY names ports per stream). */
  portForward(target: { readonly namespace: string; readonly pod: string; readonly uid?: string; readonly ports: readonly number[] }, req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** A Prometheus text exposition, served as `text/plain; version=0.0.4; charset=utf-8`. */
export interface MetricsText {
  readonly contentType: string;
  readonly body: string;
}

/** The kubelet's stats and metrics endpoints (see agent/stats). */
export interface KubeletStats {
  /** stats/v1alpha1 Summary (`/stats/summary`, `only_cpu_and_memory=true` limits it as the kubelet does). */
  summary(onlyCpuAndMemory: boolean): Promise<object>;
  /** `/metrics/resource`: what metrics-server reads. */
  resourceMetrics(): Promise<MetricsText>;
  /** `/metrics/cadvisor`: per-container usage in cAdvisor's metric names. */
  cadvisorMetrics(): Promise<MetricsText>;
  /** `/metrics/probes`: prober_probe_total and prober_probe_duration_seconds. */
  probeMetrics(): Promise<MetricsText>;
}
