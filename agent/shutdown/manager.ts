// The graceful node shutdown manager (the kubelet's nodeshutdown_manager_linux.go): holds a
// logind delay lock, and on PrepareForShutdown(true) marks the node as shutting down, kills the
// pods group by group (plan.ts) through the agent's normal kill path (preStop hooks, grace
// periods), then releases the lock so logind goes on. PrepareForShutdown(false) (the shutdown
// was cancelled) takes the lock again and the node is back to normal. It decides; the agent
// does the work through the ShutdownHost callbacks.
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import type { ShutdownConfig, ShutdownGracePeriodByPodPriority } from '../config/shutdown-config.js';
import type { InhibitLock, LogindPort, ShutdownWatch } from './logind.js';
import { groupByPriority, periodRequestedSeconds, shutdownGroups, type ShutdownCandidate } from './plan.js';
import {
  NODE_SHUTDOWN_EVENT_REASON,
  NODE_SHUTDOWN_NOT_ADMITTED_MESSAGE,
  NODE_SHUTDOWN_NOT_ADMITTED_REASON,
  NODE_SHUTTING_DOWN,
  SHUTDOWN_CANCELLED_MESSAGE,
  SHUTDOWN_DETECTED_MESSAGE,
} from './pod-status.js';

/** dbusReconnectPeriod: the watch is set up again this long after it ended. */
const RECONNECT_MS = 1000;
/** logind reads its config asynchronously after SIGHUP: the new value is awaited this long. */
const RELOAD_WAIT_MS = 2000;

/** What the manager asks of the agent. */
export interface ShutdownHost {
  /** The pods to stop (the kubelet's active pods). */
  pods(): ShutdownCandidate[];
  /** Kills `uid` with this grace period (preStop, SIGTERM, SIGKILL); resolves once nothing of it runs. */
  killPod(uid: string, gracePeriodSeconds: number): Promise<void>;
  /** The node started (true) or stopped (false, cancelled) shutting down: sync the node status now. */
  shuttingDownChanged(shuttingDown: boolean): void;
  /** A Node event. */
  nodeEvent(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface ShutdownManagerDeps {
  readonly config: ShutdownConfig;
  readonly logind: LogindPort;
  readonly host: ShutdownHost;
  readonly clock: Pick<Clock, 'monotonic' | 'sleep'>;
  readonly logger: Logger;
}

export type ShutdownAdmission = { readonly admit: true } | { readonly admit: false; readonly reason: string; readonly message: string };

export class ShutdownManager {
  readonly #d: ShutdownManagerDeps;
  readonly #log: Logger;
  readonly #groups: ShutdownGracePeriodByPodPriority[];
  #lock?: InhibitLock;
  #watch?: ShutdownWatch;
  #shuttingDown = false;
  #stopped = false;
  /** The shutdown in progress (tests await it). */
  #processing?: Promise<void>;

  constructor(deps: ShutdownManagerDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ component: 'shutdown' });
    this.#groups = shutdownGroups(deps.config);
  }

  get enabled(): boolean {
    return this.#groups.length > 0;
  }

  /**
   * Starts watching. Never throws: without the feature configured it logs the kubelet's line;
   * without logind (no D-Bus, a container) it logs once why and the node runs without it, as
   * the kubelet does when its manager cannot start.
   */
  async start(): Promise<void> {
    if (!this.enabled) {
      this.#log.info({}, 'No graceful configuration specified, node shutdown will be immediate');
      return;
    }
    this.#log.info({ shutdownGracePeriodByPodPriority: this.#groups }, 'Creating node shutdown manager');
    try {
      await this.#start();
    } catch (err) {
      this.#log.error({ err: errorMessage(err) }, 'Failed to start node shutdown manager; pods will not be stopped in order at node shutdown');
      return;
    }
    void this.#rewatch();
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.stop();
    this.#lock?.release();
  }

  /** ShutdownStatus(): the Ready condition's error while the node shuts down. */
  status(): string | undefined {
    return this.#shuttingDown ? NODE_SHUTTING_DOWN : undefined;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** The admit handler: every pod is refused once the node shuts down. */
  admit(): ShutdownAdmission {
    return this.#shuttingDown ? { admit: false, reason: NODE_SHUTDOWN_NOT_ADMITTED_REASON, message: NODE_SHUTDOWN_NOT_ADMITTED_MESSAGE } : { admit: true };
  }

  /** Resolves when the shutdown in progress (if any) has released the lock. */
  async processed(): Promise<void> {
    await this.#processing;
  }

  async #start(): Promise<void> {
    const { logind } = this.#d;
    const requestedS = periodRequestedSeconds(this.#groups);
    const current = await logind.inhibitDelayMaxUs();
    if (requestedS * 1_000_000 > current) {
      try {
        await logind.overrideInhibitDelay(requestedS);
      } catch (err) {
        throw new Error(`unable to override inhibit delay by shutdown manager: ${errorMessage(err)}`);
      }
      await logind.reload();
      let updated = await logind.inhibitDelayMaxUs();
      for (let waited = 0; updated < requestedS * 1_000_000 && waited < RELOAD_WAIT_MS; waited += 100) {
        await this.#d.clock.sleep(100);
        updated = await logind.inhibitDelayMaxUs();
      }
      if (requestedS * 1_000_000 > updated) {
        throw new Error(
          `node shutdown manager was unable to update logind InhibitDelayMaxSec to ${requestedS}s (ShutdownGracePeriod), current value of InhibitDelayMaxSec (${updated / 1_000_000}s) is less than requested ShutdownGracePeriod`,
        );
      }
      this.#log.info({ inhibitDelayMaxSec: updated / 1_000_000, file: 'logind.conf.d/99-kubelet.conf' }, 'raised logind InhibitDelayMaxSec to the shutdown grace period');
    }
    // Subscribed before the lock is taken, so no PrepareForShutdown can fall between the two.
    this.#watch = await logind.watch((shuttingDown) => this.#onSignal(shuttingDown));
    try {
      await this.#acquire();
    } catch (err) {
      this.#watch.stop();
      throw err;
    }
    this.#log.info({ delayMaxSec: requestedS }, 'holding a logind delay inhibitor lock for shutdown');
  }

  /** The kubelet restarts its watch (and takes the lock again) when the bus connection ends. */
  async #rewatch(): Promise<void> {
    while (!this.#stopped) {
      const why = this.#watch ? await this.#watch.ended : 'not watching';
      if (this.#stopped) return;
      this.#log.warn({ err: why }, 'Ended to watching the node for shutdown events');
      // Unlike the kubelet, no new lock while the node shuts down: logind would wait for it
      // until InhibitDelayMaxSec is over (the bus going away is part of the shutdown anyway).
      if (this.#shuttingDown) return;
      await this.#d.clock.sleep(RECONNECT_MS);
      if (this.#stopped) return;
      try {
        this.#watch = undefined;
        await this.#start();
      } catch (err) {
        this.#log.error({ err: errorMessage(err) }, 'Unable to watch the node for shutdown events');
      }
    }
  }

  async #acquire(): Promise<void> {
    const lock = await this.#d.logind.inhibit();
    this.#lock?.release();
    this.#lock = lock;
  }

  #onSignal(shuttingDown: boolean): void {
    this.#log.info({ event: shuttingDown ? 'shutdown' : 'cancelled' }, 'Shutdown manager detected new shutdown event');
    this.#d.host.nodeEvent('Normal', NODE_SHUTDOWN_EVENT_REASON, shuttingDown ? SHUTDOWN_DETECTED_MESSAGE : SHUTDOWN_CANCELLED_MESSAGE);
    if (this.#shuttingDown === shuttingDown) return;
    this.#shuttingDown = shuttingDown;
    this.#d.host.shuttingDownChanged(shuttingDown);
    if (shuttingDown) {
      this.#processing = this.#process();
      return;
    }
    void this.#acquire().then(
      () => this.#log.info({}, 'shutdown cancelled; holding the logind delay lock again'),
      (err: unknown) => this.#log.error({ err: errorMessage(err) }, 'shutdown cancelled, but the logind delay lock could not be taken again'),
    );
  }

  /** processShutdownEvent: group after group, each waited for until done or its period ends. */
  async #process(): Promise<void> {
    const { host, clock } = this.#d;
    const started = clock.monotonic();
    const groups = groupByPriority(this.#groups, host.pods());
    this.#log.info({ groups: groups.map((g) => ({ priority: g.priority, periodSeconds: g.periodSeconds, pods: g.pods.map((p) => p.name) })) }, 'Shutdown manager processing shutdown event');
    try {
      for (const group of groups) {
        // Empty groups take no time.
        if (group.pods.length === 0) continue;
        const groupStart = clock.monotonic();
        const kills = Promise.all(
          group.pods.map(async (p) => {
            this.#log.info({ pod: p.name, gracePeriod: p.gracePeriodSeconds, priority: group.priority }, 'Shutdown manager killing pod with gracePeriod');
            try {
              await host.killPod(p.uid, p.gracePeriodSeconds);
              this.#log.info({ pod: p.name, seconds: (clock.monotonic() - groupStart) / 1000 }, 'Shutdown manager finished killing pod');
            } catch (err) {
              this.#log.warn({ pod: p.name, err: errorMessage(err) }, 'Shutdown manager failed killing pod');
            }
          }),
        );
        const abort = new AbortController();
        const timedOut = await Promise.race([
          kills.then(() => false),
          clock.sleep(group.periodSeconds * 1000, abort.signal).then(
            () => true,
            () => false,
          ),
        ]);
        abort.abort();
        if (timedOut) this.#log.warn({ gracePeriod: group.periodSeconds, priority: group.priority }, 'Shutdown manager pod killing time out');
      }
    } finally {
      this.#lock?.release();
      this.#lock = undefined;
      this.#log.info({ seconds: (clock.monotonic() - started) / 1000 }, 'Shutdown manager completed processing shutdown event, node will shutdown shortly');
    }
  }
}
