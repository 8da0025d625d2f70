// `nodelet run`: flags (kubelet-style names), then NODELET_* env, then the config file.
import { Command, Option } from 'commander';
import { OPTIONS } from '../config/config.js';
import { isNodeletError, errorMessage } from '../core/errors.js';
import { loadConfig, startAgent } from '../main.js';
import { systemClock } from '../core/clock.js';
import { startSystemdService } from '../systemd/service.js';

export function registerRunCommand(program: Command): void {
  const cmd = program
    .command('run')
    .description('run the agent: watch the manifest directory and reconcile containers on Docker')
    .option('--config <file>', 'config file (default /etc/nodelet/config.yaml)')
    .addOption(new Option('--pod-manifest-path <dir>', 'alias of --manifest-dir').hideHelp());
  for (const opt of OPTIONS) {
    // A boolean flag alone means true (`--allow-insecure-manifests`); `=false` still turns it off.
    const argument = opt.kind === 'boolean' ? '[bool]' : opt.kind === 'integer' ? '<n>' : '<value>';
    const o = new Option(`--${opt.flag} ${argument}`, opt.description);
    if (opt.values) o.choices([...opt.values]);
    cmd.addOption(o);
  }
  cmd.action(async (opts: Record<string, unknown>) => {
    const flags: Record<string, unknown> = { ...opts };
    if (flags.podManifestPath !== undefined && flags.manifestDir === undefined) flags.manifestDir = flags.podManifestPath;
    delete flags.podManifestPath;
    // --api-socket and --api-read-only-socket are program-level options shared with the client commands.
    const globals = program.opts<{ apiSocket?: string; apiReadOnlySocket?: string }>();
    const given = (key: string): boolean => program.getOptionValueSource(key) === 'cli' || program.getOptionValueSource(key) === 'env';
    if (given('apiSocket')) flags.apiSocket = globals.apiSocket;
    if (given('apiReadOnlySocket')) flags.apiReadOnlySocket = globals.apiReadOnlySocket;
    let running: Awaited<ReturnType<typeof startAgent>> | undefined;
    // SIGHUP (`systemctl reload nodelet`) re-reads the config; without a handler it would kill
    // the process, so the handler is in place before anything slow starts.
    let hupBeforeStart = false;
    let reload = (): void => {
      hupBeforeStart = true;
    };
    process.on('SIGHUP', () => reload());
    try {
      const config = await loadConfig(flags);
      running = await startAgent(config, { loadConfig: () => loadConfig(flags) });
    } catch (err) {
      console.error(`nodelet: ${isNodeletError(err) ? err.message : errorMessage(err)}`);
      process.exitCode = isNodeletError(err, 'NLT_CONFIG_INVALID') ? 2 : 1;
      return;
    }
    const agent = running;
    const service = startSystemdService({ agent: agent.agent, dockerHost: agent.config.dockerHost, clock: systemClock, logger: agent.logger, env: process.env, pid: process.pid });
    let reloads = Promise.resolve();
    reload = () => {
      reloads = reloads.then(async () => {
        agent.logger.info({ signal: 'SIGHUP' }, 'reloading the configuration');
        await service.reloading();
        await agent.reloadConfig().catch((err: unknown) => agent.logger.error({ err: errorMessage(err) }, 'config reload failed; the running config stays'));
        await service.reloaded();
      });
    };
    if (hupBeforeStart) reload();
    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      agent.logger.info({ signal }, 'shutting down');
      void service
        .stopping()
        .then(() => agent.stop())
        .then(() => service.close())
        .then(() => process.exit(0));
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });
}
