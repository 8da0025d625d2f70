// The kubelet's plugin manager (pkg/kubelet/pluginmanager: pluginwatcher, reconciler,
// operationexecutor) for <rootDir>/plugins_registry: every unix socket found there or in a
// subdirectory (names starting with "." skipped) is a plugin that wants to register. Once a
// second (loopSleepDuration) the desired set (the sockets now on disk) is compared with the
// registered set: plugins whose socket went away or was replaced are deregistered first, then
// new sockets get the registration handshake (kubelet-node-contract.md 4.1):
//   dial (10 s) → GetInfo (1 s) → handler for info.type → ValidatePlugin → RegisterPlugin →
//   NotifyRegistrationStatus(true), or NotifyRegistrationStatus(false, error) at the step that failed.
// A failed handshake is retried with exponential back-off (500 ms doubling to 2m2s, as the
// kubelet's nestedpendingoperations) until the socket changes. fs.watch only wakes the loop
// early; the walk is the truth, so a missed event costs at most a second. An adapter: the
// messages and version checks are in registration.ts.
import { watch, type FSWatcher } from 'node:fs';
import { lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../core/clock.js';
import { backoffDelay, type ExponentialBackoff } from '../core/backoff.js';
import { errorMessage } from '../core/errors.js';
import { grpcErrorText, pluginServices, unary, unixClient, waitForReady } from './grpc-api.js';
import { normalizeInfo, REGISTER_ERRORS, type PluginInfo } from './registration.js';

/** What a plugin type's consumer does (cache.PluginHandler). Errors are thrown. */
export interface PluginHandler {
  validate(name: string, endpoint: string, versions: readonly string[]): void | Promise<void>;
  register(name: string, endpoint: string, versions: readonly string[]): Promise<void>;
  deregister(name: string, endpoint: string): void;
}

/** The kubelet's timings (plugin_manager.go, operation_generator.go, exponentialbackoff). */
export const PLUGIN_TIMING = {
  loopMs: 1000,
  dialTimeoutMs: 10_000,
  getInfoTimeoutMs: 1000,
  notifyTimeoutMs: 5000,
  backoff: { initialMs: 500, maxMs: 122_000 } satisfies ExponentialBackoff,
} as const;

export interface PluginWatcherDeps {
  readonly dir: string;
  readonly handlers: ReadonlyMap<string, PluginHandler>;
  readonly clock: Pick<Clock, 'monotonic' | 'setInterval'>;
  readonly logger: Logger;
}

interface Registered {
  readonly id: string;
  readonly info: PluginInfo;
  readonly handler: PluginHandler;
}

interface Failure {
  readonly id: string;
  readonly count: number;
  readonly retryAt: number;
}

/** The socket's identity: a socket removed and created again is another plugin instance. */
function socketId(st: { ino: number; birthtimeMs: number; ctimeMs: number }): string {
  return `${st.ino}:${st.birthtimeMs || st.ctimeMs}`;
}

export class PluginWatcher {
  readonly #d: PluginWatcherDeps;
  readonly #registered = new Map<string, Registered>();
  readonly #inFlight = new Set<string>();
  readonly #failures = new Map<string, Failure>();
  #timer?: { cancel(): void };
  #watcher?: FSWatcher;
  #reconciling = false;
  #again = false;
  #stopped = false;

  constructor(deps: PluginWatcherDeps) {
    this.#d = deps;
  }

  /** Creates the directory (kubelet: 0750 at setup), walks it once, then follows it. */
  async start(): Promise<void> {
    await mkdir(this.#d.dir, { recursive: true, mode: 0o750 });
    this.#d.logger.info({ path: this.#d.dir }, 'plugin watcher started');
    this.#follow();
    this.#timer = this.#d.clock.setInterval(() => void this.reconcile(), PLUGIN_TIMING.loopMs);
    await this.reconcile();
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#watcher?.close();
  }

  /** The registered plugins (socket → GetInfo), for tests and status. */
  registered(): { socket: string; info: PluginInfo }[] {
    return [...this.#registered].map(([socket, r]) => ({ socket, info: r.info }));
  }

  #follow(): void {
    try {
      this.#watcher = watch(this.#d.dir, { recursive: true }, () => void this.reconcile());
      this.#watcher.on('error', (err) => {
        this.#d.logger.warn({ path: this.#d.dir, err: errorMessage(err) }, 'plugin directory watch failed; walking it every second only');
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch (err) {
      this.#d.logger.warn({ path: this.#d.dir, err: errorMessage(err) }, 'cannot watch the plugin directory; walking it every second only');
    }
  }

  /** One reconciler pass; a pass asked for while one runs runs right after it. */
  async reconcile(): Promise<void> {
    if (this.#stopped) return;
    if (this.#reconciling) {
      this.#again = true;
      return;
    }
    this.#reconciling = true;
    try {
      do {
        this.#again = false;
        await this.#pass();
      } while (this.#again && !this.#stopped);
    } catch (err) {
      this.#d.logger.warn({ err: errorMessage(err) }, 'plugin reconcile failed');
    } finally {
      this.#reconciling = false;
    }
  }

  async #pass(): Promise<void> {
    const desired = await this.#walk(this.#d.dir);
    // Deregister first: gone, or replaced by a new socket at the same path.
    for (const [socket, r] of this.#registered) {
      if (this.#inFlight.has(socket) || desired.get(socket) === r.id) continue;
      this.#registered.delete(socket);
      r.handler.deregister(r.info.name, r.info.endpoint);
      this.#d.logger.info({ socket, type: r.info.type, name: r.info.name }, 'plugin deregistered');
    }
    for (const socket of this.#failures.keys()) if (!desired.has(socket)) this.#failures.delete(socket);
    const now = this.#d.clock.monotonic();
    for (const [socket, id] of desired) {
      if (this.#inFlight.has(socket) || this.#registered.has(socket)) continue;
      const failed = this.#failures.get(socket);
      if (failed && failed.id === id && failed.retryAt > now) continue;
      this.#inFlight.add(socket);
      void this.#register(socket, id).finally(() => {
        this.#inFlight.delete(socket);
      });
    }
  }

  /** Unix sockets below `dir` (kubelet's traversePluginDir), by path, with their identity. */
  async #walk(dir: string, out = new Map<string, string>()): Promise<Map<string, string>> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return out;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) await this.#walk(path, out);
      else if (e.isSocket()) {
        const st = await lstat(path).catch(() => undefined);
        if (st?.isSocket()) out.set(path, socketId(st));
      }
    }
    return out;
  }

  async #register(socket: string, id: string): Promise<void> {
    const client = unixClient(pluginServices().registration, socket);
    let info: PluginInfo | undefined;
    try {
      await waitForReady(client, PLUGIN_TIMING.dialTimeoutMs).catch((err: unknown) => {
        throw new Error(`RegisterPlugin error -- dial failed at socket ${socket}, err: ${errorMessage(err)}`);
      });
      const raw = await unary<object, Parameters<typeof normalizeInfo>[0]>(client, 'GetInfo', {}, PLUGIN_TIMING.getInfoTimeoutMs).catch((err: unknown) => {
        throw new Error(`RegisterPlugin error -- failed to get plugin info using RPC GetInfo at socket ${socket}, err: ${grpcErrorText(err)}`);
      });
      info = normalizeInfo(raw, socket);
      const handler = this.#d.handlers.get(info.type);
      if (!handler) return await this.#notify(client, false, REGISTER_ERRORS.noHandler(info.type, socket));
      try {
        await handler.validate(info.name, info.endpoint, info.supportedVersions);
      } catch (err) {
        return await this.#notify(client, false, REGISTER_ERRORS.validation(errorMessage(err)));
      }
      // As the kubelet: in the registered set before the handler runs, so a socket removed
      // meanwhile is deregistered; a handler failure leaves it there until the socket changes.
      this.#registered.set(socket, { id, info, handler });
      try {
        await handler.register(info.name, info.endpoint, info.supportedVersions);
      } catch (err) {
        return await this.#notify(client, false, REGISTER_ERRORS.registration(errorMessage(err)));
      }
      await this.#notify(client, true, '');
      this.#failures.delete(socket);
      this.#d.logger.info({ socket, type: info.type, name: info.name, endpoint: info.endpoint, versions: info.supportedVersions }, 'plugin registered');
    } catch (err) {
      const prev = this.#failures.get(socket);
      const count = prev?.id === id ? prev.count + 1 : 1;
      const delay = backoffDelay(PLUGIN_TIMING.backoff, count);
      this.#failures.set(socket, { id, count, retryAt: this.#d.clock.monotonic() + delay });
      const registeredAnyway = this.#registered.get(socket)?.id === id;
      this.#d.logger.warn(
        { socket, type: info?.type, name: info?.name, err: errorMessage(err), ...(registeredAnyway ? { retry: 'when the socket is created again' } : { retryInMs: delay }) },
        'plugin registration failed',
      );
    } finally {
      client.close();
    }
  }

  /** operation_generator notifyPlugin: tells the plugin; a non-empty error fails the operation. */
  async #notify(client: grpc.Client, registered: boolean, error: string): Promise<void> {
    try {
      await unary(client, 'NotifyRegistrationStatus', { plugin_registered: registered, error }, PLUGIN_TIMING.notifyTimeoutMs);
    } catch (err) {
      throw new Error(`${error || 'RegisterPlugin error -- failed to send registration status'}: ${grpcErrorText(err)}`, { cause: err });
    }
    if (error !== '') throw new Error(error);
  }
}
