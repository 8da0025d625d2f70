// Agent configuration: one frozen AgentConfig built by a pure resolver from flags, NODELET_*
// environment variables and the config file (flags win, then env, then file, then defaults),
// validated before the agent starts (ajv, with a validator generated ahead of time from config-file.schema.json).
import { validateConfigFile } from '../generated/validators.js';
import { ConfigError } from '../core/errors.js';
import { isDNS1123Subdomain } from '../manifest/names.js';
import { parseDuration } from '../core/duration.js';
import { resolveImageConfig, type ImageConfig } from './image-config.js';
import { resolveShutdownConfig, type ShutdownConfig } from './shutdown-config.js';
import { resolveNodeResourcesConfig, type NodeResourcesConfig } from './node-resources-config.js';
import { resolveEvictionConfig, type EvictionConfig } from './eviction-config.js';
import { parseQuantity } from '../manifest/quantity.js';
import { DEFAULT_CONTAINER_LOGS_DIR, DEFAULT_POD_LOGS_DIR } from '../podlogs/log-paths.js';
import { resolveKubeletServerConfig, type KubeletServerConfig } from './kubelet-server-config.js';
import { isIP } from 'node:net';

export interface AgentConfig {
  readonly manifestDir: string;
  readonly stateDir: string;
  /** kubelet's --root-dir: pods/<uid>, plugins/, plugins_registry/, device-plugins/. */
  readonly rootDir: string;
  readonly nodeName: string;
  readonly dockerHost: string;
  readonly apiSocket: string;
  /** Group of the admin socket: root-equivalent (exec in any pod, manifest edits, taints). */
  readonly apiSocketGroup?: string;
  /** The read-only socket (GETs only: get, describe, logs, events); '' = none. */
  readonly apiReadOnlySocket: string;
  readonly apiReadOnlySocketGroup?: string;
  /** Open connections allowed on each API socket; more are refused. */
  readonly apiMaxConnections: number;
  /** A connection with no request in flight is closed after this long without traffic (ms). */
  readonly apiIdleTimeoutMs: number;
  readonly podInfraImage: string;
  readonly podNetwork: string;
  readonly parallelism: number;
  /** Docker relist, the safety net under the events stream (ms). */
  readonly resyncPeriodMs: number;
  /** Full manifest-directory rescan (ms). */
  readonly fileCheckFrequencyMs: number;
  /** Per-path debounce of file events (ms). */
  readonly fileDebounceMs: number;
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  readonly validation: 'strict' | 'warn';
  readonly crashLoopBackOff: { readonly initialMs: number; readonly maxMs: number };
  /** Pulls, registry credentials and image GC (config-file keys named as the kubelet's). */
  readonly images: ImageConfig;
  /** Graceful node shutdown (config-file keys named as the kubelet's; off by default). */
  readonly shutdown: ShutdownConfig;
  /** Reservations, evictionHard (for allocatable), maxPods, the QoS cgroups (config-file keys named as the kubelet's). */
  readonly nodeResources: NodeResourcesConfig;
  /** The eviction manager's thresholds and periods (config-file keys named as the kubelet's). */
  readonly eviction: EvictionConfig;
  readonly nodeLabels: Readonly<Record<string, string>>;
  readonly nodeTaints: readonly { readonly key: string; readonly value?: string; readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
  /** Optional loopback listener for /healthz, /readyz, /metrics; empty = off. */
  readonly metricsAddress: string;
  /** kubeconfig of a node identity: report the Node, its Lease, mirror pods and events to that API server. Unset = off. */
  readonly kubeconfig?: string;
  /** Accept manifests others than root or the agent's user could write (off: refused). */
  readonly allowInsecureManifests: boolean;
  /** Host paths no manifest may mount (an entry and everything below it; `/` only itself). */
  readonly forbiddenHostPaths: readonly string[];
  /** The kubelet's podLogsDir: <ns>_<pod>_<uid>/<container>/<restart>.log links. */
  readonly podLogsDir: string;
  /** The <pod>_<ns>_<container>-<id>.log links (the kubelet's fixed /var/log/containers). */
  readonly containerLogsDir: string;
  /** containerLogMaxSize in bytes (Docker json-file max-size); negative: no limit. */
  readonly containerLogMaxSizeBytes: number;
  /** containerLogMaxFiles (Docker json-file max-file). */
  readonly containerLogMaxFiles: number;
  /** kubelet --node-ip: the node's InternalIP addresses (and pods' hostIP); empty = the host's first addresses. */
  readonly nodeIPs: readonly string[];
  /** The kubelet's HTTPS endpoint (port 10250): kubelet-server-config.ts. */
  readonly kubeletServer: KubeletServerConfig;
  readonly configFile?: string;
}

/** One option: its flag, config-file key and environment variable are derived from `key`. */
interface OptionDef {
  readonly key: string;
  readonly flag: string;
  readonly description: string;
  readonly kind: 'string' | 'integer' | 'duration' | 'enum' | 'boolean' | 'list';
  readonly values?: readonly string[];
}

export const OPTIONS: readonly OptionDef[] = [
  { key: 'manifestDir', flag: 'manifest-dir', kind: 'string', description: 'directory of Pod and DaemonSet manifests (alias --pod-manifest-path)' },
  { key: 'stateDir', flag: 'state-dir', kind: 'string', description: 'state directory (emptyDirs, revisions, node labels)' },
  { key: 'rootDir', flag: 'root-dir', kind: 'string', description: "kubelet root directory: pod volumes, CSI and device plugin sockets (kubelet's --root-dir)" },
  { key: 'nodeName', flag: 'node-name', kind: 'string', description: 'node name (default: hostname, lower-cased)' },
  { key: 'dockerHost', flag: 'docker-host', kind: 'string', description: 'Docker Engine endpoint (default: $DOCKER_HOST, else unix:///var/run/docker.sock)' },
  { key: 'apiSocket', flag: 'api-socket', kind: 'string', description: 'unix socket of the local API' },
  { key: 'apiSocketGroup', flag: 'api-socket-group', kind: 'string', description: 'group owning the API socket (mode 0660); its members are root-equivalent' },
  { key: 'apiReadOnlySocket', flag: 'api-read-only-socket', kind: 'string', description: "read-only API socket: get, describe, logs, events (default: the API socket's name with -ro; empty: off)" },
  { key: 'apiReadOnlySocketGroup', flag: 'api-read-only-socket-group', kind: 'string', description: 'group owning the read-only API socket (mode 0660)' },
  { key: 'apiMaxConnections', flag: 'api-max-connections', kind: 'integer', description: 'open connections allowed on each API socket' },
  { key: 'apiIdleTimeout', flag: 'api-idle-timeout', kind: 'duration', description: 'close an API connection idle (no request in flight) this long' },
  { key: 'podInfraImage', flag: 'pod-infra-image', kind: 'string', description: 'sandbox (pause) image' },
  { key: 'podNetwork', flag: 'pod-network', kind: 'string', description: "Docker network for pods without hostNetwork: 'bridge', a network name (the sandbox's address there is the pod IP), or 'none' (loopback only, no pod IP)" },
  { key: 'parallelism', flag: 'parallelism', kind: 'integer', description: 'pods synced in parallel' },
  { key: 'resyncPeriod', flag: 'resync-period', kind: 'duration', description: 'periodic Docker relist (safety net under the events stream)' },
  { key: 'fileCheckFrequency', flag: 'file-check-frequency', kind: 'duration', description: 'full rescan of the manifest directory' },
  { key: 'fileDebounce', flag: 'file-debounce', kind: 'duration', description: 'per-file debounce of change events' },
  { key: 'logLevel', flag: 'log-level', kind: 'enum', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], description: 'log level' },
  { key: 'validation', flag: 'validation', kind: 'enum', values: ['strict', 'warn'], description: 'unknown manifest fields: strict (error) or warn' },
  { key: 'metricsAddress', flag: 'metrics-address', kind: 'string', description: 'address:port for /healthz, /readyz and /metrics (empty: off)' },
  { key: 'kubeconfig', flag: 'kubeconfig', kind: 'string', description: 'kubeconfig of a node identity: report the Node, its Lease, mirror pods and events to that API server (empty: off)' },
  { key: 'allowInsecureManifests', flag: 'allow-insecure-manifests', kind: 'boolean', description: 'accept manifests and a manifest directory that group/others can write or another user owns' },
  { key: 'forbiddenHostPaths', flag: 'forbidden-host-paths', kind: 'list', description: 'comma-separated host paths no manifest may mount (each entry and below; / only itself)' },
  { key: 'podLogsDir', flag: 'pod-logs-dir', kind: 'string', description: "the kubelet's pod log directory: <ns>_<pod>_<uid>/<container>/<restart>.log" },
  { key: 'containerLogsDir', flag: 'container-logs-dir', kind: 'string', description: 'directory of the <pod>_<ns>_<container>-<id>.log links log shippers read' },
  { key: 'containerLogMaxSize', flag: 'container-log-max-size', kind: 'string', description: 'size at which Docker rotates a container log (quantity, e.g. 10Mi; negative: never)' },
  { key: 'containerLogMaxFiles', flag: 'container-log-max-files', kind: 'integer', description: 'log files kept per container, the current one included (at least 2)' },
  { key: 'nodeIP', flag: 'node-ip', kind: 'string', description: "the node's IP addresses (comma-separated, at most one per family): its InternalIP addresses and pods' hostIP (default: the host's first addresses)" },
  { key: 'enableServer', flag: 'enable-server', kind: 'boolean', description: "serve the kubelet's HTTPS endpoint (default: on when a kubeconfig is set)" },
  { key: 'address', flag: 'address', kind: 'string', description: "IP address of the kubelet endpoint (default 0.0.0.0; a non-loopback address needs authentication)" },
  { key: 'port', flag: 'port', kind: 'integer', description: 'port of the kubelet endpoint (default 10250)' },
  { key: 'tlsCertFile', flag: 'tls-cert-file', kind: 'string', description: "the kubelet endpoint's serving certificate (default: serverTLSBootstrap, else a self-signed pair in --cert-dir)" },
  { key: 'tlsPrivateKeyFile', flag: 'tls-private-key-file', kind: 'string', description: 'the key of --tls-cert-file' },
  { key: 'certDir', flag: 'cert-dir', kind: 'string', description: "directory of the kubelet endpoint's generated certificates (default <root-dir>/pki)" },
  { key: 'clientCaFile', flag: 'client-ca-file', kind: 'string', description: 'CA bundle that authenticates client certificates on the kubelet endpoint (user = CN, groups = O)' },
  { key: 'anonymousAuth', flag: 'anonymous-auth', kind: 'boolean', description: 'let requests without credentials in as system:anonymous (default false)' },
  { key: 'authenticationTokenWebhook', flag: 'authentication-token-webhook', kind: 'boolean', description: 'check bearer tokens with TokenReview (default true)' },
  { key: 'authorizationMode', flag: 'authorization-mode', kind: 'enum', values: ['Webhook', 'AlwaysAllow'], description: 'authorization of the kubelet endpoint: Webhook (SubjectAccessReview) or AlwaysAllow' },
];

const DEFAULTS = {
  manifestDir: '/etc/kubernetes/manifests',
  stateDir: '/var/lib/nodelet',
  rootDir: '/var/lib/kubelet',
  apiSocket: '/run/nodelet/nodelet.sock',
  apiMaxConnections: 256,
  apiIdleTimeout: '30s',
  podInfraImage: 'registry.k8s.io/pause:3.10',
  podNetwork: 'bridge',
  parallelism: 16,
  resyncPeriod: '10s',
  fileCheckFrequency: '20s',
  fileDebounce: '50ms',
  logLevel: 'info',
  validation: 'strict',
  metricsAddress: '',
  podLogsDir: DEFAULT_POD_LOGS_DIR,
  containerLogsDir: DEFAULT_CONTAINER_LOGS_DIR,
  containerLogMaxSize: '10Mi',
  containerLogMaxFiles: 5,
} as const;

export interface ConfigInputs {
  /** Parsed flags, camelCase keys (commander's output); only flags the user gave. */
  readonly flags: Readonly<Record<string, unknown>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Parsed config file, or undefined when there is none. */
  readonly file?: unknown;
  readonly configFile?: string;
  readonly hostname: string;
}

/** The read-only socket next to an admin socket: /run/nodelet/nodelet.sock -> /run/nodelet/nodelet-ro.sock. */
export function readOnlySocketFor(apiSocket: string): string {
  return apiSocket.endsWith('.sock') ? `${apiSocket.slice(0, -'.sock'.length)}-ro.sock` : `${apiSocket}-ro`;
}

export function envName(key: string): string {
  return 'NODELET_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

/** Pure: merges the sources and validates the result. Throws ConfigError with every problem listed. */
export function resolveConfig(inputs: ConfigInputs): AgentConfig {
  const problems: string[] = [];
  const where = inputs.configFile ?? 'config file';
  let file: Record<string, unknown> = {};
  if (inputs.file !== undefined && inputs.file !== null) {
    if (!validateConfigFile(inputs.file)) {
      for (const e of validateConfigFile.errors ?? []) {
        const path = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '';
        const extra = e.keyword === 'additionalProperties' ? ` "${String((e.params as { additionalProperty?: string }).additionalProperty)}"` : '';
        problems.push(`${where}: ${path ? path + ': ' : ''}${e.message ?? 'invalid'}${extra}`);
      }
    } else {
      file = inputs.file as Record<string, unknown>;
    }
  }
  if (file.podManifestPath !== undefined && file.manifestDir === undefined) file = { ...file, manifestDir: file.podManifestPath };

  const pick = (key: string): unknown => {
    if (inputs.flags[key] !== undefined) return inputs.flags[key];
    const fromEnv = inputs.env[envName(key)];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    if (file[key] !== undefined) return file[key];
    return (DEFAULTS as Record<string, unknown>)[key];
  };
  const str = (key: string): string => String(pick(key) ?? '');
  const duration = (key: string, raw: unknown): number => {
    const ms = raw === undefined ? undefined : parseDuration(raw as string | number);
    if (ms === undefined) {
      problems.push(`${key}: invalid duration ${JSON.stringify(raw)} (use e.g. 10s, 1m30s, 250ms)`);
      return 0;
    }
    return ms;
  };
  const integer = (key: string, min: number, max: number): number => {
    const raw = pick(key);
    const n = typeof raw === 'number' ? raw : /^\s*-?\d+\s*$/.test(String(raw)) ? Number.parseInt(String(raw), 10) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max) problems.push(`${key}: must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const parallelism = integer('parallelism', 1, 256);
  const apiMaxConnections = integer('apiMaxConnections', 1, 65536);
  // kubelet validation: "invalid MaxFiles %d, must be > 1".
  const containerLogMaxFiles = integer('containerLogMaxFiles', 2, 1000);
  const maxSizeRaw = pick('containerLogMaxSize') as string | number;
  const containerLogMaxSizeBytes = parseQuantity(maxSizeRaw);
  if (containerLogMaxSizeBytes === undefined) problems.push(`containerLogMaxSize: invalid quantity ${JSON.stringify(maxSizeRaw)} (use e.g. 10Mi, 500Ki)`);
  else if (containerLogMaxSizeBytes >= 0 && containerLogMaxSizeBytes < 1024) problems.push(`containerLogMaxSize: must be at least 1Ki or negative (no limit), got ${JSON.stringify(maxSizeRaw)}`);

  for (const opt of OPTIONS) {
    if (opt.kind !== 'enum') continue;
    if (opt.key === 'authorizationMode') continue;
    const v = str(opt.key);
    if (!opt.values?.includes(v)) problems.push(`${opt.key}: unsupported value ${JSON.stringify(v)}: supported values: ${opt.values?.map((x) => JSON.stringify(x)).join(', ')}`);
  }

  const allowInsecureManifests = parseBoolean(pick('allowInsecureManifests'));
  if (allowInsecureManifests === undefined) problems.push(`allowInsecureManifests: expected true or false, got ${JSON.stringify(pick('allowInsecureManifests'))}`);
  const forbiddenHostPaths = parseList(pick('forbiddenHostPaths'));
  for (const p of forbiddenHostPaths) if (!p.startsWith('/')) problems.push(`forbiddenHostPaths: ${JSON.stringify(p)} is not an absolute path`);

  const nodeName = (str('nodeName') || inputs.hostname).toLowerCase();
  if (isDNS1123Subdomain(nodeName).length > 0) {
    problems.push(`nodeName: ${JSON.stringify(nodeName)} is not a valid DNS-1123 subdomain (set --node-name)`);
  }
  const dockerHost = str('dockerHost') || inputs.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  const backoff = (file.crashLoopBackOff ?? {}) as { initial?: string | number; max?: string | number };
  const initialMs = duration('crashLoopBackOff.initial', backoff.initial ?? '10s');
  const maxMs = duration('crashLoopBackOff.max', backoff.max ?? '300s');
  if (initialMs > maxMs) problems.push('crashLoopBackOff: initial must not exceed max');

  const apiSocket = str('apiSocket');
  const readOnlyRaw = pick('apiReadOnlySocket');
  const apiReadOnlySocket = readOnlyRaw === undefined ? readOnlySocketFor(apiSocket) : String(readOnlyRaw);
  if (apiReadOnlySocket !== '' && apiReadOnlySocket === apiSocket) problems.push(`apiReadOnlySocket: must differ from apiSocket (${apiSocket})`);

  const config: AgentConfig = {
    manifestDir: str('manifestDir').replace(/(.)\/+$/, '$1'),
    stateDir: str('stateDir'),
    rootDir: str('rootDir').replace(/(.)\/+$/, '$1'),
    nodeName,
    dockerHost,
    apiSocket,
    apiSocketGroup: (pick('apiSocketGroup') as string | undefined) || undefined,
    apiReadOnlySocket,
    apiReadOnlySocketGroup: (pick('apiReadOnlySocketGroup') as string | undefined) || undefined,
    apiMaxConnections,
    apiIdleTimeoutMs: duration('apiIdleTimeout', pick('apiIdleTimeout')),
    podInfraImage: str('podInfraImage'),
    podNetwork: str('podNetwork'),
    parallelism,
    resyncPeriodMs: duration('resyncPeriod', pick('resyncPeriod')),
    fileCheckFrequencyMs: duration('fileCheckFrequency', pick('fileCheckFrequency')),
    fileDebounceMs: duration('fileDebounce', pick('fileDebounce')),
    logLevel: str('logLevel') as AgentConfig['logLevel'],
    validation: str('validation') as AgentConfig['validation'],
    crashLoopBackOff: { initialMs, maxMs },
    images: resolveImageConfig(file, problems),
    shutdown: resolveShutdownConfig(file, problems),
    nodeResources: resolveNodeResourcesConfig(file, problems),
    eviction: resolveEvictionConfig(file, problems),
    nodeLabels: (file.nodeLabels ?? {}) as Record<string, string>,
    nodeTaints: (file.nodeTaints ?? []) as AgentConfig['nodeTaints'],
    metricsAddress: str('metricsAddress'),
    kubeconfig: str('kubeconfig') || undefined,
    allowInsecureManifests: allowInsecureManifests ?? false,
    forbiddenHostPaths,
    podLogsDir: str('podLogsDir'),
    containerLogsDir: str('containerLogsDir'),
    containerLogMaxSizeBytes: containerLogMaxSizeBytes ?? 0,
    containerLogMaxFiles,
    nodeIPs: parseList(pick('nodeIP')),
    kubeletServer: resolveKubeletServerConfig(pick, file, { kubeconfig: str('kubeconfig') || undefined, rootDir: str('rootDir').replace(/(.)\/+$/, '$1') }, problems),
    configFile: inputs.configFile,
  };
  for (const ip of config.nodeIPs) if (isIP(ip) === 0) problems.push(`nodeIP: ${JSON.stringify(ip)} is not an IP address`);
  // kubelet: at most one IPv4 and one IPv6 address ("dual-stack --node-ip ... must include one IPv4 address and one IPv6 address").
  if (config.nodeIPs.length > 2 || (config.nodeIPs.length === 2 && isIP(config.nodeIPs[0] ?? '') === isIP(config.nodeIPs[1] ?? ''))) problems.push(`nodeIP: at most one IPv4 and one IPv6 address, got ${JSON.stringify(config.nodeIPs.join(','))}`);
  if (!config.rootDir.startsWith('/')) problems.push(`rootDir: ${JSON.stringify(config.rootDir)} is not an absolute path`);
  if (config.resyncPeriodMs < 1000) problems.push('resyncPeriod: must be at least 1s');
  if (config.fileCheckFrequencyMs < 1000) problems.push('fileCheckFrequency: must be at least 1s');
  if (config.apiIdleTimeoutMs < 1000) problems.push('apiIdleTimeout: must be at least 1s');
  for (const key of ['podLogsDir', 'containerLogsDir'] as const) if (!config[key].startsWith('/')) problems.push(`${key}: ${JSON.stringify(config[key])} is not an absolute path`);
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return Object.freeze(config);
}

/** A flag given bare is `true`; env values are text. */
function parseBoolean(raw: unknown): boolean | undefined {
  if (raw === undefined || typeof raw === 'boolean') return raw ?? false;
  const text = String(raw).trim().toLowerCase();
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no', ''].includes(text)) return false;
  return undefined;
}

/** A config-file array, or comma-separated text from a flag or the environment. */
function parseList(raw: unknown): string[] {
  if (raw === undefined) return [];
  const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
  return items.map((item) => item.trim()).filter((item) => item !== '');
}
