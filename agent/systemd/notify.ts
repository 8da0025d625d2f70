// sd_notify(3): how nodelet tells systemd it is ready, what it is doing, and that it is alive.
//
// The protocol is one datagram of `KEY=VALUE` lines sent to the AF_UNIX SOCK_DGRAM socket named
// by $NOTIFY_SOCKET. Node.js has no unix datagram sockets, and native addons cannot be built
// here (npm install scripts are disabled), so each message is handed to systemd's own
// `systemd-notify` tool, which ships with every systemd. That is the protocol's reference
// implementation rather than a re-implementation of it, and it needs nothing from npm.
//
// Attribution: systemd must know which unit a message belongs to. systemd-notify, run without
// --pid, sends its message with the credentials of its *parent* (it is made to be called by the
// service's own process), so systemd sees nodelet's main PID, which it tracks: no race with the
// helper exiting early, and NotifyAccess=main would accept it. Without CAP_SYS_ADMIN that
// claim is refused and systemd-notify falls back to its own PID, which is why the unit also says
// NotifyAccess=all (its cgroup holds nodelet and these helpers only; containers live under
// dockerd). Messages are sent one at a time, in order; whatever piles up meanwhile is merged.
//
// Without $NOTIFY_SOCKET (not started by systemd, Type=simple, tests) nothing is sent at all.
import { execFile } from 'node:child_process';

/** One notification: assignments such as READY=1, STATUS=…, WATCHDOG=1, RELOADING=1. */
export type NotifyState = Readonly<Record<string, string>>;

/** Delivers one notification to the service manager (an adapter: it does I/O). */
export interface NotifyTransport {
  send(state: NotifyState): Promise<void>;
}

const KEY = /^[A-Z][A-Z0-9_]*$/;

/**
 * The `KEY=VALUE` assignments of a notification, in a stable order. Pure. A value is one line
 * of the datagram, so line breaks become spaces; keys that are not upper-case identifiers are
 * dropped (systemd ignores them anyway).
 */
export function notifyAssignments(state: NotifyState): string[] {
  return Object.entries(state)
    .filter(([key]) => KEY.test(key))
    .map(([key, value]) => `${key}=${value.replace(/[\r\n]+/g, ' ')}`);
}

export interface SystemdNotifyCommandOptions {
  /** The helper to run (default: `systemd-notify`, looked up in PATH). */
  readonly command?: string;
  /** Environment of the helper; it needs NOTIFY_SOCKET. */
  readonly env: NodeJS.ProcessEnv;
  /** Give up on one message after this long (default 10 s). */
  readonly timeoutMs?: number;
}

/** A transport that runs `systemd-notify KEY=VALUE…` for each message. */
export function systemdNotifyCommand(opts: SystemdNotifyCommandOptions): NotifyTransport {
  const command = opts.command ?? 'systemd-notify';
  const timeout = opts.timeoutMs ?? 10_000;
  return {
    send: (state) =>
      new Promise<void>((resolve, reject) => {
        execFile(command, notifyAssignments(state), { env: opts.env, timeout, windowsHide: true }, (err, _stdout, stderr) => {
          if (!err) {
            resolve();
            return;
          }
          const detail = stderr.trim();
          reject(new Error(`${command} failed: ${detail || err.message}`));
        });
      }),
  };
}

/**
 * Serializes notifications over a transport. While one message is on its way, later ones are
 * merged (a newer value of a key replaces the older one and moves after the others), so systemd sees them in order
 * and a burst of status changes costs one helper run. Failures go to `onError`, never thrown:
 * losing a STATUS line must not disturb the agent.
 */
export class Notifier {
  readonly #transport: NotifyTransport;
  readonly #onError: (err: unknown) => void;
  #pending: Record<string, string> | undefined;
  #pendingDone: Promise<void> | undefined;
  #inFlight: Promise<void> = Promise.resolve();

  constructor(transport: NotifyTransport, onError: (err: unknown) => void) {
    this.#transport = transport;
    this.#onError = onError;
  }

  /** Queues `state`; resolves once it (merged with others) was delivered or failed. */
  send(state: NotifyState): Promise<void> {
    const queued = this.#pending;
    if (queued) {
      // Re-inserted at the end: systemd reads READY/RELOADING/STOPPING as "the last one wins".
      for (const [key, value] of Object.entries(state)) {
        delete queued[key];
        queued[key] = value;
      }
      return this.#pendingDone ?? Promise.resolve();
    }
    const pending: Record<string, string> = { ...state };
    this.#pending = pending;
    const done = this.#inFlight.then(async () => {
      this.#pending = undefined;
      this.#pendingDone = undefined;
      try {
        await this.#transport.send(pending);
      } catch (err) {
        this.#onError(err);
      }
    });
    this.#pendingDone = done;
    this.#inFlight = done;
    return done;
  }

  /** Resolves when everything queued so far was handled. */
  async flush(): Promise<void> {
    await this.#inFlight;
  }
}

/** The notification socket systemd gave us, or undefined when not run as a Type=notify service. */
export function notifySocket(env: NodeJS.ProcessEnv): string | undefined {
  const socket = env.NOTIFY_SOCKET;
  return socket !== undefined && socket !== '' ? socket : undefined;
}

/**
 * How often to send WATCHDOG=1, in ms: half of WatchdogSec (sd_watchdog_enabled(3) advice).
 * Pure. Undefined when systemd asked for no watchdog, or asked another process (WATCHDOG_PID
 * names the main PID; a child that inherited the variable must stay quiet).
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usecText = env.WATCHDOG_USEC;
  if (usecText === undefined || !/^\d+$/.test(usecText)) return undefined;
  const usec = Number(usecText);
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  const pidText = env.WATCHDOG_PID;
  if (pidText !== undefined && pidText !== '' && pidText !== String(pid)) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/** CLOCK_MONOTONIC in µs, for RELOADING=1's MONOTONIC_USEC (libuv's hrtime is that clock). */
export function monotonicUsec(): string {
  return (process.hrtime.bigint() / 1000n).toString();
}
