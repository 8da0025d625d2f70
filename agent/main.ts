// Composition root: the only place that constructs adapters (dockerode, chokidar via the
// file source, pino, the filesystem). Everything else receives its dependencies.
import { PluginManager } from './plugins/plugin-manager.js';
import { createKubeletDirs, kubeletDirs, legacyPodUids } from './plugins/kubelet-dirs.js';
import { makeRShared } from './host/mounts.js';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces, cpus, totalmem } from 'node:os';
import Docker from 'dockerode';
import yaml from 'js-yaml';
import { resolveConfig, type AgentConfig } from './config/config.js';
import { ConfigError, errorMessage } from './core/errors.js';
import { systemClock } from './core/clock.js';
import { createLogger, type Logger } from './log/logger.js';
import { DockerRuntime } from './runtime/docker/docker-runtime.js';
import { NodeCredentials, loadCredentialProviders } from './images/credentials.js';
import { createPullLimiter, pullSlots } from './images/pull-limiter.js';
import { ImageGcManager, type ImageStore } from './images/image-gc.js';
import { createEvictionManager } from './eviction/create.js';
import { emptyDirPath, podsBase } from './translate/volumes.js';
import { PodLogs } from './podlogs/pod-logs.js';
import { NodeHostFs } from './host/host-fs.js';
import { NodeSubPather } from './host/subpath.js';
import { FileSource } from './source/file-source.js';
import { manifestHealth, nodeImages } from './node/node-status.js';
import { ALLOCATABLE_ENFORCED_EVENT, nodeRef, STARTING_EVENT } from './node/node-events.js';
import { NodeConditionTracker } from './node/node-conditions.js';
import { SystemdLogind } from './shutdown/logind.js';
import { StateDirLastValidStore } from './source/last-valid-store.js';
import { parseManifestFile } from './manifest/parse-file.js';
import { EventStore } from './events/event-store.js';
import { Agent } from './agent.js';
import type { TranslateContext } from './translate/context.js';
import { AgentApiBackend } from './api-backend.js';
import { startApiServer, type ApiServer } from './api/server.js';
import { createPeerLookup } from './api/peer-credentials.js';
import { createMetrics, observeDockerCall } from './api/metrics.js';
import { startHealthServer } from './api/health-server.js';
import { kubeletVersionString, NODELET_VERSION } from './version.js';
import { controlLogLevel } from './systemd/log-level.js';
import { applyReload, diffConfig, type ConfigReload } from './systemd/config-reload.js';
import { DISABLED_REPORTING } from './mirror/reporting-state.js';
import type { Reporter } from './mirror/reporter.js';
import { hostFacts } from './node/host-facts.js';
import { run as runCommand } from './host/mounts.js';
import { QosCgroups } from './qos/cgroups.js';
import { oomScoreFloor } from './qos/oom-score.js';
import { kubepodsLimits, nodeAllocatable, nodeCapacity, type NodeReservation } from './qos/allocatable.js';
import { podCapacity } from './config/node-resources-config.js';
import { ProbeMetrics } from './probe/probe-metrics.js';
import { NodeletKubeletStats } from './stats/kubelet-stats.js';

export const DEFAULT_CONFIG_FILE = '/etc/nodelet/config.yaml';

/** Reads the config file; a missing default file is fine, a missing explicit one is not. */
export async function loadConfig(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Promise<AgentConfig> {
  const explicit = typeof flags.config === 'string' ? flags.config : env.NODELET_CONFIG;
  const path = explicit ?? DEFAULT_CONFIG_FILE;
  let file: unknown;
  try {
    file = yaml.load(await readFile(path, 'utf8'), { filename: path }) ?? {};
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && explicit === undefined) file = undefined;
    else if (code === 'ENOENT') throw new ConfigError(`config file ${path} does not exist`);
    else throw new ConfigError(`cannot read config file ${path}: ${errorMessage(err)}`);
  }
  const { config: _config, ...rest } = flags;
  return resolveConfig({ flags: rest, env, file, configFile: file === undefined ? undefined : path, hostname: hostname() });
}

/** dockerode options for `unix:///path`, `tcp://host:port` or a bare socket path. */
export function dockerOptions(host: string): Docker.DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375), protocol: url.protocol === 'https:' ? 'https' : 'http' };
}

export function hostAddresses(): string[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      (a.family === 'IPv4' ? v4 : v6).push(a.address);
    }
  }
  const all = [...v4, ...v6.filter((a) => !a.startsWith('fe80'))];
  return all.length > 0 ? all.slice(0, 2) : ['127.0.0.1'];
}

export interface RunningAgent {
  readonly agent: Agent;
  readonly logger: Logger;
  /** The node's events (what `nodelet events` lists). */
  readonly events: EventStore;
  /** The config in effect (a reload replaces the reloadable settings). */
  readonly config: AgentConfig;
  /** The API server reporter, when a kubeconfig is configured. */
  readonly reporter: Reporter | undefined;
  /** The kubelet endpoint's stats and metrics (KubeletStats of kubelet-server/ports.ts). */
  readonly kubeletStats: NodeletKubeletStats;
  /** The port the kubelet endpoint listens on, when it is on. */
  readonly kubeletPort: number | undefined;
  stop(): Promise<void>;
  /**
   * Reads the config again (SIGHUP, `systemctl reload nodelet`) and applies what can change
   * live (systemd/config-reload.ts); pods are not touched. Throws ConfigError when the new
   * config is invalid or the agent was started without `loadConfig`; the running config stays.
   */
  reloadConfig(): Promise<ConfigReload>;
}

/**
 * The admin socket (every route; its group is root-equivalent) and, unless turned off, the
 * read-only socket (reads only). Writes and execs on either are audited with the caller's
 * SO_PEERCRED; both cap their connections.
 */
async function startApiServers(config: AgentConfig, deps: { backend: AgentApiBackend; registry: Parameters<typeof startApiServer>[0]['registry']; logger: Logger }): Promise<ApiServer[]> {
  const common = { ...deps, version: NODELET_VERSION, peer: createPeerLookup(), adminSocket: config.apiSocket, limits: { maxConnections: config.apiMaxConnections, idleTimeoutMs: config.apiIdleTimeoutMs } };
  const admin = await startApiServer({ ...common, socketPath: config.apiSocket, group: config.apiSocketGroup, role: 'admin' });
  if (config.apiReadOnlySocket === '') return [admin];
  try {
    return [admin, await startApiServer({ ...common, socketPath: config.apiReadOnlySocket, group: config.apiReadOnlySocketGroup, role: 'read-only' })];
  } catch (err) {
    await admin.close();
    throw err;
  }
}

/** The kubelet's node keyring: Docker config files under rootDir and the usual places, then the exec plugins. */
async function nodeCredentials(config: AgentConfig, logger: Logger): Promise<NodeCredentials> {
  const { imageCredentialProviderConfig: file, imageCredentialProviderBinDir: binDir } = config.images;
  const providers = file === undefined ? [] : await loadCredentialProviders(file, binDir);
  if (providers.length > 0) logger.info({ providers: providers.map((p) => p.name) }, 'image credential providers loaded');
  return new NodeCredentials({ rootDir: config.rootDir, providers, ...(binDir ? { providerBinDir: binDir } : {}), logger });
}

/** Builds and starts everything for `nodelet run`. */
export async function startAgent(
  config: AgentConfig,
  opts: { logger?: Logger; loadConfig?: () => Promise<AgentConfig>; /** Tests: the images GC may remove (the shared engine's others stay). */ imageStore?: ImageStore } = {},
): Promise<RunningAgent> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel, base: { node: config.nodeName } });
  const setLogLevel = controlLogLevel(logger);
  let current = config;
  const clock = systemClock;
  const docker = new Docker(dockerOptions(config.dockerHost));
  const metrics = createMetrics({ defaultMetrics: true });
  const credentials = await nodeCredentials(config, logger.child({ component: 'credentials' }));
  const podLogs = new PodLogs({ podLogsDir: config.podLogsDir, containerLogsDir: config.containerLogsDir, logger: logger.child({ component: 'logs' }) });
  const runtime = new DockerRuntime({
    docker,
    nodeName: config.nodeName,
    logger: logger.child({ component: 'docker' }),
    observe: (operation, call) => observeDockerCall(metrics, operation, call),
    credentials: credentials.lookup,
    pullLimiter: createPullLimiter(pullSlots(config.images)),
    containerLogs: { podLogs, settings: { maxSizeBytes: config.containerLogMaxSizeBytes, maxFiles: config.containerLogMaxFiles } },
  });
  const hostFs = new NodeHostFs();
  const events = new EventStore({ clock, source: `nodelet, ${config.nodeName}` });
  const source = new FileSource(
    {
      dir: config.manifestDir,
      parseFile: (text, file) => parseManifestFile(text, file, { validation: config.validation, forbiddenHostPaths: config.forbiddenHostPaths, nodeName: config.nodeName }),
      debounceMs: config.fileDebounceMs,
      rescanMs: config.fileCheckFrequencyMs,
      allowInsecureManifests: config.allowInsecureManifests,
      lastValidStore: new StateDirLastValidStore(config.stateDir, (path, data, mode) => hostFs.writeFileAtomic(path, data, mode)),
    },
    { logger: logger.child({ component: 'manifests' }), clock },
  );
  // kubelet --node-ip: the configured addresses, else the host's first ones.
  const hostIPs = config.nodeIPs.length > 0 ? [...config.nodeIPs] : hostAddresses();
  // kubelet's root directory: pod volumes under <rootDir>/pods, where CSI node plugins expect
  // them; pods an older nodelet started keep their directory under <stateDir>/pods.
  const kubeletRoot = kubeletDirs(config.rootDir);
  await createKubeletDirs(kubeletRoot);
  // kubelet's MakeRShared: CSI node plugins mount <rootDir>/pods with Bidirectional propagation.
  await makeRShared(config.rootDir).then(
    (mounted) => mounted && logger.info({ path: config.rootDir }, 'bind-mounted the kubelet root directory with shared mount propagation'),
    (err: unknown) => logger.warn({ path: config.rootDir, err: errorMessage(err) }, 'the kubelet root directory is not on a shared mount: volumes below it with HostToContainer or Bidirectional propagation will not start'),
  );
  const legacyPods = await legacyPodUids(config.stateDir, config.rootDir);
  if (legacyPods.size > 0) logger.info({ pods: legacyPods.size, path: `${config.stateDir}/pods`, rootDir: config.rootDir }, 'pods started by an older nodelet keep their directories under the state directory');
  const translate: TranslateContext = {
    nodeName: config.nodeName,
    hostIPs,
    podIPs: [],
    stateDir: config.stateDir,
    rootDir: config.rootDir,
    legacyPodUids: legacyPods,
    podNetwork: config.podNetwork,
    podInfraImage: config.podInfraImage,
    nodeAllocatable: { cpuMilli: cpus().length * 1000, memoryBytes: totalmem() },
    memoryCapacityBytes: totalmem(),
    ...oomScoreFloorLogged(logger),
  };
  // Node allocatable and the QoS cgroups (qos/): kubelet's reservations, maxPods, kubepods.
  const resources = config.nodeResources;
  const reservation: NodeReservation = { systemReserved: resources.systemReserved, kubeReserved: resources.kubeReserved, evictionHard: resources.evictionHard };
  const engine: { version?: string } = {};
  // The kubelet endpoint's port, advertised in status.daemonEndpoints once it listens.
  const kubeletEndpoint: { port?: number } = {};
  const host = hostFacts({
    kubeletVersion: kubeletVersionString(), hostname: config.nodeName, internalIPs: hostIPs, dockerVersion: () => engine.version, stateDir: config.stateDir,
    maxPods: podCapacity(resources, cpus().length), reservation, kubeletPort: () => kubeletEndpoint.port,
  });
  const agentRef: { agent?: Agent } = {};
  const podCgroups = new QosCgroups({
    settings: { cgroupsPerQOS: resources.cgroupsPerQOS, cgroupRoot: resources.cgroupRoot, podPidsLimit: resources.podPidsLimit },
    engine: () => runtime.cgroupInfo(),
    logger: logger.child({ component: 'qos-cgroups' }),
    kubepodsLimits: () => (resources.enforceNodeAllocatable.includes('pods') ? kubepodsLimits(nodeCapacity(host.facts()), reservation) : undefined),
    burstableCpuMilli: () => agentRef.agent?.burstableCpuMilli() ?? 0,
    run: runCommand,
  });
  const agent = new Agent({
    config, runtime, hostFs, subPaths: new NodeSubPather(), source, clock, logger, events, translate, podLogs,
    podCgroups,
    // Graceful node shutdown: the Ready condition turns False at once (the kubelet syncs the node status).
    logind: new SystemdLogind(),
    onNodeShutdown: () => {
      nodeConditions.update();
      reporting.reporter?.syncNodeStatusNow();
    },
    allocatable: () => nodeAllocatable(nodeCapacity(host.facts()), reservation),
  });
  agentRef.agent = agent;
  const plugins = new PluginManager({ dirs: kubeletRoot, clock, logger: logger.child({ component: 'plugins' }) });
  logger.info({ manifestDir: config.manifestDir, stateDir: config.stateDir, docker: config.dockerHost }, 'nodelet starting');
  const startedAt = clock.now();
  // The reporter starts once the agent has started; until then `get node` says reporting is off.
  const reporting: { reporter?: Reporter } = {};
  // The node's conditions: sampled on a tick and stored, read by `get node`.
  const imageGc = new ImageGcManager({
    store: opts.imageStore ?? runtime,
    policy: config.images.gc,
    periodMs: config.images.gc.periodMs,
    sandboxImage: config.podInfraImage,
    nodeName: config.nodeName,
    events,
    logger: logger.child({ component: 'image-gc' }),
  });
  imageGc.start();
  // The eviction manager: the source of the pressure conditions and of admission under pressure.
  const eviction = createEvictionManager({
    config: config.eviction,
    nodeName: config.nodeName,
    rootDir: config.rootDir,
    docker,
    host: agent.evictionHost(),
    images: imageGc,
    containersOf: (uid) => agent.observedPod(uid)?.containers ?? [],
    emptyDirPath: (uid, volume) => emptyDirPath(podsBase(translate, uid), uid, volume),
    clock,
    events,
    logger,
  });
  agent.setPressureAdmission((pod) => eviction.admit(pod));
  eviction.start();
  const nodeConditions = new NodeConditionTracker(
    () => ({ runtimeReady: agent.runtimeHealthy, ...eviction.pressure(), manifests: manifestHealth(agent.fileStatuses()), shutdown: agent.shutdownStatus() }),
    clock,
  );
  nodeConditions.start();
  const backend = new AgentApiBackend({
    agent,
    events,
    streams: runtime,
    nodeName: config.nodeName,
    version: NODELET_VERSION,
    host,
    reporting: () => reporting.reporter?.reportingState() ?? DISABLED_REPORTING,
    startedAt,
    nodeConditions: () => nodeConditions.conditions(),
    plugins: () => plugins.state(),
  });
  // The API sockets come up first, so `nodelet get pods` answers while the first sync runs.
  const apis = await startApiServers(config, { backend, registry: metrics.registry, logger: logger.child({ component: 'api' }) });
  const health = config.metricsAddress
    ? await startHealthServer(config.metricsAddress, { registry: metrics.registry, ready: () => backend.ready(), healthy: () => backend.healthy() })
    : undefined;
  agent.attachMetrics(metrics);
  // What the kubelet endpoint serves on /stats/summary and /metrics/{resource,cadvisor,probes}:
  // read from the cgroups only when asked (no timer); probe runs are counted from now on.
  const probeMetrics = new ProbeMetrics();
  agent.attachProbeMetrics(probeMetrics);
  const kubeletStats = new NodeletKubeletStats({
    nodeName: config.nodeName,
    pods: () => agent.observedPods(),
    rootFsPath: config.rootDir,
    imageFsPath: async () => (await docker.info() as { DockerRootDir?: string }).DockerRootDir,
    probeMetrics: () => probeMetrics.text(),
    logger: logger.child({ component: 'stats' }),
  });
  // kubelet's BirthCry and the container manager's start: Node events, sent to the API server
  // (if any) once the reporter runs, like every event recorded before it.
  for (const e of [STARTING_EVENT, ALLOCATABLE_ENFORCED_EVENT]) events.record(nodeRef(config.nodeName), e.type, e.reason, e.message);
  await agent.start();
  await plugins.start();
  engine.version = await runtime.version().then((v) => v.version).catch(() => undefined);
  // The kubelet's HTTPS endpoint (10250): on with a kubeconfig or when asked for; imported only
  // then. Its port is advertised from the config, as the kubelet does. With serverTLSBootstrap it
  // starts once the signer has issued the certificate, in the background: the Node registers
  // meanwhile (an approver may need to see it).
  const endpointStart = config.kubeletServer.enabled
    ? Promise.all([import('./kubelet-server/start.js'), import('./kubelet-server/streams.js')]).then(([m, s]) =>
        m.startKubeletEndpoint({
          config: config.kubeletServer,
          kubeconfig: config.kubeconfig,
          nodeName: config.nodeName,
          sans: [config.nodeName, ...hostIPs],
          backend,
          streams: s.createKubeletStreams({ backend, logger: logger.child({ component: 'kubelet-streams' }) }),
          stats: kubeletStats,
          registry: metrics.registry,
          clock,
          logger: logger.child({ component: 'kubelet-server' }),
        }),
      )
    : undefined;
  kubeletEndpoint.port = config.kubeletServer.enabled ? config.kubeletServer.port : undefined;
  let endpoint: Awaited<NonNullable<typeof endpointStart>> | undefined;
  if (endpointStart && !config.kubeletServer.serverTLSBootstrap) endpoint = await endpointStart;
  else
    endpointStart?.then(
      (e) => (endpoint = e),
      (err: unknown) => logger.error({ err: errorMessage(err) }, 'kubelet endpoint failed to start'),
    );
  // Optional: the Node, its Lease and mirror pods in an API server. Local pods never wait on it.
  // Imported only when configured: the reporter's client library costs tens of MB of memory.
  const reporter = config.kubeconfig
    ? (await import('./mirror/reporter.js')).startReporter({
        kubeconfigPath: config.kubeconfig,
        nodeName: config.nodeName,
        agent,
        events,
        nodeFacts: host.facts,
        nodePressure: () => ({ ...eviction.pressure(), manifests: manifestHealth(agent.fileStatuses()), shutdown: agent.shutdownStatus() }),
        nodeLabels: () => agent.nodeIdentity().labels,
        nodeTaints: () => agent.nodeIdentity().taints,
        nodePlugins: () => plugins.state(),
        nodeImages: async () => nodeImages(await runtime.listImages()),
        clock,
        logger: logger.child({ component: 'apiserver' }),
      })
    : undefined;
  reporting.reporter = reporter;
  return {
    agent,
    logger,
    events,
    reporter,
    kubeletStats,
    get config() {
      return current;
    },
    reloadConfig: async () => {
      if (!opts.loadConfig) throw new ConfigError('this agent was started without a config source to reload');
      const next = await opts.loadConfig();
      const change = diffConfig(current, next);
      current = applyReload(current, next);
      if (change.applied.includes('logLevel')) setLogLevel(current.logLevel);
      // Node labels/taints from the config reach the node identity: DaemonSet eligibility and
      // manifest Pod admission are evaluated again (the runtime label/taint overlay stays on top).
      agent.setConfigNode(current.nodeLabels, current.nodeTaints);
      logger.info({ changed: change.changed, applied: change.applied, needsRestart: change.needsRestart, logLevel: current.logLevel }, 'config reloaded');
      if (change.needsRestart.length > 0) logger.warn({ settings: change.needsRestart }, 'changed settings take effect at the next restart (pods keep running)');
      return change;
    },
    get kubeletPort() {
      return endpoint?.port;
    },
    stop: async () => {
      if (endpoint) await endpoint.stop();
      // Still waiting for its certificate: stopped whenever it comes.
      else void endpointStart?.then((e) => e.stop(), () => undefined);
      nodeConditions.stop();
      await eviction.stop();
      await imageGc.stop();
      await reporter?.stop();
      await plugins.stop();
      await agent.stop();
      await Promise.all(apis.map((api) => api.close()));
      await health?.close();
      logger.info({}, 'nodelet stopped; containers left running');
      logger.flush();
    },
  };
}

/**
 * Without CAP_SYS_RESOURCE the engine (on the same host, with the same capabilities) cannot set
 * a negative oom_score_adj and runc fails the container: scores are then raised to the agent's own
 * (containerd's restrict_oom_score_adj), said once in the log.
 */
function oomScoreFloorLogged(logger: Logger): { minOomScoreAdj?: number } {
  try {
    const own = oomScoreFloor(readFileSync('/proc/self/status', 'utf8'), readFileSync('/proc/self/oom_score_adj', 'utf8'));
    if (own === undefined) return {};
    logger.warn({ minOomScoreAdj: own }, 'no CAP_SYS_RESOURCE: negative OOM score adjustments (critical, Guaranteed, sandbox) are raised to the agent\'s own');
    return { minOomScoreAdj: own };
  } catch {
    return {};
  }
}
