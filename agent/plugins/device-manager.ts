// The kubelet's device manager, registration side (pkg/kubelet/cm/devicemanager: server.go,
// endpoint.go; kubelet-node-contract.md 4.5): the Registration service on
// <rootDir>/device-plugins/kubelet.sock; a plugin that registers is dialled at
// device-plugins/<endpoint> and its ListAndWatch stream gives the devices, whose counts become
// node capacity (all) and allocatable (healthy) for its resource name. When the stream ends the
// devices count as unhealthy (allocatable 0) until the plugin registers again. A plugin may
// also register through plugins_registry with type DevicePlugin (the watcher calls validate,
// register, deregister here, with the socket path as endpoint). Allocation to
// containers (Allocate, PreStartContainer, the checkpoint) is not done: a pod requesting such a
// resource is not given the device. An adapter: the checks are in registration.ts.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../log/logger.js';
import { errorMessage } from '../core/errors.js';
import { pluginServices, unixClient } from './grpc-api.js';
import { checkDeviceRegistration, DEVICE_PLUGIN_VERSIONS, isExtendedResourceName, type DeviceResource } from './registration.js';
import type { PluginHandler } from './plugin-watcher.js';

/** devicemanager KubeletSocket's name. */
export const KUBELET_SOCKET = 'kubelet.sock';

interface Device {
  ID?: string;
  health?: string;
}

interface Endpoint {
  readonly endpoint: string;
  readonly client: grpc.Client;
  readonly stream: grpc.ClientReadableStream<{ devices?: Device[] }>;
  devices: Device[];
  stopped: boolean;
}

export class DeviceManager implements PluginHandler {
  readonly #dir: string;
  readonly #log: Logger;
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #listeners = new Set<() => void>();
  #server?: grpc.Server;

  constructor(deps: { dir: string; logger: Logger }) {
    this.#dir = deps.dir;
    this.#log = deps.logger;
  }

  get socketPath(): string {
    return join(this.#dir, KUBELET_SOCKET);
  }

  onChange(listener: () => void): void {
    this.#listeners.add(listener);
  }

  /** Healthy and unhealthy device counts per resource name. */
  resources(): DeviceResource[] {
    return [...this.#endpoints]
      .map(([resourceName, e]) => {
        const healthy = e.stopped ? 0 : e.devices.filter((d) => d.health === 'Healthy').length;
        return { resourceName, healthy, unhealthy: e.devices.length - healthy };
      })
      .sort((a, b) => (a.resourceName < b.resourceName ? -1 : 1));
  }

  /** Serves Registration on kubelet.sock (a stale socket from an earlier run is replaced, which tells plugins to register again). */
  async start(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o750 });
    await rm(this.socketPath, { force: true });
    const server = new grpc.Server();
    server.addService(pluginServices().deviceRegistration.service, {
      Register: (call: grpc.ServerUnaryCall<{ version?: string; endpoint?: string; resource_name?: string }, object>, callback: grpc.sendUnaryData<object>) => {
        const error = checkDeviceRegistration(call.request);
        if (error) {
          this.#log.warn({ resource: call.request.resource_name, err: error }, 'device plugin registration refused');
          callback({ code: grpc.status.UNKNOWN, details: error });
          return;
        }
        callback(null, {});
        this.#connect(call.request.resource_name ?? '', join(this.#dir, call.request.endpoint ?? ''));
      },
    });
    await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${this.socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
    this.#server = server;
    this.#log.info({ socket: this.socketPath }, 'device plugin registration server started');
  }

  async stop(): Promise<void> {
    for (const e of this.#endpoints.values()) this.#close(e);
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }

  // --- plugins_registry with type DevicePlugin (devicemanager/plugin/v1beta1/handler.go) ---

  validate(name: string, _endpoint: string, versions: readonly string[]): void {
    if (!versions.some((v) => (DEVICE_PLUGIN_VERSIONS as readonly string[]).includes(v))) {
      throw new Error(`manager version, ${DEVICE_PLUGIN_VERSIONS[0]}, is not among plugin supported versions [${versions.join(' ')}]`);
    }
    if (!isExtendedResourceName(name)) throw new Error(`invalid name of device plugin socket: the ResourceName ${JSON.stringify(name)} is invalid`);
  }

  register(name: string, endpoint: string): Promise<void> {
    this.#connect(name, endpoint);
    return Promise.resolve();
  }

  deregister(name: string, endpoint: string): void {
    const e = this.#endpoints.get(name);
    if (!e || e.endpoint !== endpoint || e.stopped) return;
    this.#close(e);
    this.#log.info({ resource: name, endpoint }, 'device plugin deregistered; its devices are unhealthy until it registers again');
    this.#changed();
  }

  /** Dials the plugin at `endpoint` (a socket path) and follows its ListAndWatch stream. */
  #connect(resourceName: string, endpoint: string): void {
    const previous = this.#endpoints.get(resourceName);
    if (previous) this.#close(previous);
    const client = unixClient(pluginServices().devicePlugin, endpoint);
    const listAndWatch = (client as unknown as { ListAndWatch(req: object): grpc.ClientReadableStream<{ devices?: Device[] }> }).ListAndWatch.bind(client);
    const e: Endpoint = { endpoint, client, stream: listAndWatch({}), devices: previous?.devices ?? [], stopped: false };
    this.#endpoints.set(resourceName, e);
    this.#log.info({ resource: resourceName, endpoint }, 'device plugin registered');
    e.stream.on('data', (resp: { devices?: Device[] }) => {
      const before = JSON.stringify(this.#summary(e));
      e.devices = resp.devices ?? [];
      if (JSON.stringify(this.#summary(e)) !== before) {
        this.#log.info({ resource: resourceName, ...this.#summary(e) }, 'device plugin devices changed');
        this.#changed();
      }
    });
    const ended = (err?: Error): void => {
      if (e.stopped || this.#endpoints.get(resourceName) !== e) return;
      e.stopped = true;
      e.client.close();
      this.#log.warn({ resource: resourceName, endpoint, err: err ? errorMessage(err) : undefined }, 'device plugin stream ended; its devices are unhealthy until it registers again');
      this.#changed();
    };
    e.stream.on('error', (err: Error) => ended(err));
    e.stream.on('end', () => ended());
    this.#changed();
  }

  #summary(e: Endpoint): { healthy: number; total: number } {
    return { healthy: e.devices.filter((d) => d.health === 'Healthy').length, total: e.devices.length };
  }

  #close(e: Endpoint): void {
    e.stopped = true;
    e.stream.cancel();
    e.client.close();
  }

  #changed(): void {
    for (const l of this.#listeners) l();
  }
}
