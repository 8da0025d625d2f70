// Composition root: the only place that constructs adapters (dockerode, chokidar via the
// file source, pino, the filesystem). Everything else receives its dependencies.
import { readFile } from 'node:fs/promises';
import { hostname, networkInterfaces, cpus, totalmem } from 'node:os';
import Docker from 'dockerode';
import yaml from 'js-yaml';
import { resolveConfig, type AgentConfig } from './config/config.js';
import { ConfigError, errorMessage } from './core/errors.js';
import { systemClock } from './core/clock.js';
import { createLogger, type Logger } from './log/logger.js';
import { DockerRuntime } from './runtime/docker/docker-runtime.js';
import { NodeHostFs } from './runtime/host-fs.js';
import { FileSource } from './source/file-source.js';
import { parseManifestFile } from './manifest/parse-file.js';
import { EventStore } from './events/event-store.js';
import { Agent } from './agent.js';
import type { TranslateContext } from './translate/container-spec.js';

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
  readonly config: AgentConfig;
  stop(): Promise<void>;
}

/** Builds and starts everything for `nodelet run`. */
export async function startAgent(config: AgentConfig, opts: { logger?: Logger } = {}): Promise<RunningAgent> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel, base: { node: config.nodeName } });
  const clock = systemClock;
  const docker = new Docker(dockerOptions(config.dockerHost));
  const runtime = new DockerRuntime({ docker, nodeName: config.nodeName, logger: logger.child({ component: 'docker' }) });
  const hostFs = new NodeHostFs();
  const events = new EventStore({ clock, source: `nodelet, ${config.nodeName}` });
  const source = new FileSource(
    {
      dir: config.manifestDir,
      parseFile: (text, file) => parseManifestFile(text, file, { validation: config.validation }),
      debounceMs: config.fileDebounceMs,
      rescanMs: config.fileCheckFrequencyMs,
    },
    { logger: logger.child({ component: 'manifests' }), clock },
  );
  const hostIPs = hostAddresses();
  const translate: TranslateContext = {
    nodeName: config.nodeName,
    hostIPs,
    podIPs: [],
    stateDir: config.stateDir,
    podNetwork: config.podNetwork,
    podInfraImage: config.podInfraImage,
    nodeAllocatable: { cpuMilli: cpus().length * 1000, memoryBytes: totalmem() },
  };
  const agent = new Agent({ config, runtime, hostFs, source, clock, logger, events, translate });
  logger.info({ manifestDir: config.manifestDir, stateDir: config.stateDir, docker: config.dockerHost }, 'nodelet starting');
  await agent.start();
  return {
    agent,
    logger,
    config,
    stop: async () => {
      await agent.stop();
      logger.info({}, 'nodelet stopped; containers left running');
      logger.flush();
    },
  };
}
