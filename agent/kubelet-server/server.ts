// The kubelet's HTTPS endpoint (port 10250), as k/k pkg/kubelet/server/server.go serves it:
// every request is authenticated and authorized first (InstallAuthFilter on the whole
// container, /healthz included), then routed: /healthz, /pods, /runningpods/, /configz,
// /containerLogs, /metrics*, /stats/summary, and the upgrades /exec, /attach, /portForward,
// which are handed to KubeletStreams with the socket. TLS asks for a client certificate but
// does not require one (the x509 authenticator decides); the serving pair and the client CA can
// be replaced while running (setSecureContext: new connections get them).
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { basename, dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { ApiError, type ApiBackend } from '../api/backend.js';
import { writeLogStream } from '../api/handlers.js';
import { authorizationErrorBody, forbiddenBody, requestAttributes, UNAUTHORIZED_BODY, type UserInfo } from './attributes.js';
import type { Authenticator, Authorizer } from './auth.js';
import type { KubeletStats, KubeletStreams, MetricsText } from './ports.js';
import { DEBUGGING_ROUTES, KubeletHttpError, matchKubeletRoute, metricBucket, parseContainerLogsQuery, parsePortForwardPorts, parseStreamOptions, ROUTE_METHODS, type KubeletRoute } from './query.js';
import type { ServingPair } from './serving-cert.js';

export interface KubeletServerOptions {
  readonly address: string;
  readonly port: number;
  readonly nodeName: string;
  readonly enableDebuggingHandlers: boolean;
  readonly tls: ServingPair;
  /** The client CA bundle file (x509 authentication); reloaded when it changes. */
  readonly clientCAFile?: string;
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  /** The agent's pods, logs and health. */
  readonly backend: Pick<ApiBackend, 'listPods' | 'logs' | 'healthy'>;
  readonly streams?: KubeletStreams;
  readonly stats?: KubeletStats;
  /** The agent's metrics registry: /metrics, and the kubelet_http_* request metrics. */
  readonly registry?: Registry;
  /** What /configz shows under `kubeletconfig`. */
  readonly configz: () => object;
  readonly logger: Logger;
}

/** kubelet http.Server: IdleTimeout 90 s, ReadTimeout/WriteTimeout 4 h, MaxHeaderBytes 1 MiB. */
const IDLE_TIMEOUT_MS = 90_000;
const READ_TIMEOUT_MS = 4 * 3600_000;
const MAX_HEADER_BYTES = 1 << 20;
const NOT_FOUND = '404 page not found\n';
const LONG_RUNNING = new Set(['exec', 'attach', 'portForward']);

interface RequestMetrics {
  readonly total: Counter<'method' | 'path' | 'server_type' | 'long_running'>;
  readonly duration: Histogram<'method' | 'path' | 'server_type' | 'long_running'>;
  readonly inflight: Gauge<'method' | 'path' | 'server_type' | 'long_running'>;
}

/** kubelet pkg/kubelet/server/metrics: the same names and labels, in the agent's registry. */
function requestMetrics(registry: Registry): RequestMetrics {
  const labelNames = ['method', 'path', 'server_type', 'long_running'] as const;
  const existing = registry.getSingleMetric('kubelet_http_requests_total');
  if (existing) registry.removeSingleMetric('kubelet_http_requests_total');
  for (const n of ['kubelet_http_requests_duration_seconds', 'kubelet_http_inflight_requests']) if (registry.getSingleMetric(n)) registry.removeSingleMetric(n);
  return {
    total: new Counter({ name: 'kubelet_http_requests_total', help: 'Number of the http requests received since the server started', labelNames, registers: [registry] }),
    duration: new Histogram({ name: 'kubelet_http_requests_duration_seconds', help: 'Duration in seconds to serve http requests', labelNames, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] }),
    inflight: new Gauge({ name: 'kubelet_http_inflight_requests', help: 'Number of the inflight http requests', labelNames, registers: [registry] }),
  };
}

function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** An HTTP answer on a socket that asked for an upgrade (nothing has been written to it yet). */
function sendRaw(socket: Duplex, status: number, body: string, headers: Record<string, string> = {}): void {
  const reason: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error' };
  const lines = [`HTTP/1.1 ${status} ${reason[status] ?? 'Error'}`, 'Content-Type: text/plain; charset=utf-8', 'X-Content-Type-Options: nosniff', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

type Answer = { readonly status: number; readonly body: string; readonly headers?: Record<string, string> };

/** The pods' minimal runtime view (/runningpods/): what the runtime says runs, not the spec. */
function runningPod(pod: Pod): Pod {
  const running = new Set((pod.status?.containerStatuses ?? []).filter((s) => s.state?.running).map((s) => s.name));
  return {
    metadata: { name: pod.metadata?.name, namespace: pod.metadata?.namespace, uid: pod.metadata?.uid },
    spec: { containers: (pod.spec?.containers ?? []).filter((c) => running.has(c.name)).map((c) => ({ name: c.name, image: c.image })) },
    status: {},
  } as Pod;
}

function specContainers(pod: Pod): readonly string[] {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].map((c) => c.name);
}

export class KubeletServer {
  readonly #server: https.Server;
  readonly #o: KubeletServerOptions;
  readonly #metrics?: RequestMetrics;
  #pair: ServingPair;
  #clientCA?: string;
  #caWatcher?: FSWatcher;

  private constructor(o: KubeletServerOptions, clientCA: string | undefined) {
    this.#o = o;
    this.#pair = o.tls;
    this.#clientCA = clientCA;
    this.#server = https.createServer({ ...this.#secureOptions(), requestCert: true, rejectUnauthorized: false, maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: READ_TIMEOUT_MS, keepAliveTimeout: IDLE_TIMEOUT_MS });
    this.#server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.#onRequest(req, res));
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#onUpgrade(req, socket, head));
    this.#server.on('tlsClientError', (err) => o.logger.debug({ err: errorMessage(err) }, 'kubelet endpoint TLS handshake failed'));
    if (o.registry) this.#metrics = requestMetrics(o.registry);
  }

  static async start(o: KubeletServerOptions): Promise<KubeletServer> {
    const ca = o.clientCAFile === undefined ? undefined : await readFile(o.clientCAFile, 'utf8');
    const s = new KubeletServer(o, ca);
    await new Promise<void>((resolve, reject) => {
      s.#server.once('error', reject);
      s.#server.listen(o.port, o.address, () => {
        s.#server.off('error', reject);
        resolve();
      });
    });
    s.#watchClientCA();
    o.logger.info({ address: o.address, port: s.port, x509: o.clientCAFile !== undefined, debuggingHandlers: o.enableDebuggingHandlers }, 'kubelet endpoint listening');
    return s;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** A new serving pair (certificate rotation): new connections use it, open ones keep theirs. */
  setServingPair(pair: ServingPair): void {
    this.#pair = pair;
    this.#server.setSecureContext(this.#secureOptions());
  }

  async close(): Promise<void> {
    this.#caWatcher?.close();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #secureOptions(): https.ServerOptions {
    return { cert: this.#pair.cert, key: this.#pair.key, ...(this.#clientCA ? { ca: this.#clientCA } : {}), minVersion: 'TLSv1.2' };
  }

  /** dynamiccertificates.NewDynamicCAContentFromFile: the bundle is read again when its file changes (inotify on the directory, so an atomic replace is seen). */
  #watchClientCA(): void {
    const file = this.#o.clientCAFile;
    if (file === undefined) return;
    let pending: NodeJS.Timeout | undefined;
    const reload = async (): Promise<void> => {
      try {
        const text = await readFile(file, 'utf8');
        if (text === this.#clientCA || !text.includes('BEGIN CERTIFICATE')) return;
        this.#clientCA = text;
        this.#server.setSecureContext(this.#secureOptions());
        this.#o.logger.info({ file }, 'kubelet endpoint client CA bundle reloaded');
      } catch (err) {
        this.#o.logger.warn({ file, err: errorMessage(err) }, 'cannot reload the client CA bundle; keeping the previous one');
      }
    };
    try {
      this.#caWatcher = watch(dirname(file), { persistent: false }, (_event, name) => {
        if (name !== null && name !== basename(file)) return;
        clearTimeout(pending);
        pending = setTimeout(() => void reload(), 100);
      });
    } catch (err) {
      this.#o.logger.warn({ file, err: errorMessage(err) }, 'cannot watch the client CA bundle; changes need a restart');
    }
  }

  /** Authentication then authorization; undefined when the request may go on. */
  async #gate(req: IncomingMessage, path: string): Promise<Answer | { user: UserInfo }> {
    let authn;
    try {
      authn = await this.#o.authenticator.authenticate(req);
    } catch (err) {
      this.#o.logger.error({ err: errorMessage(err) }, 'Unable to authenticate the request due to an error');
      return { status: 401, body: UNAUTHORIZED_BODY };
    }
    if (!authn.ok) {
      if (authn.error !== undefined) this.#o.logger.error({ err: authn.error }, 'Unable to authenticate the request due to an error');
      return { status: 401, body: UNAUTHORIZED_BODY };
    }
    const attrs = requestAttributes(this.#o.nodeName, req.method, path);
    for (const attr of attrs) {
      try {
        if ((await this.#o.authorizer.authorize(authn.user, attr)) === 'allow') return { user: authn.user };
      } catch (err) {
        this.#o.logger.error({ err: errorMessage(err), user: authn.user.name, verb: attr.verb, subresource: attr.subresource }, 'Authorization error');
        return { status: 500, body: authorizationErrorBody(authn.user.name, attr) };
      }
    }
    this.#o.logger.debug({ user: authn.user.name, verb: attrs[0]?.verb, subresources: attrs.map((a) => a.subresource) }, 'Forbidden');
    return { status: 403, body: forbiddenBody(authn.user.name, attrs) };
  }

  /** Checks shared by plain and upgrade requests after the gate: 404, debugging off, 405. */
  #routeCheck(route: KubeletRoute | undefined, method: string): Answer | undefined {
    if (route === undefined) return { status: 404, body: NOT_FOUND };
    if (!this.#o.enableDebuggingHandlers && DEBUGGING_ROUTES.has(route.kind)) return { status: 405, body: 'Debug endpoints are disabled.\n' };
    if (route.kind === 'debugOther') return { status: 404, body: NOT_FOUND };
    const allowed = ROUTE_METHODS[route.kind];
    if (!allowed.includes(method)) return { status: 405, body: 'Method Not Allowed', headers: { Allow: allowed.join(', ') } };
    return undefined;
  }

  #observe(req: IncomingMessage, route: KubeletRoute | undefined): (() => void) | undefined {
    if (!this.#metrics) return undefined;
    const bucket = metricBucket(route);
    const method = ['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT'].includes(req.method ?? '') ? (req.method ?? 'other') : 'other';
    const labels = { method, path: bucket, server_type: 'readwrite', long_running: String(LONG_RUNNING.has(bucket)) };
    this.#metrics.total.inc(labels);
    this.#metrics.inflight.inc(labels);
    const stop = this.#metrics.duration.startTimer(labels);
    return () => {
      stop();
      this.#metrics?.inflight.dec(labels);
    };
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const route = matchKubeletRoute(url.pathname);
    const done = this.#observe(req, route);
    if (done) res.once('close', done);
    try {
      const gate = await this.#gate(req, url.pathname);
      if (!('user' in gate)) return sendText(res, gate.status, gate.body, gate.headers);
      const refused = this.#routeCheck(route, req.method ?? '');
      if (refused !== undefined || route === undefined) return sendText(res, refused?.status ?? 404, refused?.body ?? NOT_FOUND, refused?.headers);
      await this.#handle(route, url, req, res);
    } catch (err) {
      if (err instanceof KubeletHttpError) return sendText(res, err.status, err.body, err.headers);
      this.#o.logger.error({ err: errorMessage(err), path: url.pathname }, 'kubelet endpoint request failed');
      sendText(res, 500, `Internal Error: ${errorMessage(err)}`);
    }
  }

  async #handle(route: KubeletRoute, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    switch (route.kind) {
      case 'healthz':
        return this.#healthz(route.check, url.searchParams, res);
      case 'pods':
        return sendJson(res, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: this.#o.backend.listPods() });
      case 'runningpods':
        return sendJson(res, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: this.#o.backend.listPods().filter((p) => p.status?.containerStatuses?.some((s) => s.state?.running)).map(runningPod) });
      case 'configz':
        return sendJson(res, { kubeletconfig: this.#o.configz() });
      case 'metrics': {
        if (!this.#o.registry) return sendText(res, 404, NOT_FOUND);
        const text = await this.#o.registry.metrics();
        res.writeHead(200, { 'Content-Type': this.#o.registry.contentType });
        res.end(text);
        return;
      }
      case 'metricsResource':
      case 'metricsCadvisor':
      case 'metricsProbes':
        return this.#statsMetrics(route.kind, res);
      case 'statsSummary': {
        const stats = this.#o.stats;
        if (!stats) return sendText(res, 404, NOT_FOUND);
        const only = url.searchParams.getAll('only_cpu_and_memory');
        try {
          return sendJson(res, await stats.summary(only.length === 1 && only[0] === 'true'));
        } catch (err) {
          return sendText(res, 500, `Internal Error: ${errorMessage(err)}`);
        }
      }
      case 'containerLogs':
        return this.#containerLogs(route, url.searchParams, res);
      case 'exec':
      case 'attach':
      case 'portForward':
        // UpgradeAwareHandler with upgradeRequired: a plain request is refused (responder.Error: 500).
        return sendText(res, 500, 'Upgrade request required\n');
      case 'debugOther':
        return sendText(res, 404, NOT_FOUND);
    }
    void req;
  }

  async #statsMetrics(kind: 'metricsResource' | 'metricsCadvisor' | 'metricsProbes', res: ServerResponse): Promise<void> {
    const stats = this.#o.stats;
    if (!stats) return sendText(res, 404, NOT_FOUND);
    let m: MetricsText;
    try {
      m = kind === 'metricsResource' ? await stats.resourceMetrics() : kind === 'metricsCadvisor' ? await stats.cadvisorMetrics() : await stats.probeMetrics();
    } catch (err) {
      return sendText(res, 500, `An error has occurred while serving metrics:\n\n${errorMessage(err)}`);
    }
    res.writeHead(200, { 'Content-Type': m.contentType, 'Content-Length': Buffer.byteLength(m.body) });
    res.end(m.body);
  }

  /**
   * k8s.io/apiserver healthz: ping, log and syncloop (the agent's health); `verbose` lists each,
   * `exclude` skips some; /healthz/<name> runs one. A failure is 500 with the list and
   * `healthz check failed` (reasons withheld unless verbose).
   */
  #healthz(check: string | undefined, query: URLSearchParams, res: ServerResponse): void {
    const health = this.#o.backend.healthy();
    const checks: { name: string; error?: string }[] = [{ name: 'ping' }, { name: 'log' }, { name: 'syncloop', ...(health.ok ? {} : { error: health.reason ?? 'unhealthy' }) }];
    if (check !== undefined) {
      const one = checks.find((c) => c.name === check);
      if (!one) return sendText(res, 404, NOT_FOUND);
      return one.error === undefined ? sendText(res, 200, 'ok') : sendText(res, 500, `internal server error: ${one.error}\n`);
    }
    const excluded = new Set(query.getAll('exclude'));
    const verbose = query.has('verbose');
    let out = '';
    let failed = false;
    for (const c of checks) {
      if (excluded.has(c.name)) {
        out += `[+]${c.name} excluded: ok\n`;
        continue;
      }
      if (c.error === undefined) out += `[+]${c.name} ok\n`;
      else {
        failed = true;
        out += verbose ? `[-]${c.name} failed: ${c.error}\n` : `[-]${c.name} failed: reason withheld\n`;
      }
    }
    if (failed) return sendText(res, 500, `${out}healthz check failed\n`);
    return sendText(res, 200, verbose ? `${out}healthz check passed\n` : 'ok');
  }

  /** getContainerLogs: path checks, the query, the pod and container, then the stream. */
  async #containerLogs(route: Extract<KubeletRoute, { kind: 'containerLogs' }>, query: URLSearchParams, res: ServerResponse): Promise<void> {
    if (route.pod === '') throw new KubeletHttpError(400, '{"message": "Missing podID."}');
    if (route.container === '') throw new KubeletHttpError(400, '{"message": "Missing container name."}');
    if (route.namespace === '') throw new KubeletHttpError(400, '{"message": "Missing podNamespace."}');
    const opts = parseContainerLogsQuery(query);
    const pod = this.#o.backend.listPods().find((p) => p.metadata?.namespace === route.namespace && p.metadata?.name === route.pod);
    if (pod === undefined) throw new KubeletHttpError(404, `pod "${route.pod}" does not exist`);
    if (!specContainers(pod).includes(route.container)) throw new KubeletHttpError(404, `container "${route.container}" not found in pod "${route.pod}"`);
    try {
      await writeLogStream(this.#o.backend as ApiBackend, this.#o.logger, pod, { container: route.container, ...opts }, res);
    } catch (err) {
      // GetKubeletContainerLogs failed before writing: 400 with its text.
      if (err instanceof ApiError || err instanceof Error) throw new KubeletHttpError(400, err.message);
      throw err;
    }
  }

  async #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const route = matchKubeletRoute(url.pathname);
    const done = this.#observe(req, route);
    if (done) socket.once('close', done);
    try {
      const gate = await this.#gate(req, url.pathname);
      if (!('user' in gate)) return sendRaw(socket, gate.status, gate.body, gate.headers);
      const refused = this.#routeCheck(route, req.method ?? '');
      if (refused !== undefined || route === undefined) return sendRaw(socket, refused?.status ?? 404, refused?.body ?? NOT_FOUND, refused?.headers);
      if (route.kind !== 'exec' && route.kind !== 'attach' && route.kind !== 'portForward') return sendRaw(socket, 400, 'Bad Request');
      this.#stream(route, url.searchParams, req, socket, head);
    } catch (err) {
      if (err instanceof KubeletHttpError) return sendRaw(socket, err.status, err.body, err.headers);
      this.#o.logger.error({ err: errorMessage(err), path: url.pathname }, 'kubelet endpoint upgrade failed');
      sendRaw(socket, 500, errorMessage(err));
    }
  }

  /** getExec / getAttach / getPortForward: options, the pod, then the streams own the socket. */
  #stream(route: Extract<KubeletRoute, { kind: 'exec' | 'attach' | 'portForward' }>, query: URLSearchParams, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const streams = this.#o.streams;
    if (route.kind === 'portForward') {
      const ports = parsePortForwardPorts(query);
      const pod = this.#findPod(route.namespace, route.pod);
      if (pod === undefined) throw new KubeletHttpError(404, 'pod does not exist');
      if (route.uid !== undefined && route.uid !== pod.metadata?.uid) throw new KubeletHttpError(404, 'pod not found');
      if (!streams) throw new KubeletHttpError(500, 'streaming is not available');
      streams.portForward({ namespace: route.namespace, pod: route.pod, ...(route.uid ? { uid: route.uid } : {}), ports }, req, socket, head);
      return;
    }
    const options = parseStreamOptions(query);
    const pod = this.#findPod(route.namespace, route.pod);
    if (pod === undefined) throw new KubeletHttpError(404, 'pod does not exist');
    // GetExec/GetAttach find the container by name in the runtime's pod: `container not found ("c")`, 500 (streaming.WriteError).
    if (!specContainers(pod).includes(route.container)) throw new KubeletHttpError(500, `container not found ("${route.container}")`);
    if (!streams) throw new KubeletHttpError(500, 'streaming is not available');
    const target = { namespace: route.namespace, pod: route.pod, ...(route.uid ? { uid: route.uid } : {}), container: route.container, ...options };
    if (route.kind === 'exec') streams.exec({ ...target, command: query.getAll('command') }, req, socket, head);
    else streams.attach(target, req, socket, head);
  }

  #findPod(namespace: string, name: string): Pod | undefined {
    return this.#o.backend.listPods().find((p) => p.metadata?.namespace === namespace && p.metadata?.name === name);
  }
}
