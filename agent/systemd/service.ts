// nodelet as a Type=notify systemd service: READY=1 once the first full sync is done, a STATUS=
// line whenever the pod counts change, WATCHDOG=1 at half of WatchdogSec, RELOADING=1/READY=1
// around a config reload and STOPPING=1 on shutdown. Without $NOTIFY_SOCKET every method is a
// no-op, so `nodelet run` by hand behaves exactly the same.
import type { Clock } from '../core/clock.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { Notifier, monotonicUsec, notifySocket, systemdNotifyCommand, watchdogIntervalMs, type NotifyTransport } from './notify.js';
import { statusText } from './status-text.js';

/** What the service needs to see of the agent (agent.ts Agent provides it). */
export interface ServiceAgentView {
  readonly synced: boolean;
  readonly runtimeHealthy: boolean;
  /** The pods with their stored status (read only). */
  pods(): Pod[];
  waitForFirstSync(): Promise<void>;
}

export interface SystemdServiceDeps {
  readonly agent: ServiceAgentView;
  readonly dockerHost: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly env: NodeJS.ProcessEnv;
  readonly pid: number;
  /** Defaults to running systemd-notify; tests pass their own. */
  readonly transport?: NotifyTransport;
  /** How often the STATUS text is recomputed (sent only when it changed). Default 2 s. */
  readonly statusIntervalMs?: number;
}

export interface SystemdService {
  /** True when systemd listens ($NOTIFY_SOCKET is set). */
  readonly enabled: boolean;
  /** A reload starts (SIGHUP). */
  reloading(): Promise<void>;
  /** A reload ended, applied or not: the service is ready again. */
  reloaded(): Promise<void>;
  /** Shutdown starts; containers keep running. Stops the timers. */
  stopping(): Promise<void>;
  /** Stops the timers and waits for queued notifications. */
  close(): Promise<void>;
}

const DISABLED: SystemdService = {
  enabled: false,
  reloading: () => Promise.resolve(),
  reloaded: () => Promise.resolve(),
  stopping: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

export function startSystemdService(deps: SystemdServiceDeps): SystemdService {
  if (notifySocket(deps.env) === undefined) return DISABLED;
  const log = deps.logger.child({ component: 'systemd' });
  let lastError: string | undefined;
  const notifier = new Notifier(deps.transport ?? systemdNotifyCommand({ env: deps.env }), (err) => {
    // One line per distinct problem (a missing systemd-notify would otherwise log every ping).
    const message = errorMessage(err);
    if (message === lastError) return;
    lastError = message;
    log.warn({ err: message }, 'cannot notify systemd');
  });

  let ready = false;
  let closed = false;
  let lastStatus: string | undefined;
  const currentStatus = (): string =>
    statusText({
      synced: deps.agent.synced,
      runtimeHealthy: deps.agent.runtimeHealthy,
      dockerHost: deps.dockerHost,
      phases: deps.agent.pods().map((p) => p.status?.phase),
    });
  const statusState = (): Record<string, string> => {
    lastStatus = currentStatus();
    return { STATUS: lastStatus };
  };
  const refreshStatus = (): void => {
    if (closed) return;
    const text = currentStatus();
    if (text === lastStatus) return;
    lastStatus = text;
    void notifier.send({ STATUS: text });
  };

  const timers: { cancel(): void }[] = [];
  // The watchdog proves the event loop runs. It is not tied to Docker's health: an engine
  // outage is something nodelet waits out, and a restart would not cure it.
  const watchdogMs = watchdogIntervalMs(deps.env, deps.pid);
  if (watchdogMs !== undefined) {
    timers.push(deps.clock.setInterval(() => void notifier.send({ WATCHDOG: '1' }), watchdogMs));
    void notifier.send({ WATCHDOG: '1' });
  }
  timers.push(deps.clock.setInterval(refreshStatus, deps.statusIntervalMs ?? 2000));
  refreshStatus();
  void deps.agent.waitForFirstSync().then(() => {
    if (closed) return;
    ready = true;
    log.info({ watchdogMs }, 'notifying systemd: ready');
    void notifier.send({ READY: '1', ...statusState() });
  });

  const stopTimers = (): void => {
    closed = true;
    for (const t of timers) t.cancel();
  };
  return {
    enabled: true,
    reloading: () => notifier.send({ RELOADING: '1', MONOTONIC_USEC: monotonicUsec(), STATUS: 'reloading the configuration' }),
    // Before the first sync, READY=1 is not ours to send yet: the first-sync hook sends it.
    reloaded: () => notifier.send(ready ? { READY: '1', ...statusState() } : statusState()),
    stopping: () => {
      stopTimers();
      return notifier.send({ STOPPING: '1', STATUS: 'stopping; pod containers keep running' });
    },
    close: async () => {
      stopTimers();
      await notifier.flush();
    },
  };
}
